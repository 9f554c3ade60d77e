"""Query root."""

from __future__ import annotations

from typing import Any, Optional

import strawberry
from strawberry.types import Info

from .. import _model as m
from .._runs import mark_code_changes
from .activity import Activity
from .components import Component
from .provenance import ProvenanceFilterInput, ProvenanceRecord, provenance_records
from .check import ArtifactChecks
from .versions import DatasetVersion, versions_of
from .rootcause import RootCause, find as find_root_cause
from .types import (AffectedNode, DatasetLineage, GraphEdge, ImpactAnalysis, LineageGraph, LineageNode,
                    ModelLineage, Run, TrainingInput, UnreproducibleModel, Version)


@strawberry.type(description="A node and, for pipelines, its recent runs.")
class Node(LineageNode):
    @strawberry.field(description="Recent runs, newest first (pipelines only).")
    async def runs(self, info: Info, limit: int = 10) -> list[Run]:
        if self.label != m.PIPELINE:
            return []
        runs = mark_code_changes(await info.context.runs.load((self.id, limit + 1)))
        return [Run.of(r) for r in runs[:limit]]

    @strawberry.field(description="Pipelines only: true when the latest run executed different code from "
                                  "the run before it (null until two runs record a code version).")
    async def code_changed(self, info: Info) -> Optional[bool]:
        if self.label != m.PIPELINE:
            return None
        runs = mark_code_changes(await info.context.runs.load((self.id, 50)))
        latest = next((r for r in runs if r.get("code_version") is not None), None)
        return latest.get("code_changed") if latest else None

    @strawberry.field(description="Pipelines and runs: the parent (the job or run that started this one), "
                                  "from OpenLineage's parent facet; null when there is none.")
    async def parent(self, info: Info) -> Optional["Node"]:
        if self.label not in (m.PIPELINE, m.RUN):
            return None
        found = await info.context.read("family", lambda q: q.family(self.id, self.label))
        return Node.of(found["parent"]) if found["parent"] else None

    @strawberry.field(description="Pipelines and runs: the children (jobs or runs this one started), by id; "
                                  "a child pipeline's properties carry its newest run's latest_state.")
    async def children(self, info: Info) -> list["Node"]:
        if self.label not in (m.PIPELINE, m.RUN):
            return []
        found = await info.context.read("family", lambda q: q.family(self.id, self.label))
        return [Node.of(n) for n in found["children"]]

    @strawberry.field(description="Datasets only: every version, newest first, with the run that created it, its "
                                  "schema, row count, schema change and inputs; asOf keeps those created by then.")
    async def versions(self, info: Info, limit: int = 100, as_of: Optional[str] = None) -> list[DatasetVersion]:
        if self.label != m.DATASET:
            return []
        return await info.context.read("versions", lambda q: versions_of(q, self.id, as_of, limit))

    @classmethod
    def of(cls, node: dict[str, Any]) -> "Node":
        base = LineageNode.of(node)
        return cls(**{f: getattr(base, f) for f in ("id", "label", "name", "layer", "version", "distance",
                                                     "properties")})


def _dataset_lineage(q: Any, dataset_id: str, depth: int, as_of: Optional[str] = None) -> DatasetLineage:
    found = q.resolve(dataset_id)
    node = q.node(found.key, found.label)
    up = q.upstream(found.key, depth, label=found.label, as_of=as_of)
    down = q.downstream(found.key, depth, label=found.label, as_of=as_of)
    if as_of:
        info = {found.vid: {**node, "label": found.label}}
        q._then(info, q._at(found, as_of))
        node = {**node, "version": info[found.vid].get("version")}
    consumers = q.consumers(found.key, as_of) if found.label == m.DATASET else {"models": [], "pipelines": [], "features": []}
    datasets_up = [n for n in up if n["label"] == m.DATASET]
    datasets_down = [n for n in down if n["label"] == m.DATASET]
    return DatasetLineage(
        dataset_id=node["id"], layer=node.get("layer") or None, version=node.get("version"),
        upstream_count=len(datasets_up), upstream_datasets=[LineageNode.of(n) for n in datasets_up],
        downstream_count=len(datasets_down), downstream_datasets=[LineageNode.of(n) for n in datasets_down],
        consuming_models=[LineageNode.of(n) for n in consumers["models"]],
        consuming_pipelines=[LineageNode.of(n) for n in consumers["pipelines"]],
        produced_features=[LineageNode.of(n) for n in consumers["features"]])


def _model_lineage(q: Any, model_name: str, version: Optional[str], as_of: Optional[str] = None) -> ModelLineage:
    lineage = q.model_training_lineage(model_name, version, as_of=as_of)
    verdict = q.reproducibility(model_name, version, as_of=as_of)
    model = lineage["model"]
    return ModelLineage(
        model_id=model["id"], model_name=model.get("model_name") or model["id"], model_version=model.get("version"),
        framework=model.get("framework"), is_reproducible=verdict["reproducible"], missing=verdict["missing"],
        training_datasets=[TrainingInput(id=d["id"], name=d["id"], label=d["label"], version=d["version"],
                                         current_version=d.get("current_version"), layer=d.get("layer") or None,
                                         properties=d) for d in lineage["training_datasets"]],
        dataset_snapshots=[d["version"] for d in lineage["training_datasets"] if d["version"]],
        pipelines=[LineageNode.of(n) for n in lineage["pipelines"]],
        upstream=[LineageNode.of(n) for n in lineage["upstream"]],
        reproducibility_level=verdict["level"], unverified=verdict["unverified"])


@strawberry.type
class Query:
    @strawberry.field(description="True once the graph holds any lineage (the web page's empty state).")
    async def has_lineage(self, info: Info) -> bool:
        return await info.context.read("hasLineage", lambda q: q.graph.has_vertices())

    @strawberry.field(description="Totals, the latest runs (failed first), recently written datasets and "
                                  "model verdicts: the explorer's home page.")
    async def activity(self, info: Info, runs: int = 10, datasets: int = 10, models: int = 10) -> Activity:
        return await info.context.read("activity", lambda q: Activity.read(q, runs, datasets, models))

    @strawberry.field(description="Datasets upstream and downstream of a dataset, and what consumes it; asOf "
                                  "(RFC 3339 or a date) answers as the graph was then, with the versions then.")
    async def dataset_lineage(self, info: Info, dataset_id: str, depth: int = 5,
                              as_of: Optional[str] = None) -> DatasetLineage:
        return await info.context.read("datasetLineage", lambda q: _dataset_lineage(q, dataset_id, depth, as_of))

    @strawberry.field(description="What a model version was trained on, and whether it can be reproduced; asOf "
                                  "answers as the graph was then.")
    async def model_lineage(self, info: Info, model_name: str, model_version: Optional[Version] = None,
                            as_of: Optional[str] = None) -> ModelLineage:
        return await info.context.read("modelLineage", lambda q: _model_lineage(q, model_name, model_version, as_of))

    @strawberry.field(description="Nodes and edges around a node, for drawing; at most nodeCap nodes. asOf "
                                  "draws only what existed then (edges not superseded), with the versions then.")
    async def lineage_graph(self, info: Info, node_id: str, node_type: Optional[str] = None, depth: int = 3,
                            direction: str = "both", node_cap: int = 200, as_of: Optional[str] = None) -> LineageGraph:
        def run(q: Any) -> LineageGraph:
            g = q.lineage_graph(node_id, node_type, depth, direction, node_cap, as_of=as_of)
            return LineageGraph(center=g.center, node_count=len(g.nodes), edge_count=len(g.edges),
                                nodes=[LineageNode.of(n) for n in g.nodes],
                                edges=[GraphEdge(**e) for e in g.edges], truncated=g.truncated)
        return await info.context.read("lineageGraph", run)

    @strawberry.field(description="The data-quality checks of a dataset (or model, feature) with their latest "
                                  "results; runs says how many results of each to return, newest first.")
    async def checks(self, info: Info, dataset_id: str, runs: int = 1) -> ArtifactChecks:
        return await info.context.read("checks", lambda q: ArtifactChecks.of(q.checks(dataset_id, runs=runs)))

    @strawberry.field(description="Everything downstream that a change to a dataset would reach; asOf answers "
                                  "as the graph was then.")
    async def impact_analysis(self, info: Info, dataset_id: str, change_type: str = "schema",
                              depth: int = 10, as_of: Optional[str] = None) -> ImpactAnalysis:
        def run(q: Any) -> ImpactAnalysis:
            r = q.impact(dataset_id, change_type, depth, as_of=as_of)
            return ImpactAnalysis(
                dataset_id=r["dataset_id"], change_type=r["change_type"], total_affected=r["total_affected"],
                severity=r["severity"], truncated=r["truncated"],
                affected_datasets=[AffectedNode.of(n) for n in r["datasets"]],
                affected_models=[AffectedNode.of(n) for n in r["models"]],
                affected_features=[AffectedNode.of(n) for n in r["features"]],
                affected_pipelines=[AffectedNode.of(n) for n in r["pipelines"]])
        return await info.context.read("impactAnalysis", run)

    @strawberry.field(description="Datasets, pipelines, models and features whose name, short name or id contains "
                                  "prefix, ignoring case: exact matches first, then prefixes, word starts, the rest.")
    async def search(self, info: Info, prefix: str, labels: Optional[list[str]] = None,
                     limit: int = 20) -> list[Node]:
        return await info.context.read("search", lambda q: [Node.of(n) for n in q.search(prefix, labels, limit)])

    @strawberry.field(description="One node by id (any type, or the one named by nodeType).")
    async def node(self, info: Info, id: str, node_type: Optional[str] = None) -> Node:
        return await info.context.read("node", lambda q: Node.of(q.node(id, node_type)))

    @strawberry.field
    async def dataset(self, info: Info, id: str) -> Node:
        return await info.context.read("dataset", lambda q: Node.of(q.node(id, m.DATASET)))

    @strawberry.field
    async def pipeline(self, info: Info, id: str) -> Node:
        return await info.context.read("pipeline", lambda q: Node.of(q.node(id, m.PIPELINE)))

    @strawberry.field
    async def model(self, info: Info, name: str, version: Optional[Version] = None) -> Node:
        from .._ids import model_id
        return await info.context.read("model", lambda q: Node.of(q.node(model_id(name, version), m.MODEL)))

    @strawberry.field(description="One run: its state, code version, parameters, and the fingerprints of "
                                  "what it read and wrote.")
    async def run(self, info: Info, run_id: str) -> Run:
        def load(q: Any) -> Run:
            node = q.node(run_id, m.RUN)
            if node.get("pipeline_id") and node.get("code_version"):
                runs = mark_code_changes(q.runs(node["pipeline_id"], 1000))
                node["code_changed"] = next((r["code_changed"] for r in runs if r["id"] == node["id"]), None)
            return Run.of(node)
        return await info.context.read("run", load)

    @strawberry.field(description="Components that report heartbeats: live, late or gone, with their instances "
                                  "and the datasets they read and write.")
    async def components(self, info: Info) -> list[Component]:
        from ..catalog import liveness

        gone = info.context.state.settings["LINEAGE_COMPONENT_GONE_INTERVALS"]
        return await info.context.read("components", lambda q: [
            Component.of(c) for c in liveness.components(q.graph, gone_intervals=gone)])

    @strawberry.field(description="The first step where a bad run (or a wrong dataset version) parted from a good "
                                  "one: a code change with both versions and the source diff, changed parameters, "
                                  "or input data that already differed, walked upstream to where it entered.")
    async def root_cause(self, info: Info, good_run_id: Optional[str] = None, bad_run_id: Optional[str] = None,
                         dataset_id: Optional[str] = None, bad_version: Optional[str] = None,
                         good_version: Optional[str] = None) -> RootCause:
        settings = getattr(info.context.state, "settings", None)
        return await info.context.read("rootCause", lambda q: find_root_cause(
            q, settings, good_run_id, bad_run_id, dataset_id, bad_version, good_version))

    @strawberry.field(description="Lineage paths from one artifact down to another, shortest first.")
    async def paths(self, info: Info, from_id: str, to_id: str, max_depth: int = 10, limit: int = 10) -> list[list[str]]:
        return await info.context.read("paths", lambda q: q.paths(from_id, to_id, max_depth, limit))

    @strawberry.field(description="Recipe: paths from bronze datasets to models.")
    async def bronze_to_model_paths(self, info: Info, limit: int = 10) -> list[list[str]]:
        return await info.context.read("bronzeToModelPaths", lambda q: q.bronze_to_model_paths(limit))

    @strawberry.field(description="Recipe: datasets nothing reads.")
    async def orphaned_datasets(self, info: Info, limit: int = 1000) -> list[str]:
        return await info.context.read("orphanedDatasets", lambda q: q.orphaned_datasets(limit))

    @strawberry.field(description="Recipe: model versions with a training input not pinned to a snapshot.")
    async def unreproducible_models(self, info: Info) -> list[UnreproducibleModel]:
        return await info.context.read("unreproducibleModels",
                                       lambda q: [UnreproducibleModel(**r) for r in q.unreproducible_models()])

    @strawberry.field(description="Provenance records (newest first) matching the filter, from the Parquet files.")
    async def provenance(self, info: Info, filter: Optional[ProvenanceFilterInput] = None,
                         limit: int = 100) -> list[ProvenanceRecord]:
        return await provenance_records(info, filter, limit)
