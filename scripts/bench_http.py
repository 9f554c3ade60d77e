#!/usr/bin/env python
"""HTTP throughput and latency of `lineage serve` over loopback.

Starts --processes real servers (separate processes, as API replicas) on a
fresh SQLite file, and with --gremlin-url on a Gremlin Server too (its graph is
wiped first), then on each backend

* posts a generated event stream one event per request from --clients
  concurrent clients, spread over the processes (POST /api/v1/lineage),
* posts the same kind of stream in arrays of --batch (POST /api/v1/lineage/batch),

printing events/s and p50/p95 per request, the server figures beside the
embedded ones of the same run, with the CPU seconds the API processes (and,
with --gremlin-pid, the Gremlin Server) spent per event: on a shared machine
events/s follow the load average, CPU per event much less; then (unless --graph-size 0) times GraphQL
lineageGraph (depth 3) on the generated 100k-dataset graph of bench_query.py
(built there first if missing) beside LineageAnalysis.lineage_graph on the same
file, and in-process ingestion (LineageStore.ingest) as the baseline of the
embedded ingest figures. Traffic goes to 127.0.0.1 only and every loop is bounded.

    python scripts/bench_http.py --runs 1500 --clients 8
    python scripts/bench_http.py --runs 600 --processes 2 --graph-size 0 \\
        --gremlin-url ws://127.0.0.1:8182/gremlin --gremlin-pid "$(cat run-8182/java.pid)"
    python scripts/bench_http.py --runs 600 --processes 2 --graph-size 0 --skip-embedded --ack logged \\
        --gremlin-url ws://127.0.0.1:8182/gremlin --gremlin-pid "$(cat run-8182/java.pid)"

With --ack logged the servers answer 202 once an event is in the shared log
(LINEAGE_INGEST_ACK=logged), and the figures add how long the graph took to
apply everything (polling GET /api/v1/events/pending).
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
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import generate  # noqa: E402
from bench_query import LAYERS, build  # noqa: E402
from benchkit import cpu_seconds  # noqa: E402

from lineage import LineageAnalysis, LineageStore, Settings  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db: Path, gremlin_url: str = "", ack: str = "applied") -> None:
        self.port = free_port()
        env = {**os.environ, "LINEAGE_DB": str(db), "LINEAGE_PORT": str(self.port), "LINEAGE_LOG_LEVEL": "WARNING",
               "LINEAGE_INGEST_ACK": ack}
        env.pop("LINEAGE_GREMLIN_URL", None)
        if gremlin_url:
            env["LINEAGE_GREMLIN_URL"] = gremlin_url
        self.proc = subprocess.Popen([sys.executable, "-m", "lineage._cli", "serve"], env=env,
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

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def post_all(urls: str | list[str], bodies: list, clients: int, path: str) -> tuple[float, list[float]]:
    """Client i posts every clients-th body to process i % len(urls)."""
    urls = [urls] if isinstance(urls, str) else urls
    chunks = [bodies[i::clients] for i in range(clients)]
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []

    def worker(index: int, items: list) -> None:
        with httpx.Client(base_url=urls[index % len(urls)], timeout=120) as client:
            for body in items:
                t0 = time.perf_counter()
                r = client.post(path, json=body)
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)
                    if r.status_code not in (200, 201, 202):
                        failures.append(f"{r.status_code} {r.text[:200]}")
    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(chunks)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return time.perf_counter() - started, latencies


def wait_applied(url: str, started: float, limit: float = 1800) -> float:
    """Seconds from ``started`` until no logged event waits to be applied."""
    while httpx.get(url + "/api/v1/events/pending", timeout=60).json()["pending"]:
        if time.perf_counter() - started > limit:
            raise RuntimeError(f"logged events still not applied after {limit:.0f} s")
        time.sleep(0.1)
    return time.perf_counter() - started


def ingest_over_http(db: Path, gremlin_url: str, processes: int, single_events: list, batch_events: list,
                     clients: int, batch: int, gremlin_pid: int = 0, kinds: tuple[str, ...] = ("single", "batch"),
                     ack: str = "applied") -> dict[str, float]:
    if gremlin_url:
        with LineageStore(Settings.from_env({}, gremlin_url=gremlin_url)) as store:
            store.clear_graph(events=True)
    servers = []
    try:
        for _ in range(processes):
            servers.append(Server(db, gremlin_url, ack))
        urls = [s.url for s in servers]

        def cpu() -> tuple[float, float]:
            return sum(cpu_seconds(s.proc.pid) for s in servers), cpu_seconds(gremlin_pid) if gremlin_pid else 0.0

        def loop_cpu() -> float:
            """CPU of the API processes' main threads: the event loop (HTTP, validation),
            as opposed to the writer and worker threads."""
            return sum(cpu_seconds(f"{s.proc.pid}/task/{s.proc.pid}") for s in servers)

        out: dict[str, float] = {}
        batches = [batch_events[i:i + batch] for i in range(0, len(batch_events), batch)]
        for name, bodies, n, path in (("single", single_events, len(single_events), "/api/v1/lineage"),
                                      ("batch", batches, len(batch_events), "/api/v1/lineage/batch")):
            if name not in kinds:
                continue
            api0, gremlin0 = cpu()
            loop0 = loop_cpu()
            t0 = time.perf_counter()
            secs, lat = post_all(urls, bodies, min(clients, len(bodies)), path)
            api1, gremlin1 = cpu()
            loop1 = loop_cpu()
            if ack == "logged" and gremlin_url:   # and until the graph has caught up
                applied = wait_applied(urls[0], t0)
                api2, gremlin2 = cpu()
                out.update({f"{name}_applied": n / applied, f"{name}_applied_wall": applied,
                            f"{name}_applied_api_cpu": (api2 - api0) * 1000 / n,
                            f"{name}_applied_gremlin_cpu": (gremlin2 - gremlin0) * 1000 / n})
            out.update({name: n / secs, f"{name}_p50": statistics.median(lat), f"{name}_p95": pct(lat, 0.95),
                        f"{name}_api_cpu": (api1 - api0) * 1000 / n, f"{name}_loop_cpu": (loop1 - loop0) * 1000 / n, f"{name}_gremlin_cpu": (gremlin1 - gremlin0) * 1000 / n,
                        f"{name}_wall": secs, f"{name}_load": os.getloadavg()[0]})
        return out
    finally:
        for server in servers:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1500, help="runs per stream (two events each)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1, help="`lineage serve` processes per backend")
    parser.add_argument("--gremlin-url", default="", help="also measure a Gremlin Server (its graph is wiped)")
    parser.add_argument("--gremlin-pid", type=int, default=0,
                        help="the Gremlin Server's process id, to report its CPU per event (e.g. $(cat run-8182/java.pid))")
    parser.add_argument("--skip-embedded", action="store_true",
                        help="measure the Gremlin Server only (the ratios to embedded are then left out)")
    parser.add_argument("--batch", type=int, default=250, help="events per batch request")
    parser.add_argument("--ack", choices=("applied", "logged"), default="applied",
                        help="LINEAGE_INGEST_ACK of the servers: with logged, a Gremlin Server's figures also say "
                             "how long until the graph had applied every event")
    parser.add_argument("--graph-size", type=int, default=100_000,
                        help="datasets in the lineageGraph test graph; 0 skips that part")
    parser.add_argument("--single-only", action="store_true",
                        help="time single-event POSTs only (no batch stream, no lineageGraph part), "
                             "e.g. --single-only --runs 300")
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "lineage-bench"))
    args = parser.parse_args()
    kinds = ("single",) if args.single_only else ("single", "batch")
    if args.single_only:
        args.graph_size = 0

    single_events = generate(args.runs, 400, seed=1)
    batch_events = generate(args.runs, 400, seed=2)
    base_events = generate(args.runs, 400, seed=3)
    http: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with LineageStore(Settings.from_env({}, db=str(tmp / "inprocess.db"))) as store:
            t0 = time.perf_counter()
            for i in range(0, len(base_events), 500):
                store.ingest(base_events[i:i + 500])
            inprocess = len(base_events) / (time.perf_counter() - t0)

        if not args.skip_embedded:
            http["embedded"] = ingest_over_http(tmp / "served.db", "", args.processes, single_events, batch_events,
                                                args.clients, args.batch, kinds=kinds)
        if args.gremlin_url:
            http["gremlin"] = ingest_over_http(tmp / "unused.db", args.gremlin_url, args.processes,
                                               single_events, batch_events, args.clients, args.batch, args.gremlin_pid,
                                               kinds=kinds, ack=args.ack)

        if args.graph_size:
            http_lat, sizes, local_lat = lineage_graph_latency(tmp, args)

    print(f"in-process ingest (LineageStore, batches of 500, embedded): {inprocess:8.0f} events/s")
    base = http.get("embedded")
    for name, r in http.items():
        where = "embedded file" if name == "embedded" else f"Gremlin Server {args.gremlin_url}"
        print(f"{where}, {args.processes} process(es), {args.clients} clients:")
        for kind, label in (("single", "POST /api/v1/lineage:             "),
                            ("batch", f"POST /api/v1/lineage/batch ({args.batch}/req):")):
            if kind not in kinds:
                continue
            ratios = (f"; {r[kind] / base[kind]:.2f} of embedded" if base else "") + f", {r[kind] / inprocess:.2f} of in-process"
            print(f"  {label} {r[kind]:8.0f} events/s (p50 {r[f'{kind}_p50']:.1f} ms, p95 {r[f'{kind}_p95']:.1f} ms "
                  f"per request{ratios})")
            server = f", Gremlin Server {r[f'{kind}_gremlin_cpu']:.1f} ms" if name != "embedded" and args.gremlin_pid else ""
            print(f"      CPU per event: API processes {r[f'{kind}_api_cpu']:.2f} ms (event loop "
                  f"{r[f'{kind}_loop_cpu']:.2f} ms, writer and other threads "
                  f"{r[f'{kind}_api_cpu'] - r[f'{kind}_loop_cpu']:.2f} ms){server}; "
                  f"{r[f'{kind}_wall']:.1f} s wall, load average {r[f'{kind}_load']:.1f}")
            if f"{kind}_applied" in r:
                print(f"      applied to the graph (202 = logged): all {r[f'{kind}_applied']:.0f} events/s, "
                      f"{r[f'{kind}_applied_wall']:.1f} s wall from the first request; CPU per event until then: "
                      f"API processes {r[f'{kind}_applied_api_cpu']:.1f} ms, "
                      f"Gremlin Server {r[f'{kind}_applied_gremlin_cpu']:.1f} ms")
    if args.graph_size:
        print(f"GraphQL lineageGraph depth 3 on {args.graph_size} datasets: p50 {statistics.median(http_lat):.1f} ms, "
              f"p95 {pct(http_lat, 0.95):.1f} ms (median {statistics.median(sizes):.0f} nodes); in-process p50 "
              f"{statistics.median(local_lat):.1f} ms, p95 {pct(local_lat, 0.95):.1f} ms; "
              f"HTTP overhead p50 {statistics.median(http_lat) / statistics.median(local_lat):.2f}x")
    return 0


def lineage_graph_latency(tmp: Path, args: argparse.Namespace) -> tuple[list[float], list[int], list[float]]:
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    source = cache / f"dag-{args.graph_size}.db"
    build(source, args.graph_size)
    graph_db = tmp / "graph.db"
    shutil.copy(source, graph_db)
    rng = random.Random(5)
    per_layer = args.graph_size // LAYERS
    ids = [f"l{LAYERS // 2}/ds_{rng.randrange(per_layer)}" for _ in range(args.samples)]
    query = ("query($id: String!) { lineageGraph(nodeId: $id, nodeType: \"Dataset\", depth: 3) "
             "{ nodeCount edgeCount truncated nodes { id label name layer } edges { label source target } } }")
    server = Server(graph_db)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            client.post("/graphql", json={"query": query, "variables": {"id": ids[0]}})
            http_lat, sizes = [], []
            for node in ids:
                t0 = time.perf_counter()
                r = client.post("/graphql", json={"query": query, "variables": {"id": node}}).json()
                http_lat.append((time.perf_counter() - t0) * 1000)
                sizes.append(r["data"]["lineageGraph"]["nodeCount"])
    finally:
        server.stop()
    import sqlite3

    from lineage.graph import SqlGraph
    q = LineageAnalysis(SqlGraph(sqlite3.connect(graph_db)))  # the engine the server reads with
    local_lat = []
    for node in ids:
        t0 = time.perf_counter()
        q.lineage_graph(node, "Dataset", 3)
        local_lat.append((time.perf_counter() - t0) * 1000)
    return http_lat, sizes, local_lat


if __name__ == "__main__":
    sys.exit(main())
