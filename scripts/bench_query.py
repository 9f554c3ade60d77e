#!/usr/bin/env python
"""Query latency on the embedded default, beside two anchors, in one run.

Builds (or reuses, under --cache) the generated lineage DAG of ``benchgraph.py``
per size (datasets in layers, each derived from 1-4 datasets near it in the
layer before, a pipeline per two datasets, a few hub datasets read by 1% of the
next layer, and models trained on the last layer; the 1M graph in minutes).
Then, for a sample of datasets, times

* upstream depth 5 and depth 10, downstream depth 5,
* impact analysis (depth 10),
* the lineage graph around the node (depth 3, node cap 200),

through ``LineageAnalysis`` on the SQLite file (the SQL graph), interleaved with
the same questions on two anchors: level-by-level traversal of an in-memory
networkx DiGraph, and one recursive CTE on a plain indexed SQLite edge table
(in memory). Prints p50/p95 ms, answer sizes, how many answers differ from ours
(set of (node, distance)), the ratios, and how p50 grows between sizes.

With --http, GraphQL lineageGraph (depth 3) is also timed over HTTP on the
largest graph: a real ``lineage serve`` on a copy of the file, interleaved with
the same question in-process; it prints wall p50/p95 of both, the CPU the
server process spent per request, and the load average.

    python scripts/bench_query.py --sizes 10000,100000 --http
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import statistics
import sys
import time
from pathlib import Path

import networkx as nx

from benchgraph import LAYERS, dag, write_rows
from benchkit import bench_args, cpu_seconds, load_average, stats, timed_cpu
from lineage import LineageAnalysis
from lineage.graph import SqlGraph
from lineage.graph.sql import tune_reads
from lineage.graph.records import ensure_records

def build(path: Path, n: int, seed: int = 7) -> nx.DiGraph:
    """The generated DAG (:mod:`benchgraph`) as a networkx graph, written into a lineage
    file at ``path`` first if there is none (gremlite's rows, written directly: the
    same graph the SQL writer makes, ``benchgraph.py --check`` compares them).

    Node keys are ("Dataset"|"Pipeline"|"Model", id); edges point downstream
    (input -> output), and the pipeline edges are kept as node attributes."""
    d = dag(n, seed)
    graph = nx.DiGraph()
    for src, dst in d.derived:
        graph.add_edge(("Dataset", src), ("Dataset", dst))
    for mid, inputs in d.models:
        for src in inputs:
            graph.add_edge(("Dataset", src), ("Model", mid))
    graph.graph["pipelines"] = d.pipelines
    if path.exists():
        return graph
    tmp = path.with_suffix(".building")
    for stale in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        stale.unlink(missing_ok=True)
    started, cpu = time.perf_counter(), time.process_time()
    write_rows(tmp, d)
    tmp.rename(path)
    print(f"  built {path.name} in {time.perf_counter() - started:.0f}s (CPU {time.process_time() - cpu:.0f}s, "
          f"{load_average()})", file=sys.stderr)
    return graph


class EdgeTable(sqlite3.Connection):
    ids: dict


def edge_table(graph: nx.DiGraph) -> EdgeTable:
    """The anchor: the same lineage edges in a plain SQLite edge table, indexed both ways."""
    con = sqlite3.connect(":memory:", factory=EdgeTable)
    con.execute("CREATE TABLE nodes (id INTEGER PRIMARY KEY, label TEXT, key TEXT)")
    con.execute("CREATE TABLE edges (src INTEGER, dst INTEGER)")
    ids = {node: i for i, node in enumerate(graph.nodes)}
    con.executemany("INSERT INTO nodes VALUES (?, ?, ?)", ((i, n[0], n[1]) for n, i in ids.items()))
    con.executemany("INSERT INTO edges VALUES (?, ?)", ((ids[a], ids[b]) for a, b in graph.edges))
    con.execute("CREATE INDEX edges_src ON edges (src, dst)")
    con.execute("CREATE INDEX edges_dst ON edges (dst, src)")
    con.execute("ANALYZE")
    con.ids = ids
    return con


def cte_levels(con: EdgeTable, start: tuple[str, str], depth: int, reverse: bool) -> dict:
    """Nodes within ``depth`` of ``start`` with their distance: one recursive CTE."""
    near, far = ("dst", "src") if reverse else ("src", "dst")
    rows = con.execute(
        f"WITH RECURSIVE r(v, d) AS (SELECT ?, 0 UNION SELECT e.{far}, r.d + 1 FROM r "
        f"JOIN edges e ON e.{near} = r.v WHERE r.d < ?) "
        "SELECT n.label, n.key, MIN(r.d) FROM r JOIN nodes n ON n.id = r.v GROUP BY r.v",
        (con.ids[start], depth)).fetchall()
    return {(label, key): d for label, key, d in rows}


def nx_levels(graph: nx.DiGraph, start: tuple[str, str], depth: int, reverse: bool) -> dict:
    seen = {start: 0}
    frontier = [start]
    nbrs = graph.predecessors if reverse else graph.successors
    for d in range(1, depth + 1):
        nxt = []
        for node in frontier:
            for other in nbrs(node):
                if other not in seen:
                    seen[other] = d
                    nxt.append(other)
        frontier = nxt
    return seen


def nx_graph(graph: nx.DiGraph, start: tuple[str, str], depth: int, cap: int) -> int:
    up = nx_levels(graph, start, depth, True)
    down = nx_levels(graph, start, depth, False)
    nodes = set(up) | set(down)
    pipes = {graph.graph["pipelines"].get(k[1]) for k in nodes if k[0] == "Dataset"}
    return min(cap, len(nodes) + len(pipes - {None}))


def run_size(path: Path, n: int, samples: int) -> dict:
    graph = build(path, n)
    con = sqlite3.connect(path)
    tune_reads(con)  # as the product's readers are set up
    ours = SqlGraph(con)
    ensure_records(con, ours)  # a file cached by an earlier version gets its node records once
    q = LineageAnalysis(ours)
    anchor = edge_table(graph)
    rng = random.Random(1)
    per_layer = n // LAYERS
    deep = [f"l{LAYERS - 1}/ds_{rng.randrange(per_layer)}" for _ in range(samples)]
    mid = [f"l{LAYERS // 2}/ds_{rng.randrange(per_layer)}" for _ in range(samples)]

    def found(nodes: list[dict]) -> set:
        return {((n["label"], n["id"]), n["distance"]) for n in nodes}

    def impact(d: str) -> set:
        r = q.impact(d, "schema", 10)
        return found(r["datasets"] + r["models"] + r["features"])

    def levels(d: str, depth: int, reverse: bool, fn) -> set:
        return {(k, v) for k, v in fn(("Dataset", d), depth, reverse).items() if v > 0}

    nxl = lambda s, d, r: nx_levels(graph, s, d, r)  # noqa: E731
    ctel = lambda s, d, r: cte_levels(anchor, s, d, r)  # noqa: E731
    cases = {
        "upstream depth 5": (deep, lambda d: found(q.upstream(d, 5)), lambda d: levels(d, 5, True, nxl),
                             lambda d: levels(d, 5, True, ctel)),
        "upstream depth 10": (deep, lambda d: found(q.upstream(d, 10)), lambda d: levels(d, 10, True, nxl),
                              lambda d: levels(d, 10, True, ctel)),
        "downstream depth 5": (mid, lambda d: found(q.downstream(d, 5)), lambda d: levels(d, 5, False, nxl),
                               lambda d: levels(d, 5, False, ctel)),
        "impact depth 10": (mid, impact, lambda d: levels(d, 10, False, nxl), lambda d: levels(d, 10, False, ctel)),
        "lineage graph depth 3": (mid, lambda d: len(q.lineage_graph(d, "Dataset", 3).nodes),
                                  lambda d: nx_graph(graph, ("Dataset", d), 3, 200), None),
    }
    out = {}
    for name, (sample, *fns) in cases.items():
        for fn in fns:  # warm the page cache
            if fn:
                fn(sample[0])
        times: list[list[float]] = [[], [], []]
        cpu: list[list[float]] = [[], [], []]
        sizes: list[int] = []
        mismatches = 0
        for s in sample:  # interleaved: the three engines share whatever noise there is
            answers = []
            for i, fn in enumerate(fns):
                if fn is None:
                    continue
                wall, cpu_ms, answer = timed_cpu(fn, s)
                answers.append(answer)
                cpu[i].append(cpu_ms)
                times[i].append(wall)
            sizes.append(answers[0] if isinstance(answers[0], int) else len(answers[0]))
            if not isinstance(answers[0], int):
                mismatches += any(a != answers[0] for a in answers[1:])
        out[name] = ([(*stats(t), stats(c)[0]) for t, c in zip(times, cpu)], statistics.median(sizes), mismatches)
    con.close()
    return out


LINEAGE_GRAPH = ("query($id: String!) { lineageGraph(nodeId: $id, nodeType: \"Dataset\", depth: 3) "
                 "{ nodeCount edgeCount truncated nodes { id label name layer } edges { label source target } } }")


def http_size(path: Path, n: int, samples: int) -> None:
    """lineageGraph depth 3 over HTTP (a real server on a copy of the file) beside the
    same question in-process, interleaved."""
    import httpx

    rng = random.Random(5)
    ids = [f"l{LAYERS // 2}/ds_{rng.randrange(n // LAYERS)}" for _ in range(samples)]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "graph.db"
        shutil.copy(path, db)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "LINEAGE_DB": str(db), "LINEAGE_PORT": str(port), "LINEAGE_LOG_LEVEL": "WARNING"}
        env.pop("LINEAGE_GREMLIN_URL", None)
        server = subprocess.Popen([sys.executable, "-m", "lineage._cli", "serve"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            reads = sqlite3.connect(db)
            tune_reads(reads)
            q = LineageAnalysis(SqlGraph(reads))  # the engine the server reads with
            over_http, local, local_cpu, sizes = [], [], [], []
            with httpx.Client(base_url=url, timeout=60) as client:
                for node in ids[:3]:   # warm both
                    client.post("/graphql", json={"query": LINEAGE_GRAPH, "variables": {"id": node}})
                    q.lineage_graph(node, "Dataset", 3)
                served = 0.0
                for node in ids:
                    c0 = cpu_seconds(server.pid)
                    t0 = time.perf_counter()
                    r = client.post("/graphql", json={"query": LINEAGE_GRAPH, "variables": {"id": node}}).json()
                    over_http.append((time.perf_counter() - t0) * 1000)
                    served += cpu_seconds(server.pid) - c0
                    sizes.append(r["data"]["lineageGraph"]["nodeCount"])
                    t0, c0 = time.perf_counter(), time.process_time()
                    q.lineage_graph(node, "Dataset", 3)
                    local_cpu.append((time.process_time() - c0) * 1000)
                    local.append((time.perf_counter() - t0) * 1000)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"\nGraphQL lineageGraph depth 3 on {n} datasets ({samples} starts, median {statistics.median(sizes):.0f} "
          f"nodes), interleaved with the same question in-process:")
    print(f"  over HTTP   wall p50 {statistics.median(over_http):6.1f} ms  p95 {stats(over_http)[1]:6.1f} ms;"
          f" server CPU {served * 1000 / samples:5.1f} ms per request (clock ticks, averaged)")
    print(f"  in-process  wall p50 {statistics.median(local):6.1f} ms  p95 {stats(local)[1]:6.1f} ms;"
          f" CPU p50 {statistics.median(local_cpu):5.1f} ms")
    print(f"  load average {os.getloadavg()[0]:.1f}")


def main() -> int:
    args, cache, sizes = bench_args(__doc__, 50, [("--http", "also time GraphQL lineageGraph over HTTP on the largest graph")])
    results = {}
    for n in sizes:
        results[n] = run_size(graph_path(cache, n), n, args.samples)
        print(f"\n{n} datasets ({args.samples} starts per query, engines interleaved)")
        print("ms: wall-clock p50 and p95, and p50 of the process's CPU time (what a query costs when the\n"
              "machine is busy: waiting for a core is not counted); ratios are ours / anchor on CPU p50 (wall p50)")
        print(f"{'query':22} {'ours p50':>8} {'p95':>6} {'cpu':>6} | {'networkx':>8} {'p95':>6} {'cpu':>6} |"
              f" {'edge CTE':>8} {'p95':>6} {'cpu':>6} | {'answer':>6} {'differ':>6} | {'/networkx':>15} {'/CTE':>13}")
        for name, ((ours, nxs, cte), size, mismatches) in results[n].items():
            print(f"{name:22} {ours[0]:8.2f} {ours[1]:6.2f} {ours[2]:6.2f} | {nxs[0]:8.2f} {nxs[1]:6.2f} {nxs[2]:6.2f} |"
                  f" {cte[0]:8.2f} {cte[1]:6.2f} {cte[2]:6.2f} | {size:6.0f} {mismatches:6d} |"
                  f" {ours[2] / nxs[2]:6.1f}x ({ours[0] / nxs[0]:5.1f}x) {ours[2] / cte[2]:5.1f}x ({ours[0] / cte[0]:5.1f}x)")
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        print(f"\ngrowth of our p50 from {lo} to {hi} datasets (CPU, wall):")
        for name in results[lo]:
            hi_ours, lo_ours = results[hi][name][0][0], results[lo][name][0][0]
            print(f"  {name:22} {hi_ours[2] / lo_ours[2]:.2f}x  {hi_ours[0] / lo_ours[0]:.2f}x")
    print(f"load average {os.getloadavg()[0]:.1f}")
    if args.http:
        http_size(graph_path(cache, sizes[-1]), sizes[-1], args.samples)
    return 0


def graph_path(cache: Path, n: int) -> Path:
    """The cached benchmark graph of ``n`` datasets (written by the SQL writer)."""
    return cache / f"sqldag-{n}.db"


if __name__ == "__main__":
    sys.exit(main())
