#!/usr/bin/env python
"""Reads under writes: GraphQL read latency with and without concurrent ingestion,
and the server's memory over the run.

Starts `lineage serve` in its own process on a fresh SQLite file seeded with a
generated lakehouse (bench_ingest.generate), then

1. unloaded: one client sends the read mix (lineageGraph depth 3, datasetLineage,
   impactAnalysis, search) for --baseline seconds;
2. loaded: --clients clients for --seconds, each request a write (one event, or
   a batch of 20, fresh runs of the same jobs) with probability --write-share,
   else a read from the same mix;

sampling the server's RSS (/proc/PID/status) every 5 s throughout. Prints read
p50/p99 loaded beside unloaded (the ratio), write latencies and throughput,
requests/s, the CPU seconds the server's processes (readers included) and the
load clients spent in each phase, the load average, and the RSS series.
--read-processes N serves GraphQL queries from N reader processes
(LINEAGE_READ_PROCESSES); 0 answers them in the serving process's threads. The machine is shared with other work, so timings are noisy:
compare the ratio, and rerun before reading much into a single figure.

    python scripts/bench_mixed.py --seconds 150 --clients 8
    python scripts/bench_mixed.py --seconds 60 --read-processes 2
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import generate  # noqa: E402

from lineage import LineageStore, Settings  # noqa: E402

READS = [
    ("lineageGraph", "query($id: String!) { lineageGraph(nodeId: $id, nodeType: \"Dataset\", depth: 3) "
                     "{ nodeCount nodes { id label } edges { label source target } } }"),
    ("datasetLineage", "query($id: String!) { datasetLineage(datasetId: $id, depth: 5) "
                       "{ upstreamCount downstreamCount consumingPipelines { id } } }"),
    ("impactAnalysis", "query($id: String!) { impactAnalysis(datasetId: $id) { totalAffected severity } }"),
    ("search", "query($id: String!) { search(prefix: $id, limit: 20) { id label } }"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`lineage serve` in its own process (so its memory can be read)."""

    def __init__(self, db: Path, **env: str) -> None:
        self.port = free_port()
        full = {**os.environ, "LINEAGE_DB": str(db), "LINEAGE_PORT": str(self.port), "LINEAGE_LOG_LEVEL": "WARNING",
                **env}
        full.pop("LINEAGE_GREMLIN_URL", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "lineage._cli", "serve"], env=full,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not become ready")

    def processes(self) -> list[Path]:
        """The server process and its children (reader processes, SQL parse workers)."""
        found = []
        for proc in Path("/proc").iterdir():
            try:
                if proc.name == str(self.proc.pid) or f"\nPPid:\t{self.proc.pid}\n" in (proc / "status").read_text():
                    found.append(proc)
            except OSError:
                continue
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's processes so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for proc in self.processes():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(f) for f in fields[11:15])   # utime stime cutime cstime
        return total / tick

    def rss_mb(self) -> float:
        """Resident memory of the server process (and any children but the SQL parse workers)."""
        total = 0.0
        for proc in Path("/proc").iterdir():
            try:
                status = (proc / "status").read_text()
                mine = proc.name == str(self.proc.pid) or f"\nPPid:\t{self.proc.pid}\n" in status
                if not mine or "_sqlworker" in (proc / "cmdline").read_text(errors="replace"):
                    continue
            except OSError:
                continue
            total += next((int(line.split()[1]) / 1024 for line in status.splitlines()
                           if line.startswith("VmRSS:")), 0.0)
        return total

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


class Load:
    def __init__(self, url: str, ids: list[str], writes: list[dict], write_share: float) -> None:
        self.url, self.ids, self.writes, self.write_share = url, ids, writes, write_share
        self.reads: dict[str, list[float]] = {name: [] for name, _ in READS}
        self.write_ms: list[float] = []
        self.written: list[int] = []   # events per write request
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def client(self, seed: int, until: float) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.url, timeout=120) as http:
            while time.monotonic() < until:
                if rng.random() < self.write_share:
                    batch = [self._fresh(rng.choice(self.writes)) for _ in range(20 if rng.random() < 0.2 else 1)]
                    path, body = ("/api/v1/lineage/batch", batch) if len(batch) > 1 else ("/api/v1/lineage", batch[0])
                    t0 = time.perf_counter()
                    r = http.post(path, json=body)
                    self._record(self.write_ms, t0, r)
                    self.written.append(len(batch))
                else:
                    name, query = rng.choice(READS)
                    t0 = time.perf_counter()
                    r = http.post("/graphql", json={"query": query, "variables": {"id": rng.choice(self.ids)}})
                    self._record(self.reads[name], t0, r)

    def _fresh(self, event: dict) -> dict:
        return {**event, "run": {**event["run"], "runId": str(uuid.uuid4())}}

    def _record(self, into: list[float], t0: float, response: httpx.Response) -> None:
        elapsed = (time.perf_counter() - t0) * 1000
        with self.lock:
            into.append(elapsed)
            if response.status_code >= 300 or "errors" in response.text[:20]:
                self.errors.append(f"{response.status_code} {response.text[:160]}")

    def run(self, clients: int, seconds: float) -> float:
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=self.client, args=(i, until)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return seconds

    def all_reads(self) -> list[float]:
        return [v for values in self.reads.values() for v in values]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=150, help="loaded phase length")
    parser.add_argument("--baseline", type=float, default=30, help="unloaded phase length")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--write-share", type=float, default=0.5)
    parser.add_argument("--runs", type=int, default=1500, help="runs in the seed graph (two events each)")
    parser.add_argument("--read-processes", type=int, default=0,
                        help="LINEAGE_READ_PROCESSES of the server (0: queries in the serving process)")
    args = parser.parse_args()

    seed = generate(args.runs, 300, seed=11)
    writes = [e for e in generate(400, 300, seed=11) if e.get("eventType") == "COMPLETE"]
    ids = sorted({f"{d['namespace']}/{d['name']}" for e in seed for d in e.get("outputs", [])})
    print(f"seed graph: {len(seed)} events, {len(ids)} output datasets; machine shared, timings noisy")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "mixed.db"
        with LineageStore(Settings.from_env({}, db=str(db))) as store:
            store.ingest(seed)
        measure(args, Server(db, LINEAGE_READ_PROCESSES=str(args.read_processes)), ids, writes)
    return 0


def measure(args: argparse.Namespace, server: Server, ids: list[str], writes: list[dict]) -> None:
    rss: list[tuple[float, float]] = []
    stop = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while not stop.is_set():
            rss.append((time.monotonic() - started, server.rss_mb()))
            stop.wait(5)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    phases = []

    def phase(name: str, load: "Load", clients: int, seconds: float) -> None:
        cpu0, mine0, load0 = server.cpu_seconds(), time.process_time(), os.getloadavg()[0]
        load.run(clients, seconds)
        phases.append(f"{name}: server CPU {server.cpu_seconds() - cpu0:.1f} s, load clients CPU "
                      f"{time.process_time() - mine0:.1f} s, in {seconds:.0f} s wall; "
                      f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f} (2-core machine, shared)")
    try:
        quiet = Load(server.url, ids, writes, 0.0)
        phase("unloaded", quiet, 1, args.baseline)
        loaded = Load(server.url, ids, writes, args.write_share)
        phase("loaded", loaded, args.clients, args.seconds)
    finally:
        stop.set()
        sampler.join()
        server.stop()

    base, busy = quiet.all_reads(), loaded.all_reads()
    print(f"server: LINEAGE_READ_PROCESSES={args.read_processes}")
    print(f"unloaded reads (1 client, {args.baseline:.0f} s): {len(base)} requests, "
          f"p50 {statistics.median(base):.0f} ms, p99 {pct(base, 0.99):.0f} ms")
    print(f"loaded reads ({args.clients} clients, {args.write_share:.0%} writes, {args.seconds:.0f} s): "
          f"{len(busy)} requests, p50 {statistics.median(busy):.0f} ms, p99 {pct(busy, 0.99):.0f} ms; "
          f"ratio p50 {statistics.median(busy) / statistics.median(base):.2f}x, "
          f"p99 {pct(busy, 0.99) / pct(base, 0.99):.2f}x")
    for name, values in loaded.reads.items():
        if values:
            print(f"  {name:15s} loaded p50 {statistics.median(values):6.0f} ms  p99 {pct(values, 0.99):6.0f} ms  "
                  f"(unloaded p50 {statistics.median(quiet.reads[name] or [float('nan')]):.0f} ms)")
    print(f"writes: {len(loaded.write_ms)} requests, p50 {statistics.median(loaded.write_ms):.0f} ms, "
          f"p99 {pct(loaded.write_ms, 0.99):.0f} ms; "
          f"{len(loaded.write_ms) / args.seconds:.1f} write requests/s, "
          f"{sum(loaded.written) / args.seconds:.0f} events/s; "
          f"{(len(busy) + len(loaded.write_ms)) / args.seconds:.1f} requests/s in all")
    for line in phases:
        print(line)
    print("RSS MB (server processes) over time: " + ", ".join(f"{t:.0f}s {mb:.0f}" for t, mb in rss))
    if quiet.errors or loaded.errors:
        print(f"{len(quiet.errors) + len(loaded.errors)} failed requests, e.g. {(quiet.errors + loaded.errors)[0]}")

if __name__ == "__main__":
    sys.exit(main())
