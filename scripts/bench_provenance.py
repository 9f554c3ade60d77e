#!/usr/bin/env python
"""What provenance costs, beside the same work without it, in one run.

1. Ingest the bench_ingest.py stream (START + COMPLETE per run, bronze -> silver
   -> gold jobs) into a fresh embedded store with provenance off (the baseline)
   and into another with it on: the write path only remembers finished runs,
   so the ratio is the overhead a producer sees.
2. Flush: build every record from the graph (the upstream path of each run),
   write raw Parquet, compact; records/s.
3. "Find my data by name" over the compacted files: DuckDB through the
   ``provenance`` view, beside reading the same files with pyarrow and filtering
   in memory; p50 of several tries each.
4. Event-log age-off of the oldest three quarters: a plain DELETE by time beside
   ours, which keeps each job's latest run per set of datasets (first pass,
   which indexes every event, and the next).

    python scripts/bench_provenance.py --runs 2000

Timings on a shared machine are noisy; compare the figures of one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import generate  # noqa: E402

from lineage import LineageStore, Settings  # noqa: E402
from lineage.provenance import run_sql  # noqa: E402
from lineage.provenance.parquet import data_files, read  # noqa: E402


def ingest(settings: Settings, events: list[dict], batch: int) -> tuple[float, LineageStore]:
    store = LineageStore(settings)
    started = time.perf_counter()
    for i in range(0, len(events), batch):
        store.ingest(events[i:i + batch])
    return time.perf_counter() - started, store


def p50(fn, tries: int) -> float:
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def age_off(tmp: Path, events: list[dict]) -> tuple[float, tuple[float, float], int, tuple[int, int]]:
    """The event-log age-off on a log of ``events``: a plain time cut (which would lose
    edges on rebuild) beside ours (which keeps each job's latest run per set of datasets)."""
    import sqlite3

    from lineage._eventlog import EventLog
    from lineage._events import parse_event

    parsed = [parse_event(e) for e in events]
    cut = parsed[len(parsed) * 3 // 4].event_time
    logs = []
    for name in ("plain", "ours"):
        con = sqlite3.connect(tmp / f"{name}-log.db")
        log = EventLog(con)
        log.append(parsed)
        con.commit()
        logs.append((con, log))
    (pcon, _), (ocon, olog) = logs
    started = time.perf_counter()
    plain_removed = pcon.execute("DELETE FROM lineage_events WHERE event_time < ?", (cut,)).rowcount
    pcon.commit()
    plain = time.perf_counter() - started
    passes = []
    removed = 0
    for _ in range(2):
        started = time.perf_counter()
        while olog.index_signatures():
            ocon.commit()
        removed += olog.expire(cut)
        ocon.commit()
        passes.append(time.perf_counter() - started)
    return plain, (passes[0], passes[1]), olog.count(), (plain_removed, removed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000, help="runs to generate (two events each)")
    parser.add_argument("--jobs", type=int, default=200, help="distinct jobs")
    parser.add_argument("--batch", type=int, default=500, help="events per transaction")
    parser.add_argument("--tries", type=int, default=9, help="repetitions of each query")
    args = parser.parse_args()

    events = generate(args.runs, args.jobs)
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings.from_env({}, db=str(Path(tmp) / "off.db"), batch_size=args.batch)
        off, store = ingest(base, events, args.batch)
        store.close()
        directory = Path(tmp) / "provenance"
        on_settings = Settings.from_env({}, db=str(Path(tmp) / "on.db"), batch_size=args.batch,
                                        provenance_enabled=True, provenance_dir=str(directory), system_name="bench")
        on, store = ingest(on_settings, events, args.batch)
        started = time.perf_counter()
        result = store.provenance.flush(datetime.now(timezone.utc))
        flush = time.perf_counter() - started
        store.close()

        name = run_sql(directory, "SELECT name FROM provenance LIMIT 1")[1][0][0]
        sql = f"SELECT run_id, data_sink, final_state FROM provenance WHERE name = '{name}'"
        duck = p50(lambda: run_sql(directory, sql), args.tries)

        def arrow() -> int:
            table = read(data_files(directory))
            return table.filter(pc.equal(table.column("name"), name)).num_rows

        scan = p50(arrow, args.tries)
        hits = arrow()
        plain, ours, kept, removed = age_off(Path(tmp), events)

    n = len(events)
    print(f"stream: {n} events ({args.runs} runs of {args.jobs} jobs); {result.records} provenance records "
          f"in {len(result.compaction.files)} compacted files")
    print(f"{'step':46} {'seconds':>8} {'rate':>14}")
    print(f"{'ingest, provenance off (baseline)':46} {off:8.2f} {n / off:10.0f} ev/s")
    print(f"{'ingest, provenance on':46} {on:8.2f} {n / on:10.0f} ev/s")
    print(f"{'flush: build records, write, compact':46} {flush:8.2f} {result.records / flush:10.0f} rec/s")
    print(f"{'find by name: DuckDB view (p50)':46} {duck:8.4f} {hits:10d} rows")
    print(f"{'find by name: pyarrow read + filter (p50)':46} {scan:8.4f} {hits:10d} rows")
    print(f"{'event-log age-off: plain DELETE by time':46} {plain:8.2f} {removed[0]:10d} rows gone")
    print(f"{'event-log age-off: ours (first pass, indexes)':46} {ours[0]:8.2f} {removed[1]:10d} rows gone")
    print(f"{'event-log age-off: ours (next pass)':46} {ours[1]:8.2f} {kept:10d} rows kept")
    print(f"ratio ingest on / off (time): {on / off:.2f}; DuckDB / pyarrow (time): {duck / scan:.2f}; "
          f"age-off ours / plain (first pass): {ours[0] / plain:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
