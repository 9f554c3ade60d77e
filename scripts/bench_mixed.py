#!/usr/bin/env python
"""Reads under writes: GraphQL read latency with and without concurrent ingestion,
and the server's memory over the run.

Starts `lineage serve` in its own process on a copy of a SQLite file seeded with
a generated lakehouse (bench_ingest.generate), then

1. unloaded: one client sends the read mix (lineageGraph depth 3, datasetLineage,
   impactAnalysis, search) for --baseline seconds;
2. loaded: --clients clients for --seconds, each request a write (one event, or
   a batch of 20, fresh runs of the same jobs) with probability --write-share,
   else a read from the same mix (--pause-ms: a pause between requests);

sampling the RSS of the serving process and of each reader process every
--sample-every seconds. Prints read p50/p99 loaded beside unloaded (the ratio),
write latencies and throughput, requests/s, where a pooled query's time went on
the server (waiting for an idle reader, the round trip, executing; from
/metrics), the CPU seconds the server's processes and the load clients spent in
each phase (and the server's share of the 2 cores), the load average, the RSS
series and each process's growth over the last 5 minutes (MB/min).

--read-processes N serves GraphQL queries from N reader processes
(LINEAGE_READ_PROCESSES); 0 answers them in the serving process's threads.
--compare runs both, in-process then N (2 unless given), back to back on copies
of one seed file, and prints their ratios. --env passes a setting to the server.
The machine is shared with other work, so timings are noisy: compare ratios
measured in one run, and rerun before reading much into a single figure.

    python scripts/bench_mixed.py --compare --seconds 40 --baseline 15
    python scripts/bench_mixed.py --read-processes 2 --env LINEAGE_WRITER_NICENESS=10
    nice -n 10 python scripts/bench_mixed.py --read-processes 2 --seconds 600 --sample-every 10
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
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
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError("the server did not become ready")
        if env.get("LINEAGE_READ_PROCESSES", "0") != "0":
            self._warm(int(env["LINEAGE_READ_PROCESSES"]), deadline)

    def _warm(self, processes: int, deadline: float) -> None:
        """Until its reader processes have started, the server answers queries itself:
        wait until they have answered a few (each in turn), so no phase measures the start."""
        query = {"query": READS[-1][1], "variables": {"id": "s"}}
        while time.monotonic() < deadline + 60:
            httpx.post(self.url + "/graphql", json=query, timeout=60)
            if scrape(self.url).get("lineage_read_pool_wait_seconds_count", 0) >= 3 * processes:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the reader processes did not start")

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

    def rss_mb(self) -> dict[str, float]:
        """Resident memory (MB) of the serving process and of each child but the SQL parse
        workers (the reader processes), keyed "server" or "reader PID"."""
        found: dict[str, float] = {}
        for proc in self.processes():
            try:
                status = (proc / "status").read_text()
                cmdline = (proc / "cmdline").read_text(errors="replace")
            except OSError:
                continue
            if "_sqlworker" in cmdline or "resource_tracker" in cmdline:
                continue
            role = "server" if proc.name == str(self.proc.pid) else f"reader {proc.name}"
            found[role] = next((int(line.split()[1]) / 1024 for line in status.splitlines()
                                if line.startswith("VmRSS:")), 0.0)
        return found

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

    def client(self, seed: int, until: float, pause: float = 0.0) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.url, timeout=120) as http:
            while time.monotonic() < until:
                if pause:
                    time.sleep(pause * rng.uniform(0.5, 1.5))
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

    def run(self, clients: int, seconds: float, pause: float = 0.0) -> float:
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=self.client, args=(i, until, pause)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return seconds

    def all_reads(self) -> list[float]:
        return [v for values in self.reads.values() for v in values]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=150, help="loaded phase length, e.g. --seconds 600")
    parser.add_argument("--baseline", type=float, default=30, help="unloaded phase length, e.g. --baseline 20")
    parser.add_argument("--clients", type=int, default=8, help="concurrent load clients, e.g. --clients 8")
    parser.add_argument("--write-share", type=float, default=0.5, help="share of requests that write, e.g. 0.5")
    parser.add_argument("--runs", type=int, default=1500, help="runs in the seed graph (two events each)")
    parser.add_argument("--read-processes", type=int, default=0,
                        help="LINEAGE_READ_PROCESSES of the server (0: queries in the serving process), e.g. 2")
    parser.add_argument("--compare", action="store_true",
                        help="run twice on copies of one seed file: in-process serving, then --read-processes "
                             "(2 when not given), and print both and their ratios")
    parser.add_argument("--pause-ms", type=float, default=0.0,
                        help="each load client's pause between requests, e.g. --pause-ms 100 (less CPU demand)")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between RSS samples, e.g. 10")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the server, e.g. --env LINEAGE_WRITER_NICENESS=0")
    args = parser.parse_args()

    seed = generate(args.runs, 300, seed=11)
    writes = [e for e in generate(400, 300, seed=11) if e.get("eventType") == "COMPLETE"]
    ids = sorted({f"{d['namespace']}/{d['name']}" for e in seed for d in e.get("outputs", [])})
    print(f"seed graph: {len(seed)} events, {len(ids)} output datasets; machine shared, timings noisy")
    extra = dict(item.split("=", 1) for item in args.env)
    modes = [0, args.read_processes or 2] if args.compare else [args.read_processes]
    with tempfile.TemporaryDirectory() as tmp:
        seeded = Path(tmp) / "seed.db"
        with LineageStore(Settings.from_env({}, db=str(seeded))) as store:
            store.ingest(seed)
        results = []
        for processes in modes:
            db = Path(tmp) / f"mixed-{processes}.db"
            shutil.copyfile(seeded, db)   # closing the store checkpointed the WAL into the file
            server = Server(db, LINEAGE_READ_PROCESSES=str(processes), **extra)
            results.append(measure(args, server, ids, writes, processes))
    if len(results) == 2:
        compare(*results)
    return 0


def rss_slope(series: list[tuple[float, float]], window: float = 300.0) -> tuple[float, float]:
    """Least-squares growth (MB per minute) over the last ``window`` seconds of a
    (seconds, MB) series (its second half when the run is shorter), and the span used."""
    if len(series) < 2:
        return float("nan"), 0.0
    end = series[-1][0]
    span = min(window, end / 2) if end < 2 * window else window
    tail = [(t, mb) for t, mb in series if t >= end - span]
    if len(tail) < 2:
        return float("nan"), 0.0
    mt = statistics.fmean(t for t, _ in tail)
    mm = statistics.fmean(mb for _, mb in tail)
    den = sum((t - mt) ** 2 for t, _ in tail)
    return (sum((t - mt) * (mb - mm) for t, mb in tail) / den * 60 if den else float("nan")), span


def scrape(url: str) -> dict[str, float]:
    """The server's reader-pool timings from /metrics (sums and counts)."""
    found: dict[str, float] = {}
    try:
        text = httpx.get(url + "/metrics", timeout=30).text
    except httpx.HTTPError:
        return found
    for line in text.splitlines():
        if line.startswith("lineage_read_pool_") and ("_sum" in line or "_count" in line):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def measure(args: argparse.Namespace, server: Server, ids: list[str], writes: list[dict],
            processes: int) -> dict[str, float]:
    rss: list[tuple[float, dict[str, float]]] = []
    stop = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while not stop.is_set():
            rss.append((time.monotonic() - started, server.rss_mb()))
            stop.wait(args.sample_every)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    phases = []
    cpu: dict[str, float] = {}
    pool: dict[str, float] = {}

    def phase(name: str, load: "Load", clients: int, seconds: float) -> None:
        cpu0, mine0, load0 = server.cpu_seconds(), time.process_time(), os.getloadavg()[0]
        before = scrape(server.url)
        load.run(clients, seconds, args.pause_ms / 1000)
        cpu[name] = server.cpu_seconds() - cpu0
        after = scrape(server.url)
        pool.update({f"{name} {k}": after[k] - before.get(k, 0.0) for k in after})
        phases.append(f"{name}: server CPU {cpu[name]:.1f} s ({cpu[name] / seconds / 2:.0%} of 2 cores), "
                      f"load clients CPU {time.process_time() - mine0:.1f} s, in {seconds:.0f} s wall; "
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
    print(f"\n== server: LINEAGE_READ_PROCESSES={processes}" + (f", clients pause {args.pause_ms:.0f} ms"
                                                                if args.pause_ms else ""))
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
    for name in ("unloaded", "loaded"):
        n = pool.get(f"{name} lineage_read_pool_wait_seconds_count", 0.0)
        if n:
            wait = pool[f"{name} lineage_read_pool_wait_seconds_sum"] / n * 1000
            work = pool[f"{name} lineage_read_pool_execute_seconds_sum"] / n * 1000
            trip = pool[f"{name} lineage_read_pool_round_trip_seconds_sum"] / n * 1000
            print(f"  server side, {name}: mean wait for an idle reader {wait:.0f} ms, round trip to it "
                  f"{trip:.0f} ms, of which executing {work:.0f} ms ({n:.0f} queries)")
    for line in phases:
        print(line)
    roles = sorted({role for _, sample in rss for role in sample}, key=lambda r: (r != "server", r))
    print(f"RSS MB every {args.sample_every:.0f} s (t: " + " / ".join(roles) + "): "
          + ", ".join(f"{t:.0f}s " + "/".join(f"{sample.get(r, 0):.0f}" for r in roles) for t, sample in rss))
    total = [(t, sum(sample.values())) for t, sample in rss]
    for role, series in [("all", total)] + [(r, [(t, s[r]) for t, s in rss if r in s]) for r in roles]:
        slope, span = rss_slope(series)
        if series:
            print(f"  RSS {role}: {series[0][1]:.0f} -> {series[-1][1]:.0f} MB; "
                  f"slope over the last {span:.0f} s {slope:+.2f} MB/min")
    if quiet.errors or loaded.errors:
        print(f"{len(quiet.errors) + len(loaded.errors)} failed requests, e.g. {(quiet.errors + loaded.errors)[0]}")
    return {"p50": statistics.median(busy), "p99": pct(busy, 0.99), "base50": statistics.median(base),
            "base99": pct(base, 0.99), "rps": (len(busy) + len(loaded.write_ms)) / args.seconds,
            "events": sum(loaded.written) / args.seconds, "cpu": cpu["loaded"], "processes": processes,
            "rss": total[-1][1] if total else float("nan")}


def compare(inproc: dict[str, float], pooled: dict[str, float]) -> None:
    print(f"\n== same run: in-process vs {pooled['processes']:.0f} reader processes (reader / in-process)")
    for key, label in [("base50", "unloaded read p50 ms"), ("base99", "unloaded read p99 ms"),
                       ("p50", "loaded read p50 ms"), ("p99", "loaded read p99 ms"),
                       ("rps", "requests/s"), ("events", "events/s"), ("cpu", "server CPU s (loaded)"),
                       ("rss", "RSS MB at the end")]:
        print(f"  {label:24s} {inproc[key]:8.1f} {pooled[key]:8.1f}   {pooled[key] / inproc[key]:.2f}x")
    print(f"  {'loaded/unloaded p50':24s} {inproc['p50'] / inproc['base50']:7.2f}x "
          f"{pooled['p50'] / pooled['base50']:7.2f}x")


if __name__ == "__main__":
    sys.exit(main())
