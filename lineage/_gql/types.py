"""GraphQL object types. Each is built from the plain dicts of the query module."""

from __future__ import annotations

from typing import Any, NewType, Optional

import strawberry

from .components import Audit
from graphql import IntValueNode, StringValueNode
from strawberry.scalars import JSON

from .. import _model as m
from .._runs import decode_run


def _parse_version_literal(node: Any, _variables: Any = None) -> str:
    if isinstance(node, (IntValueNode, StringValueNode)):
        return str(node.value)
    raise ValueError("a version is a string or an integer, e.g. 5 or \"git:9f1c2ab\"")


Version = NewType("Version", str)
VERSION_SCALAR = strawberry.scalar(
    name="Version",
    description="A version: an integer (5) or a string (\"git:9f1c2ab\", \"snapshot_def456\").",
    serialize=str, parse_value=lambda v: str(v), parse_literal=_parse_version_literal)


def _props(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in ("path",)}


@strawberry.type(description="A dataset, pipeline, model, feature view or run, with its distance from the node asked about.")
class LineageNode:
    id: str = strawberry.field(description="Identity: dataset_id, pipeline_id, model_id (name@version), feature_view or run_id.")
    label: str = strawberry.field(description="Dataset, Pipeline, Model, Feature or Run.")
    name: str = strawberry.field(description="Display name (the id).")
    layer: Optional[str]
    version: Optional[str]
    distance: Optional[int]
    properties: JSON

    @classmethod
    def of(cls, node: dict[str, Any]) -> "LineageNode":
        return cls(id=node["id"], label=node["label"], name=node["id"], layer=node.get("layer") or None,
                   version=node.get("version"), distance=node.get("distance"), properties=_props(node))


@strawberry.type
class DatasetLineage:
    dataset_id: str
    layer: Optional[str]
    version: Optional[str]
    upstream_count: int
    upstream_datasets: list[LineageNode]
    downstream_count: int
    downstream_datasets: list[LineageNode]
    consuming_models: list[LineageNode]
    consuming_pipelines: list[LineageNode]
    produced_features: list[LineageNode]


@strawberry.type(description="A training input and the exact version the model was trained on.")
class TrainingInput:
    id: str
    name: str
    label: str
    version: Optional[str] = strawberry.field(description="The version or snapshot the model was trained on.")
    current_version: Optional[str] = strawberry.field(description="The dataset's latest version.")
    layer: Optional[str]
    properties: JSON


@strawberry.type
class ModelLineage:
    model_id: str
    model_name: str
    model_version: Optional[str]
    framework: Optional[str]
    is_reproducible: bool
    missing: list[str] = strawberry.field(description="What keeps the model from being reproducible.")
    training_datasets: list[TrainingInput]
    dataset_snapshots: list[str] = strawberry.field(description="The pinned versions of the training inputs.")
    pipelines: list[LineageNode]
    upstream: list[LineageNode]
    reproducibility_level: str = strawberry.field(
        default="unreproducible",
        description="unreproducible, reproducible (inputs pinned, code versions known) or verified (and a "
                    "recorded replay reproduced each pipeline on the path at its code version).")
    unverified: list[str] = strawberry.field(default_factory=list,
                                             description="What keeps a reproducible model from verified.")


@strawberry.type
class GraphEdge:
    label: str
    source: str
    target: str
    version: Optional[str]


@strawberry.type
class LineageGraph:
    center: str
    node_count: int
    edge_count: int
    nodes: list[LineageNode]
    edges: list[GraphEdge]
    truncated: bool = strawberry.field(description="True when the node cap left nodes out.")


@strawberry.type
class AffectedNode:
    id: str
    name: str
    label: str
    distance: int
    path: list[str] = strawberry.field(description="A shortest path of ids from the changed dataset.")
    properties: JSON

    @classmethod
    def of(cls, node: dict[str, Any]) -> "AffectedNode":
        return cls(id=node["id"], name=node["id"], label=node["label"], distance=node["distance"],
                   path=node["path"], properties=_props(node))


@strawberry.type
class ImpactAnalysis:
    dataset_id: str
    change_type: str
    total_affected: int
    severity: str = strawberry.field(description="HIGH: >20 affected or a model hit by a schema change or "
                                                 "deprecation; MEDIUM: 6-20 or a model hit by a data change; LOW otherwise.")
    affected_datasets: list[AffectedNode]
    affected_models: list[AffectedNode]
    affected_features: list[AffectedNode]
    affected_pipelines: list[AffectedNode]
    truncated: bool


def _long(value: Any) -> int:
    return int(value)


Long = NewType("Long", int)
LONG_SCALAR = strawberry.scalar(
    name="Long", description="An integer that may exceed 32 bits (row counts, byte sizes).",
    serialize=_long, parse_value=_long)


@strawberry.type(description="A dataset a run read or wrote, with what the run saw of it.")
class RunDataset:
    dataset_id: str
    fingerprint: Optional[str] = strawberry.field(description="Content fingerprint: sha256:, table-v1: (row order counts) or rowset-v1: (it does not).")
    version: Optional[str] = strawberry.field(description="The dataset version the run used or produced.")
    rows: Optional[Long]
    bytes: Optional[Long]

    @classmethod
    def of(cls, item: dict[str, Any]) -> "RunDataset":
        return cls(dataset_id=str(item.get("datasetId")), fingerprint=item.get("fingerprint"),
                   version=item.get("version"), rows=item.get("rows"), bytes=item.get("bytes"))


@strawberry.type
class Run:
    run_id: str
    pipeline_id: Optional[str]
    state: Optional[str]
    started_at: Optional[str]
    ended_at: Optional[str]
    pipeline_version: Optional[str]
    error_message: Optional[str]
    code_version: Optional[str] = strawberry.field(description="Hash of the code the run executed (normalised source or SQL), or the version its producer gave.")
    code_changed: Optional[bool] = strawberry.field(description="True when the code version differs from the pipeline's previous run that has one.")
    parameters: Optional[JSON] = strawberry.field(description="The run's parameters (secrets redacted).")
    inputs: list[RunDataset]
    outputs: list[RunDataset]
    sql_parse_error: Optional[str] = strawberry.field(
        description="Why the inputs of the run's SQL facet could not be read (the event was kept without them).")
    lineage_truncated: Optional[str] = strawberry.field(
        description="JSON: the rule applied when an event had more input x output pairs than "
                    "LINEAGE_MAX_DERIVED_EDGES, and its full input and output lists.")
    audit: Optional[Audit] = strawberry.field(description="Who wrote the run, from where and from which inputs.")

    @strawberry.field(description="The run id (the same as runId).")
    def id(self) -> str:
        return self.run_id

    @strawberry.field(description="The runs that wrote the records this run was made from (its audit's "
                                  "input request ids).")
    async def input_runs(self, info: strawberry.Info) -> list["Run"]:
        ids = self.audit.input_request_ids if self.audit else []
        if not ids:
            return []
        def load(q: Any) -> list[Run]:
            runs = q.graph.records(m.RUN, "request_id", ids).values()
            return [Run.of({k: v for k, v in r.items() if k != "label"}) for r in runs]
        return await info.context.read("inputRuns", load)

    @classmethod
    def of(cls, node: dict[str, Any]) -> "Run":
        run = decode_run(node)
        return cls(**{k: run.get(k) for k in ("run_id", "pipeline_id", "state", "started_at", "ended_at",
                                               "pipeline_version", "error_message", "code_version",
                                               "code_changed", "parameters", "sql_parse_error",
                                               "lineage_truncated")},
                   inputs=[RunDataset.of(i) for i in run["inputs"]],
                   outputs=[RunDataset.of(o) for o in run["outputs"]], audit=Audit.of(node))


@strawberry.type
class UnreproducibleModel:
    model_id: str
    training_inputs: int
    unpinned: int


NODE_LABELS = m.VERTEX_LABELS
