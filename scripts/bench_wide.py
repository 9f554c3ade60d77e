#!/usr/bin/env python
"""The cost of a wide event (N inputs x M outputs) and what it does to the next request.

For each size, ingests one RunEvent with N inputs and M outputs into a fresh
embedded store twice: with the default LINEAGE_MAX_DERIVED_EDGES (2,000
lineage edges per event) and unbounded (every one of the N x M pairs), and
prints the time of each and the ratio. Then, against a real server of each
kind, posts the widest event and, 0.5 s later, one small event, and prints how
long the small one waited. The machine is shared: timings are noisy.

    python scripts/bench_wide.py --sizes 50x50 150x150 300x300
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mixed import Server  # noqa: E402

from lineage import LineageStore, Settings  # noqa: E402

UNBOUNDED = 10 ** 9


def wide(n: int, m: int, tag: str) -> dict:
    return {"eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z", "producer": "https://example.com/bench",
            "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "bench", "name": f"wide_{tag}"},
            "inputs": [{"namespace": "bench", "name": f"{tag}_in_{i}"} for i in range(n)],
            "outputs": [{"namespace": "bench", "name": f"{tag}_out_{i}"} for i in range(m)]}


def ingest_once(tmp: Path, event: dict, bound: int) -> tuple[float, int]:
    db = tmp / f"{uuid.uuid4().hex}.db"
    with LineageStore(Settings.from_env({}, db=str(db), max_derived_edges=bound)) as store:
        t0 = time.perf_counter()
        store.ingest([event])
        elapsed = time.perf_counter() - t0
        edges = store.g.E().has_label("DERIVED_FROM").count().next()
    return elapsed, edges


def small_after_wide(tmp: Path, n: int, m: int, bound: int) -> tuple[float, float]:
    server = Server(tmp / f"{uuid.uuid4().hex}.db", LINEAGE_MAX_DERIVED_EDGES=str(bound))
    try:
        took: dict[str, float] = {}

        def post(name: str, body: dict) -> None:
            t0 = time.perf_counter()
            r = httpx.post(server.url + "/api/v1/lineage", json=body, timeout=900)
            r.raise_for_status()
            took[name] = time.perf_counter() - t0
        big = threading.Thread(target=post, args=("wide", wide(n, m, "w")))
        big.start()
        time.sleep(0.5)
        post("small", wide(1, 1, "s"))
        big.join()
        return took["wide"], took["small"]
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["50x50", "150x150", "300x300"])
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes]
    print("machine shared with other work: timings are noisy")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n, m in sizes:
            bounded, kept = ingest_once(tmp, wide(n, m, "b"), 2_000)
            full, every = ingest_once(tmp, wide(n, m, "u"), UNBOUNDED)
            print(f"{n}x{m} event ({n * m} pairs): bounded {bounded:6.2f} s ({kept} DERIVED_FROM), "
                  f"unbounded {full:6.2f} s ({every}); unbounded/bounded {full / bounded:5.1f}x")
        n, m = sizes[-1]
        for label, bound in (("bounded", 2_000), ("unbounded", UNBOUNDED)):
            big, small = small_after_wide(tmp, n, m, bound)
            print(f"server, {label}: the {n}x{m} event took {big:.2f} s; a 1x1 event posted 0.5 s later "
                  f"took {small:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
