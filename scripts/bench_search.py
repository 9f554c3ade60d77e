#!/usr/bin/env python
"""Search latency on the embedded default, beside two anchors, in one run.

On the generated lineage DAG of ``bench_query.py`` (built or reused under
--cache), times ``LineageAnalysis.search`` (trigram index over the file's
strings, ranked in SQL, nodes read tier by tier until the best 20 are known) for a sample of texts people type: a
dataset's short name (``ds_4711``), a part of one (``s_471``) and a pipeline
word (``job_3``), interleaved with the same search ranked in Python (every
candidate leaves SQLite, as before ranking moved into SQL) and two anchors over
the same names: a scan of a plain in-memory SQLite names table with
``LIKE '%text%'`` (the baseline) and a Python scan of the names list (what the
portable Gremlin implementation does after reading every name). Prints p50/p95
ms (wall) and p50 CPU ms of ours, result counts, the ratios to the LIKE scan
(wall, and CPU time: steadier on a busy machine) and the load average. Timings on a shared machine are noisy: compare figures
from one run only.

    python scripts/bench_search.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_query import build  # noqa: E402

from lineage import LineageAnalysis  # noqa: E402
from lineage.graph import SqlGraph  # noqa: E402
import lineage.graph.sqlsearch as sqlsearch  # noqa: E402
from lineage.graph.textsearch import ensure_text_index  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000, out


def timed_cpu(fn):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000, out


def python_ranked(q, text):
    """The same search with every candidate ranked in Python (SQL ranking turned off)."""
    rankable = sqlsearch.sql_rankable
    sqlsearch.sql_rankable = lambda _text: False
    try:
        return q.search(text, limit=20)
    finally:
        sqlsearch.sql_rankable = rankable


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="dataset counts, comma-separated")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "lineage-bench"))
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"{'size':>8} {'query':<8} {'ours p50':>9} {'p95':>8} {'cpu p50':>8} {'py-rank':>8} {'LIKE p50':>9} "
          f"{'list p50':>9} {'ours/LIKE':>9} {'cpu ratio':>9} {'hits':>6}")
    for n in (int(s) for s in args.sizes.split(",")):
        graph = build(cache / f"query-{n}.db", n)
        con = sqlite3.connect(cache / f"query-{n}.db")
        ensure_text_index(con)      # a file built before the index existed gets it once
        q = LineageAnalysis(SqlGraph(con))
        names = sorted({key for _, key in graph.nodes} | set(graph.graph["pipelines"].values()))
        plain = sqlite3.connect(":memory:")
        plain.execute("CREATE TABLE names (v TEXT)")
        plain.executemany("INSERT INTO names VALUES (?)", ((v,) for v in names))
        datasets = [k.split("/")[1] for _, k in graph.nodes if "/" in k]
        texts = {
            "short": [rng.choice(datasets) for _ in range(args.samples)],
            "part": [rng.choice(datasets)[1:-1] for _ in range(args.samples)],
            "word": [f"job_{rng.randint(1, 11)}" for _ in range(args.samples)],
        }
        for kind, sample in texts.items():
            ours, cpu, pyrank, like, like_cpu, scan, hits = [], [], [], [], [], [], []
            for text in sample:
                ms, cpu_ms, found = timed_cpu(lambda: q.search(text, limit=20))
                ours.append(ms)
                cpu.append(cpu_ms)
                hits.append(len(found))
                ms, slow = timed(lambda: python_ranked(q, text))
                pyrank.append(ms)
                assert [n["id"] for n in slow] == [n["id"] for n in found], text
                ms, cpu_ms, _ = timed_cpu(lambda: plain.execute("SELECT v FROM names WHERE v LIKE ?",
                                                                (f"%{text}%",)).fetchall())
                like.append(ms)
                like_cpu.append(cpu_ms)
                low = text.casefold()
                scan.append(timed(lambda: [v for v in names if low in v.casefold()])[0])
            p50 = statistics.median(ours)
            p95 = sorted(ours)[int(len(ours) * 0.95) - 1]
            print(f"{n:>8} {kind:<8} {p50:>9.2f} {p95:>8.2f} {statistics.median(cpu):>8.2f} "
                  f"{statistics.median(pyrank):>8.2f} {statistics.median(like):>9.2f} "
                  f"{statistics.median(scan):>9.2f} {p50 / statistics.median(like):>9.2f} "
                  f"{statistics.median(cpu) / max(statistics.median(like_cpu), 1e-3):>9.2f} "
                  f"{statistics.median(hits):>6.0f}")
        con.close()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
