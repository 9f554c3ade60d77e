#!/usr/bin/env python
"""Two checkouts of lineage answering the same queries, interleaved: before and after.

Each checkout runs in its own worker process (its own ``lineage`` package) on the
same cached benchmark graph of ``bench_query.py``, opened as that version's
readers open it; the driver sends every start to both in turn, so both share
whatever else the machine is doing. Prints wall and CPU p50/p95 per query and
version, the ratio after/before, and how many answers differ (a digest of the
whole JSON answer: the two versions must agree exactly).

    python scripts/bench_query_ab.py --before /path/to/main --sizes 100000 --samples 30
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from benchkit import bench_args, load_average, stats

HERE = Path(__file__).resolve().parent
QUERIES = ("upstream depth 5", "upstream depth 10", "downstream depth 5", "impact depth 10", "lineage graph depth 3")

WORKER = r"""
import hashlib, json, sqlite3, sys, time
from lineage import LineageAnalysis
from lineage.graph import SqlGraph
import lineage.graph.sql as sql
con = sqlite3.connect(sys.argv[1])
if hasattr(sql, "tune_reads"):   # as this version's readers open the file
    sql.tune_reads(con)
q = LineageAnalysis(SqlGraph(con))
run = {
    "upstream depth 5": lambda s: q.upstream(s, 5),
    "upstream depth 10": lambda s: q.upstream(s, 10),
    "downstream depth 5": lambda s: q.downstream(s, 5),
    "impact depth 10": lambda s: q.impact(s, "schema", 10),
    "lineage graph depth 3": lambda s: q.lineage_graph(s, "Dataset", 3),
}
def plain(x):
    return x if isinstance(x, (dict, list)) else x.to_dict()
print("ready", flush=True)
for line in sys.stdin:
    name, start = json.loads(line)
    w, c = time.perf_counter(), time.process_time()
    answer = run[name](start)
    c, w = time.process_time() - c, time.perf_counter() - w
    text = json.dumps(plain(answer), sort_keys=True, default=str)
    print(json.dumps([w * 1000, c * 1000, hashlib.sha256(text.encode()).hexdigest()]), flush=True)
"""


def worker(checkout: Path, db: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(db)], env=env, cwd=str(checkout), text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def ask(proc: subprocess.Popen, name: str, start: str) -> tuple[float, float, str]:
    proc.stdin.write(json.dumps([name, start]) + "\n")
    proc.stdin.flush()
    return tuple(json.loads(proc.stdout.readline()))


def main() -> int:
    if "--before" not in sys.argv[:-1]:
        print("usage: bench_query_ab.py --before CHECKOUT [--sizes ...] [--samples ...] [--cache ...]", file=sys.stderr)
        return 2
    at = sys.argv.index("--before")   # taken out here: bench_args knows only the shared flags
    before = Path(sys.argv[at + 1]).resolve()
    del sys.argv[at:at + 2]
    args, cache, sizes = bench_args(__doc__, 30, [])
    sys.path.insert(0, str(HERE))
    from bench_query import LAYERS, build, graph_path

    after = HERE.parent
    for n in sizes:
        db = graph_path(cache, n)
        build(db, n)
        rng = random.Random(1)
        per_layer = n // LAYERS
        deep = [f"l{LAYERS - 1}/ds_{rng.randrange(per_layer)}" for _ in range(args.samples)]
        mid = [f"l{LAYERS // 2}/ds_{rng.randrange(per_layer)}" for _ in range(args.samples)]
        procs = {"before": worker(before, db), "after": worker(after, db)}
        print(f"\n{n} datasets, {args.samples} starts per query, before = {before}, after = {after}")
        print(f"{'query':22} {'before wall':>11} {'p95':>6} {'cpu':>6} | {'after wall':>10} {'p95':>6} {'cpu':>6} |"
              f" {'after/before cpu (wall)':>23} | differ")
        try:
            for name in QUERIES:
                sample = deep if name.startswith("upstream") else mid
                for proc in procs.values():   # warm both
                    ask(proc, name, sample[0])
                wall = {k: [] for k in procs}
                cpu = {k: [] for k in procs}
                differ = 0
                for i, start in enumerate(sample):
                    order = list(procs) if i % 2 == 0 else list(procs)[::-1]   # alternate who goes first
                    digests = {}
                    for k in order:
                        w, c, digests[k] = ask(procs[k], name, start)
                        wall[k].append(w)
                        cpu[k].append(c)
                    differ += digests["before"] != digests["after"]
                b, a = (stats(wall["before"]), stats(cpu["before"])[0]), (stats(wall["after"]), stats(cpu["after"])[0])
                print(f"{name:22} {b[0][0]:11.2f} {b[0][1]:6.2f} {b[1]:6.2f} | {a[0][0]:10.2f} {a[0][1]:6.2f} {a[1]:6.2f} |"
                      f" {a[1] / b[1]:12.2f}x ({a[0][0] / b[0][0]:.2f}x) | {differ:6d}")
        finally:
            for proc in procs.values():
                proc.stdin.close()
                proc.wait(timeout=30)
        print(load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
