#!/usr/bin/env python
"""What the operations features cost, each beside a baseline from the same run.

1. Metrics on the query path: the same lineage queries (upstream depth 5,
   impact depth 10) through the bare ``LineageAnalysis`` and through the API's
   instrumented one (query counter and histogram, read round trips timed),
   interleaved in alternating order, on one generated embedded graph. Prints p50 ms and the ratio.
2. Online backup under write load: a writer ingesting one event per
   transaction for a fixed time, alone and then while ``lineage backup`` runs
   back to back; prints the writer's events/s and the ratio, and the time of one
   backup beside a plain file copy of the same file (not consistent, the floor).

    python scripts/bench_ops.py --runs 1500 --seconds 8
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from gremlin_python.process.anonymous_traversal import traversal
from gremlite import SQLiteConnection
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import generate  # noqa: E402

from lineage import LineageAnalysis, LineageStore, Settings  # noqa: E402
from lineage._server.graph_metrics import GraphMetrics  # noqa: E402
from lineage.ops import backup  # noqa: E402


def query_overhead(path: Path, rounds: int) -> None:
    bare_g = traversal().with_remote(SQLiteConnection(str(path), autocommit=False, timeout=30.0))
    registry = CollectorRegistry()
    metrics = GraphMetrics(registry, "embedded")
    timed_g = traversal().with_remote(metrics.timed_connection(
        SQLiteConnection(str(path), autocommit=False, timeout=30.0)))
    bare = LineageAnalysis(bare_g)
    instrumented = metrics.instrument(LineageAnalysis(timed_g))
    ids = sorted(bare_g.V().has_label("Dataset").values("dataset_id").to_list())
    sample = [ids[i] for i in range(0, len(ids), max(1, len(ids) // 20))][:20]
    results: dict[tuple[str, str], list[float]] = {}
    for r in range(rounds):
        legs = [("bare", bare), ("instrumented", instrumented)]
        for name, q in (legs if r % 2 == 0 else legs[::-1]):     # alternate which goes first
            for op, call in (("upstream depth 5", lambda q, d: q.upstream(d, 5)),
                             ("impact depth 10", lambda q, d: q.impact(d, "schema", 10))):
                for dataset in sample:
                    started = time.perf_counter()
                    call(q, dataset)
                    results.setdefault((op, name), []).append((time.perf_counter() - started) * 1000)
    print(f"\n1. metrics on the query path ({len(sample)} datasets x {rounds} rounds, interleaved)")
    print(f"   {'query':<18} {'bare p50 ms':>12} {'instrumented p50 ms':>20} {'ratio':>7}")
    for op in ("upstream depth 5", "impact depth 10"):
        a = statistics.median(results[(op, "bare")])
        b = statistics.median(results[(op, "instrumented")])
        print(f"   {op:<18} {a:>12.2f} {b:>20.2f} {b / a:>7.3f}")
    count = registry.get_sample_value("lineage_backend_read_latency_ms_count", {"backend": "embedded"})
    spent = registry.get_sample_value("lineage_backend_read_latency_ms_sum", {"backend": "embedded"})
    print(f"   read round trips timed: {count:.0f}, {spent / count:.2f} ms each on average")


def writer_rate(settings: Settings, events: list[dict], seconds: float) -> float:
    done = 0
    deadline = time.monotonic() + seconds
    with LineageStore(settings) as store:
        while time.monotonic() < deadline and done < len(events):
            store.ingest([events[done]])
            done += 1
    return done / seconds


def backup_under_load(base: Path, runs: int, seconds: float) -> None:
    settings = Settings.from_env({}, db=str(base / "live.db"))
    events = generate(runs + 4000, max(20, runs // 20))
    with LineageStore(settings) as store:
        store.ingest(events[: runs * 2])
    size_mb = Path(settings.db_path).stat().st_size / 1e6
    rest = events[runs * 2:]

    alone = writer_rate(settings, rest[: len(rest) // 2], seconds)

    stop = threading.Event()
    durations: list[float] = []

    def back_up() -> None:
        n = 0
        while not stop.is_set():
            started = time.perf_counter()
            backup(settings, base / f"copy-{n % 2}.db", overwrite=True)
            durations.append(time.perf_counter() - started)
            n += 1

    thread = threading.Thread(target=back_up)
    thread.start()
    loaded = writer_rate(settings, rest[len(rest) // 2:], seconds)
    stop.set()
    thread.join()

    copies = []
    for _ in range(3):
        started = time.perf_counter()
        shutil.copyfile(settings.db_path, base / "plain-copy.db")
        copies.append(time.perf_counter() - started)
    print(f"\n2. online backup under write load ({size_mb:.1f} MB file, {seconds:.0f} s each)")
    print(f"   writer alone:              {alone:8.1f} events/s")
    print(f"   writer during backups:     {loaded:8.1f} events/s   ratio {loaded / alone:.3f}"
          f"   ({len(durations)} backups ran)")
    backup_s = statistics.median(durations) if durations else float("nan")
    plain_s = statistics.median(copies)
    print(f"   one backup (p50):          {backup_s * 1000:8.1f} ms   plain file copy {plain_s * 1000:.1f} ms"
          f"   ratio {backup_s / plain_s:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1500, help="runs in the generated graph, e.g. --runs 1500")
    parser.add_argument("--rounds", type=int, default=5, help="query rounds, e.g. --rounds 5")
    parser.add_argument("--seconds", type=float, default=8.0, help="writer time per leg, e.g. --seconds 8")
    args = parser.parse_args()
    print("timings on a shared machine are noisy; compare the ratios, and rerun to see the spread")
    with tempfile.TemporaryDirectory(prefix="lineage-bench-ops-") as folder:
        base = Path(folder)
        settings = Settings.from_env({}, db=str(base / "graph.db"))
        with LineageStore(settings) as store:
            store.ingest(generate(args.runs, max(20, args.runs // 20)))
        query_overhead(Path(settings.db_path), args.rounds)
        backup_under_load(base, args.runs, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
