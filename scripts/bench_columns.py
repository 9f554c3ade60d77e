#!/usr/bin/env python
"""What column lineage costs to write and to ask, beside the work it adds to.

Over the same generated events in the same run (a chain of ``--tables`` tables,
each written by one pipeline from the one before and a lookup table, with
``--columns`` columns each, every column derived from a column of the table
before and a JOIN key on the lookup):

* ingest into a fresh SQLite file without the ``columnLineage`` facet
  (baseline) and with it: wall and CPU seconds, best of two alternating rounds;
* asking, on the graph with column lineage: dataset-level ``impact`` of the
  first table (baseline) and ``ColumnLineage.impact`` of its first column, both
  at depth 10 (median of ``--repeat``).

Prints each figure with its ratio and the load average. The machine is shared:
expect noise of 10-20 %.

    python scripts/bench_columns.py --tables 100 --columns 30
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time

from lineage import ColumnLineage, LineageAnalysis, LineageStore, Settings
from lineage._builders import DatasetSpec, EventBuilder


def generate(tables: int, columns: int) -> list[dict]:
    b = EventBuilder("default")
    names = [f"c{i:02d}" for i in range(columns)]
    schema = [(n, "BIGINT") for n in names]
    events = []
    for t in range(tables):
        source, target = f"wh/t{t:03d}", f"wh/t{t + 1:03d}"
        cols = [(n, source, n, "TRANSFORMATION" if i % 3 else "IDENTITY") for i, n in enumerate(names)]
        cols.append(("*", "wh/lookup", "key", "JOIN"))
        events += b.pipeline_run(f"step_{t:03d}", version=1, inputs=[DatasetSpec(source, schema=schema), "wh/lookup"],
                                 outputs=[DatasetSpec(target, schema=schema, columns=cols)],
                                 start_time=f"2026-01-01T00:{t % 60:02d}:00Z")
    return events


def without_columns(events: list[dict]) -> list[dict]:
    out = copy.deepcopy(events)
    for e in out:
        for o in e.get("outputs", []):
            o.get("facets", {}).pop("columnLineage", None)
    return out


def ingest(events: list[dict]) -> tuple[float, float, str]:
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "l.db")
    with LineageStore(Settings.from_env({}, db=path)) as store:
        wall, cpu = time.perf_counter(), time.process_time()
        store.ingest(events)
        return time.perf_counter() - wall, time.process_time() - cpu, path


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tables", type=int, default=100, help="tables in the chain, e.g. --tables 100")
    ap.add_argument("--columns", type=int, default=30, help="columns per table, e.g. --columns 30")
    ap.add_argument("--repeat", type=int, default=20, help="query repetitions, e.g. --repeat 20")
    args = ap.parse_args()
    with_cl = generate(args.tables, args.columns)
    base = without_columns(with_cl)
    rounds = {"baseline": [], "columns": []}
    path = ""
    for _ in range(2):
        rounds["baseline"].append(ingest(base)[:2])
        wall, cpu, path = ingest(with_cl)
        rounds["columns"].append((wall, cpu))
    b, c = min(rounds["baseline"]), min(rounds["columns"])
    n = len(with_cl)
    print(f"events: {n} ({args.tables} runs x 2), {args.columns} columns per table; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"ingest without columnLineage: {b[0]:.2f} s wall, {b[1]:.2f} s CPU ({n / b[0]:.0f} events/s)")
    print(f"ingest with columnLineage:    {c[0]:.2f} s wall, {c[1]:.2f} s CPU ({n / c[0]:.0f} events/s); "
          f"ratio {c[0] / b[0]:.2f} wall, {c[1] / b[1]:.2f} CPU")
    with LineageStore(Settings.from_env({}, db=path)) as store:
        q = LineageAnalysis(store.graph)
        columns = ColumnLineage(q)
        ds = median_ms(lambda: q.impact("wh/t000", "schema", 10), args.repeat)
        col = median_ms(lambda: columns.impact("wh/t000", "c00", "change", 10), args.repeat)
        fields = columns.impact("wh/t000", "c00", "change", 10)["total_fields"]
        print(f"dataset impact of wh/t000, depth 10: {ds:.1f} ms (median of {args.repeat})")
        print(f"column impact of wh/t000#c00, depth 10: {col:.1f} ms, {fields} fields; ratio {col / ds:.2f}")


if __name__ == "__main__":
    main()
