"""Overhead of @track_lineage per call, beside the same function undecorated.

    python scripts/bench_capture.py --calls 2000
    python scripts/bench_capture.py --calls 2000 --http

Times, in the same run, a trivial function plain and decorated (events go to
a local store in a temporary directory, on the tracker's background thread),
the same with a 1,000-row DataFrame argument (so the difference is capture
plus hashing) beside the cost of fingerprinting that frame alone, and how
long the background thread then takes to deliver every event. Wall time per
call includes the background thread competing for the interpreter lock;
"caller CPU" is the CPU time of the calling thread alone. Timings on a shared
machine are noisy: each figure is the median of 20 batches.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd
from openlineage.client import OpenLineageClient
from openlineage.client.transport.http import HttpConfig, HttpTransport

from lineage import LineageTracker, Settings, fingerprint, track_lineage


def per_call(fn, calls: int, *args) -> tuple[float, float]:
    """Median wall time per call, and median CPU time of the calling thread per call."""
    batch = max(1, calls // 20)
    wall, cpu = [], []
    for _ in range(20):
        started, thread = time.perf_counter(), time.thread_time()
        for _ in range(batch):
            fn(*args)
        wall.append((time.perf_counter() - started) / batch)
        cpu.append((time.thread_time() - thread) / batch)
    return statistics.median(wall), statistics.median(cpu)


@contextlib.contextmanager
def server(db: Path):
    """`lineage serve` in a child process on a free port; yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen([sys.executable, "-m", "lineage._cli", "--db", str(db), "serve", "--port", str(port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or child.poll() is not None:
                raise SystemExit("lineage serve did not start")
            time.sleep(0.2)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000, help="calls per measurement, e.g. 2000")
    parser.add_argument("--http", action="store_true",
                        help="send events over HTTP to a `lineage serve` started for the run (the OpenLineage "
                             "client's HTTP transport) instead of the local store, e.g. --http")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        settings = Settings.from_env({}, db=str(Path(tmp) / "bench.db"))
        if args.http:
            url = stack.enter_context(server(Path(tmp) / "served.db"))
            client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=url, timeout=30)))
            tracker = LineageTracker(client=client, settings=settings)
        else:
            tracker = LineageTracker(settings=settings)
        sink = "HTTP to lineage serve" if args.http else "the local store"

        def plain(x, factor=2):
            return x * factor

        tracked = track_lineage(plain, tracker=tracker, name="bench.tracked")
        frame = pd.DataFrame({"id": range(1000), "price": [i * 0.5 for i in range(1000)],
                              "country": ["de", "fr", "us", "br"] * 250})
        rows = [("plain function, int argument", per_call(plain, args.calls, 3), None)]
        tracked(3)
        tracker.flush(timeout=600)
        before, queued_before = time.process_time(), tracker.emitter.stats.queued
        rows.append(("@track_lineage, int argument", per_call(tracked, args.calls, 3), rows[0][1]))
        tracker.flush(timeout=600)
        whole = (time.process_time() - before) / ((tracker.emitter.stats.queued - queued_before) / 2)
        rows.append(("plain function, 1000-row DataFrame", per_call(plain, args.calls // 4, frame), None))
        rows.append(("@track_lineage, 1000-row DataFrame", per_call(tracked, args.calls // 4, frame), rows[2][1]))
        hashing = per_call(fingerprint, args.calls // 4, frame)
        rows.append(("  fingerprint() of that frame, x2", (2 * hashing[0], 2 * hashing[1]), None))
        queued = tracker.emitter.stats.queued
        started, cpu = time.perf_counter(), time.process_time()
        tracker.flush(timeout=600)
        drain, drain_cpu = time.perf_counter() - started, time.process_time() - cpu
        stats = tracker.emitter.stats
        tracker.close()
    print(f"{'call':38} {'wall us':>9} {'overhead':>9} {'caller CPU us':>14} {'overhead':>9}")
    for name, (wall, cpu), base in rows:
        extra = f"{(wall - base[0]) * 1e6:9.1f} {cpu * 1e6:14.1f} {(cpu - base[1]) * 1e6:9.1f}" if base else \
            f"{'':>9} {cpu * 1e6:14.1f} {'':>9}"
        print(f"{name:38} {wall * 1e6:9.1f} {extra}")
    print(f"background delivery to {sink}: {queued} events, {drain:.2f}s wall and {drain_cpu:.2f}s CPU "
          f"after the calls returned ({stats.emitted} emitted, {stats.failed} failed, {stats.dropped} dropped)")
    print(f"whole process, all threads, int argument: {whole * 1e3:.2f} ms CPU per captured call, "
          f"building and delivering its two events included")


if __name__ == "__main__":
    main()
