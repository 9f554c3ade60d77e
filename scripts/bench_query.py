#!/usr/bin/env python
"""Query latency on the embedded default, beside an in-memory graph.

Builds (or reuses, under --cache) a generated lineage DAG per size: datasets
in layers, each derived from 1-4 datasets near it in the layer before,
a pipeline per two datasets, a few hub datasets read by 1% of the next layer,
and models trained on the last layer. Then, for a sample of datasets, times

* upstream depth 5 and depth 10,
* impact analysis (depth 10),
* the lineage graph around the node (depth 3, node cap 200),

through ``LineageAnalysis`` on the SQLite file, and the same level-by-level
traversals on a networkx DiGraph of the same edges. Prints p50/p95 ms, the
answer sizes, the ratio to the in-memory baseline, and how p50 grows between
the smallest and largest size.

    python scripts/bench_query.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import networkx as nx
from gremlin_python.process.anonymous_traversal import traversal

from lineage import LineageAnalysis

LAYERS = 12


def build(path: Path, n: int, seed: int = 7) -> nx.DiGraph:
    """Write the DAG into a gremlite file (if absent) and return it as a networkx graph.

    Node keys are ("Dataset"|"Pipeline"|"Model", id); edges point downstream
    (input -> output), and the pipeline edges are kept as node attributes."""
    rng = random.Random(seed)
    per_layer = n // LAYERS
    layers = [[f"l{layer}/ds_{i}" for i in range(per_layer)] for layer in range(LAYERS)]
    hubs = [layers[0][i] for i in range(0, per_layer, max(1, per_layer // 5))][:5]
    derived: list[tuple[str, str]] = []
    for layer in range(1, LAYERS):
        prev = layers[layer - 1]
        for i, ds in enumerate(layers[layer]):
            window = prev[max(0, i - 3): i + 4]
            for src in rng.sample(window, min(len(window), rng.randint(1, 4))):
                derived.append((src, ds))
            if layer == 1 and rng.random() < 0.01:
                derived.append((rng.choice(hubs), ds))
    models = [(f"model_{i}@1", rng.sample(layers[-1], 3)) for i in range(max(1, per_layer // 100))]
    pipelines = {ds: f"job_{layer}_{i // 2}" for layer in range(1, LAYERS) for i, ds in enumerate(layers[layer])}

    graph = nx.DiGraph()
    for src, dst in derived:
        graph.add_edge(("Dataset", src), ("Dataset", dst))
    for mid, inputs in models:
        for src in inputs:
            graph.add_edge(("Dataset", src), ("Model", mid))
    graph.graph["pipelines"] = pipelines
    if path.exists():
        return graph

    from gremlite import SQLiteConnection

    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    remote = SQLiteConnection(tmp, autocommit=False)
    g = traversal().with_remote(remote)
    ids: dict[tuple[str, str], int] = {}
    started = time.perf_counter()
    count = 0

    def commit_every(k: int = 2000) -> None:
        nonlocal count
        count += 1
        if count % k == 0:
            remote.commit()

    for layer, names in enumerate(layers):
        for ds in names:
            ids[("Dataset", ds)] = (g.add_v("Dataset").property("dataset_id", ds).property("namespace", f"l{layer}")
                                    .property("name", ds.split("/")[1]).property("layer", "bronze" if layer == 0 else "silver")
                                    .property("version", "v1").id_().next())
            commit_every()
    for job in sorted(set(pipelines.values())):
        ids[("Pipeline", job)] = (g.add_v("Pipeline").property("pipeline_id", job).property("name", job)
                                  .property("code_version", "1").id_().next())
        commit_every()
    for mid, _ in models:
        ids[("Model", mid)] = (g.add_v("Model").property("model_id", mid).property("model_name", mid[:-2])
                               .property("version", "1").id_().next())
        commit_every()

    def edge(label: str, a: tuple[str, str], b: tuple[str, str], **props: str) -> None:
        t = g.V(ids[a]).as_("a").V(ids[b]).add_e(label).from_("a")
        for k, v in props.items():
            t = t.property(k, v)
        t.iterate()
        commit_every()

    consumed = set()
    for src, dst in derived:
        job = pipelines[dst]
        edge("DERIVED_FROM", ("Dataset", dst), ("Dataset", src), pipeline_id=job, version="v1")
        if (job, src) not in consumed:
            consumed.add((job, src))
            edge("CONSUMES", ("Pipeline", job), ("Dataset", src), pipeline_id=job)
    for dst, job in pipelines.items():
        edge("GENERATED_BY", ("Dataset", dst), ("Pipeline", job), pipeline_id=job)
    for mid, inputs in models:
        for src in inputs:
            edge("TRAINED_ON", ("Model", mid), ("Dataset", src), pipeline_id="train", version="v1")
    remote.commit()
    remote.close()
    tmp.rename(path)
    print(f"  built {path.name}: {len(ids)} vertices in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return graph


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


def timed(fn, samples):
    times, sizes = [], []
    for s in samples:
        t0 = time.perf_counter()
        size = fn(s)
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append(size)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], statistics.median(sizes)


def run_size(path: Path, n: int, samples: int) -> dict:
    from gremlite import SQLiteConnection

    graph = build(path, n)
    g = traversal().with_remote(SQLiteConnection(path, autocommit=False))
    q = LineageAnalysis(g)
    rng = random.Random(1)
    per_layer = n // LAYERS
    deep = [f"l{LAYERS - 1}/ds_{rng.randrange(per_layer)}" for _ in range(samples)]
    mid = [f"l{LAYERS // 2}/ds_{rng.randrange(per_layer)}" for _ in range(samples)]
    cases = {
        "upstream depth 5": (lambda d: len(q.upstream(d, 5)), deep,
                             lambda d: len(nx_levels(graph, ("Dataset", d), 5, True)) - 1),
        "upstream depth 10": (lambda d: len(q.upstream(d, 10)), deep,
                              lambda d: len(nx_levels(graph, ("Dataset", d), 10, True)) - 1),
        "impact analysis": (lambda d: q.impact(d, "schema", 10)["total_affected"], mid,
                            lambda d: len(nx_levels(graph, ("Dataset", d), 10, False)) - 1),
        "lineage graph depth 3": (lambda d: len(q.lineage_graph(d, "Dataset", 3).nodes), mid,
                                  lambda d: nx_graph(graph, ("Dataset", d), 3, 200)),
    }
    out = {}
    for name, (ours, sample, base) in cases.items():
        ours(sample[0])  # warm the page cache
        p50, p95, size = timed(ours, sample)
        b50, b95, bsize = timed(base, sample)
        out[name] = (p50, p95, size, b50, b95, bsize)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="dataset counts, comma-separated")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "lineage-bench"))
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    for n in sizes:
        results[n] = run_size(cache / f"dag-{n}.db", n, args.samples)
        print(f"\n{n} datasets")
        print(f"{'query':24} {'p50 ms':>8} {'p95 ms':>8} {'answer':>7} | {'networkx p50':>12} {'p95':>7} {'answer':>7} | {'ratio p50':>9}")
        for name, (p50, p95, size, b50, b95, bsize) in results[n].items():
            print(f"{name:24} {p50:8.1f} {p95:8.1f} {size:7.0f} | {b50:12.2f} {b95:7.2f} {bsize:7.0f} | {p50 / max(b50, 1e-3):9.0f}x")
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        print(f"\ngrowth of p50 from {lo} to {hi} datasets:")
        for name in results[lo]:
            print(f"  {name:24} {results[hi][name][0] / results[lo][name][0]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
