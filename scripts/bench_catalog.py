#!/usr/bin/env python
"""The whole-label reads (data catalog, data sources, whole-graph export, the
summary report's reads) on the embedded file: the graph interface's SQL implementation
beside the raw Gremlin traversals these reads used before, run through gremlite
on the same file, interleaved in one run.

Uses bench_query's generated DAG (built, or reused under --cache, then copied, so
the cached file is never written); prints wall and CPU p50 per read and
implementation, the CPU ratio, whether both give the same answer, and the load
average.

    python scripts/bench_catalog.py --sizes 10000 --samples 5
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from gremlin_python.process.graph_traversal import __

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_query import build, graph_path  # noqa: E402
from benchkit import bench_args, load_average, stats, timed_cpu  # noqa: E402
from lineage import LineageAnalysis, LineageStore, Settings  # noqa: E402
from lineage import _model as m  # noqa: E402
from lineage.catalog import registry  # noqa: E402
from lineage.graph.interface import LINEAGE_EDGES  # noqa: E402
from lineage.query import LineageQueryEngine, LineageVisualizer  # noqa: E402

ARTIFACT_AND_PIPELINE = (m.DATASET, m.PIPELINE, m.MODEL, m.FEATURE)


# -- the reads as they were written before, in Gremlin on the traversal source -------

def gremlin_catalog(g: Any) -> list[str]:
    rows = g.V().has_label(m.DATASET).project("d", "by").by(__.value_map()) \
        .by(__.out(m.GENERATED_BY).values("pipeline_id").fold()).to_list()
    return sorted(r["d"]["dataset_id"][0] for r in rows)


def gremlin_sources(g: Any) -> list[str]:
    rows = (g.V().has_label(m.DATASET).project("id", "ns", "name", "type", "up")
            .by(__.values("dataset_id")).by(__.values("namespace").fold()).by(__.values("name").fold())
            .by(__.values("dataset_type").fold()).by(__.out_e(*LINEAGE_EDGES).limit(1).count()).to_list())
    return sorted(r["id"] for r in rows if not r["up"])


def gremlin_export(g: Any, cap: int = 2000) -> int:
    ids = g.V().has_label(*ARTIFACT_AND_PIPELINE).limit(cap + 1).id_().to_list()[:cap]
    for i in range(0, len(ids), 500):
        g.V(*ids[i:i + 500]).element_map().to_list()
        g.V(*ids[i:i + 500]).out_e(m.DERIVED_FROM, m.GENERATED_BY, m.CONSUMES, m.TRAINED_ON, m.PRODUCES) \
            .project("s", "l", "t").by(__.out_v().id_()).by(__.label()).by(__.in_v().id_()).to_list()
    return len(ids)


def gremlin_summary(g: Any) -> list[int]:
    """What the summary report read: counts per label, every run, the data sources and
    every dataset's writers (for staleness)."""
    counts = [g.V().has_label(label).count().next() for label in m.VERTEX_LABELS]
    g.V().has_label(m.RUN).element_map().to_list()
    gremlin_sources(g)
    g.V().has_label(m.DATASET).project("id", "w").by(__.values("dataset_id")) \
        .by(__.out(m.GENERATED_BY).values("pipeline_id").fold()).to_list()
    return counts


def main() -> None:
    args, cache, sizes = bench_args(__doc__, samples=5)
    print(load_average())
    for n in sizes:
        source = graph_path(cache, n)
        build(source, n)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "lineage.db"
            shutil.copy(source, path)
            with LineageStore(Settings.from_env({}, db=str(path))) as store:
                q = LineageAnalysis(store.graph)
                engine = LineageQueryEngine(q)
                visualizer = LineageVisualizer(q, engine)
                g = store.g
                reads = {
                    "catalog listing": (lambda: [e["id"] for e in registry.entries(store.graph)],
                                        lambda: gremlin_catalog(g)),
                    "data sources": (lambda: [s["dataset_id"] for s in engine.find_data_sources()],
                                     lambda: gremlin_sources(g)),
                    "whole-graph export (cap 2000)": (lambda: visualizer.generate_graph_data(node_cap=2000)
                                                      ["node_count"], lambda: gremlin_export(g)),
                    "summary report (counts)": (lambda: [c for _, c in visualizer.summary_data()["sections"][0]
                                                         ["rows"]], lambda: gremlin_summary(g)),
                }
                print(f"\n{n} datasets ({store.graph.count()} vertices); {args.samples} samples, interleaved")
                print(f"{'read':32} {'SQL wall':>9} {'SQL cpu':>8} {'Gremlin wall':>13} {'Gremlin cpu':>12}"
                      f" {'cpu ratio':>10}  same answer")
                for name, (ours, before) in reads.items():
                    times: dict[str, tuple[list[float], list[float]]] = {"sql": ([], []), "gremlin": ([], [])}
                    answers = {}
                    for _ in range(args.samples):
                        for kind, fn in (("sql", ours), ("gremlin", before)):
                            wall, cpu, answers[kind] = timed_cpu(fn)
                            times[kind][0].append(wall)
                            times[kind][1].append(cpu)
                    (sw, _), (sc, _) = stats(times["sql"][0]), stats(times["sql"][1])
                    (gw, _), (gc, _) = stats(times["gremlin"][0]), stats(times["gremlin"][1])
                    same = answers["sql"] == answers["gremlin"]   # the export: node counts only (cut orders differ)
                    print(f"{name:32} {sw:8.1f}ms {sc:6.1f}ms {gw:12.1f}ms {gc:10.1f}ms {gc / sc:9.1f}x  {same}")
    print("\n" + load_average() + " (shared machine: wall times are noisy, CPU times steadier)")


if __name__ == "__main__":
    main()
