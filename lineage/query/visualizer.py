"""``LineageVisualizer``: the tracker's visual exports.

* :meth:`generate_graph_data` / :meth:`export_to_json`: nodes and edges (around a
  node, or the whole graph up to a cap) for drawing tools;
* :meth:`export_to_dot`: the same as Graphviz DOT (``dot -Tsvg``);
* :meth:`generate_impact_analysis`: what a change to a node reaches;
* :meth:`generate_timeline_data` / :meth:`export_timeline_html`: runs per
  pipeline over time, one bar per run coloured by state;
* :meth:`generate_summary_report`: the graph, pipelines' performance, data
  sources, stale data, provenance and volume in Markdown or HTML.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import _model as m
from .._errors import InvalidArgument
from .._queries import check_cap, node_dict
from ..graph.interface import OUT
from . import render
from .engine import LineageQueryEngine, all_runs, parse_time

ARTIFACT_AND_PIPELINE = (m.DATASET, m.PIPELINE, m.MODEL, m.FEATURE)
_GRAPH_EDGES = (m.DERIVED_FROM, m.GENERATED_BY, m.CONSUMES, m.TRAINED_ON, m.PRODUCES)
FORMATS = ("markdown", "html")


class LineageVisualizer:
    def __init__(self, analysis: Any, engine: LineageQueryEngine | None = None,
                 provenance_dir: Path | str | None = None) -> None:
        self.q = analysis
        self.engine = engine or LineageQueryEngine(analysis)
        self.provenance_dir = Path(provenance_dir) if provenance_dir else None

    # -- graph -----------------------------------------------------------------

    def generate_graph_data(self, node_id: str | None = None, depth: int = 3, direction: str = "both",
                            node_cap: int = 2000) -> dict[str, Any]:
        """``{"nodes", "edges", "node_count", "edge_count", "truncated"}``: around ``node_id``,
        or the whole graph (artifacts and pipelines) when it is None: the first ``node_cap`` of them
        by label and id."""
        if node_id:
            return self.q.lineage_graph(node_id, None, depth, direction, node_cap).to_dict()
        check_cap(node_cap)
        graph = self.q.graph
        ids = graph.first_vertices(ARTIFACT_AND_PIPELINE, node_cap + 1)
        truncated = len(ids) > node_cap
        ids = ids[:node_cap]
        info = graph.describe(ids)
        ident = {vid: node_dict(vid, i)["id"] for vid, i in info.items()}
        edges = set()
        for label in _GRAPH_EDGES:
            edges |= {(ident[s], label, ident[t]) for s, t in graph.neighbors(ids, OUT, [label])
                      if s in ident and t in ident}
        nodes = sorted((node_dict(v, i) for v, i in info.items()), key=lambda n: (n["label"], n["id"]))
        edge_list = [{"source": s, "label": lbl, "target": t} for s, lbl, t in sorted(edges)]
        return {"center": "", "nodes": nodes, "edges": edge_list, "node_count": len(nodes),
                "edge_count": len(edge_list), "truncated": truncated}

    def export_to_json(self, node_id: str | None = None, depth: int = 3, direction: str = "both",
                       node_cap: int = 2000) -> str:
        return json.dumps(self.generate_graph_data(node_id, depth, direction, node_cap), indent=2,
                          ensure_ascii=False, default=str) + "\n"

    def export_to_dot(self, node_id: str | None = None, depth: int = 3, direction: str = "both",
                      node_cap: int = 2000) -> str:
        return render.to_dot(self.generate_graph_data(node_id, depth, direction, node_cap),
                             f"lineage of {node_id}" if node_id else "lineage")

    def generate_impact_analysis(self, node_id: str, change_type: str = "schema") -> dict[str, Any]:
        impact = self.q.impact(node_id, change_type)
        impact["total_downstream_nodes"] = impact["total_affected"]
        return impact

    # -- runs over time --------------------------------------------------------

    def generate_timeline_data(self, hours_back: float | None = None) -> dict[str, Any]:
        """Runs per pipeline, oldest first; only runs active within ``hours_back`` of now when given."""
        if hours_back is not None and hours_back <= 0:
            raise InvalidArgument(f"hours_back must be positive; got {hours_back}")
        since = self.engine.clock() - timedelta(hours=hours_back) if hours_back else None
        per: dict[str, list[dict[str, Any]]] = {}
        for run in all_runs(self.q):
            start = run.get("started_at") or run.get("first_seen")
            end = run.get("ended_at")
            last = parse_time(end or run.get("last_seen") or start)
            if since is not None and (last is None or last < since):
                continue
            per.setdefault(run.get("pipeline_id") or "", []).append(
                {"run_id": run.get("run_id"), "state": run.get("state"), "start": start, "end": end})
        pipelines = [{"pipeline_id": pid, "runs": sorted(runs, key=lambda r: (r["start"] or "", r["run_id"]))}
                     for pid, runs in sorted(per.items())]
        window = f" in the {hours_back:g} hours before {self.engine.clock():%Y-%m-%d %H:%M} UTC" if since else ""
        return {"pipelines": pipelines, "window": window, "runs": sum(len(p["runs"]) for p in pipelines)}

    def export_timeline_html(self, hours_back: float | None = None) -> str:
        return render.timeline_html(self.generate_timeline_data(hours_back))

    # -- the report ------------------------------------------------------------

    def summary_data(self) -> dict[str, Any]:
        counts = [(label, self.q.graph.count(label)) for label in m.VERTEX_LABELS]
        perf = self.engine.get_operation_performance_stats()
        sources = self.engine.find_data_sources()
        stale = self.engine.find_stale_data()
        sections: list[dict[str, Any]] = [
            {"title": "Graph", "columns": ["Vertex label", "Count"], "rows": counts},
            {"title": "Pipelines", "columns": ["Pipeline", "Runs", "Failed", "Failure rate", "p50 ms", "p95 ms"],
             "rows": [[p["pipeline_id"], p["runs"], p["failed"], p["failure_rate"], p["p50_duration_ms"],
                       p["p95_duration_ms"]] for p in perf["pipelines"]]},
            {"title": "Slowest runs", "columns": ["Run", "Pipeline", "State", "Duration ms"],
             "rows": [[r["run_id"], r["pipeline_id"], r["state"], r["duration_ms"]] for r in perf["slowest_runs"]]},
            {"title": "Data sources", "columns": ["Dataset", "Type"],
             "rows": [[s["dataset_id"], s["source_type"]] for s in sources]},
            {"title": "Stale datasets", "columns": ["Dataset", "Last updated", "Hours since", "Usual interval h"],
             "rows": [[s["dataset_id"], s["last_updated"], s["hours_since_update"], s["usual_interval_hours"]]
                      for s in stale]},
        ]
        if self.provenance_dir is not None:
            from ..provenance import summary
            from ..provenance.operations import LineageMetadataRepository

            prov = summary(self.provenance_dir)
            sections.append({"title": "Provenance records", "text": f"{prov['total']} records.",
                             "columns": ["Final state", "Records"], "rows": sorted(prov["by_final_state"].items())})
            volume = LineageQueryEngine(self.q, LineageMetadataRepository(self.provenance_dir)).analyze_data_volume_flow()
            sections.append({"title": "Volume flow", "columns": ["Pipeline", "Runs", "Rows in", "Rows out",
                                                                 "Bytes in", "Bytes out"],
                             "rows": [[v["pipeline_id"], v["runs"], v["rows_in"], v["rows_out"], v["bytes_in"],
                                       v["bytes_out"]] for v in volume]})
        generated = self.engine.clock()
        return {"title": "Lineage summary report", "generated": f"{generated:%Y-%m-%d %H:%M} UTC"
                if isinstance(generated, datetime) else str(generated), "sections": sections}

    def generate_summary_report(self, fmt: str = "markdown") -> str:
        if fmt not in FORMATS:
            raise InvalidArgument(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
        data = self.summary_data()
        return render.report_markdown(data) if fmt == "markdown" else render.report_html(data)
