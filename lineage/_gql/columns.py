"""Column lineage in GraphQL: a dataset's fields, a field's upstream and downstream,
the impact of changing or masking it, and the derivations the explorer draws
(see :class:`lineage.columns.ColumnLineage`)."""

from __future__ import annotations

from typing import Any, Optional

import strawberry
from strawberry.types import Info


def _columns(q: Any) -> Any:
    from ..columns.queries import ColumnLineage

    return ColumnLineage(q)


@strawberry.type(description="A field of a dataset (or feature view, model).")
class FieldRef:
    id: str = strawberry.field(description="The field's id: the dataset id, '#', the field name.")
    dataset_id: str
    field: str
    label: str = strawberry.field(description="What holds the field: Dataset, Feature or Model.")

    @classmethod
    def of(cls, d: dict[str, Any]) -> "FieldRef":
        return cls(id=d["id"], dataset_id=d["dataset_id"], field=d["field"], label=d["label"])


@strawberry.type(description="One transformation as the columnLineage facet describes it.")
class ColumnTransformation:
    type: Optional[str] = strawberry.field(description="DIRECT (the value flows) or INDIRECT (it picks rows).")
    subtype: Optional[str] = strawberry.field(description="IDENTITY, TRANSFORMATION, AGGREGATION; JOIN, FILTER, "
                                                          "GROUP_BY, SORT, WINDOW, CONDITIONAL.")
    description: Optional[str]
    masking: bool


@strawberry.type(description="A field computed from another by one pipeline.")
class ColumnEdge:
    input: FieldRef
    output: FieldRef
    pipeline_id: Optional[str]
    transformation_type: Optional[str] = strawberry.field(
        description="DIRECT when any transformation is direct, else INDIRECT; null when the producer said none.")
    transformation_subtype: Optional[str] = strawberry.field(description="The subtypes of that type, comma-separated.")
    transformation_description: Optional[str]
    masking: bool = strawberry.field(description="True when a transformation masks the value (a hash, a redaction).")
    transformations: list[ColumnTransformation]

    @classmethod
    def of(cls, e: dict[str, Any]) -> "ColumnEdge":
        return cls(input=FieldRef.of(e["input"]), output=FieldRef.of(e["output"]), pipeline_id=e["pipeline_id"],
                   transformation_type=e["transformation_type"], transformation_subtype=e["transformation_subtype"],
                   transformation_description=e["transformation_description"], masking=e["masking"],
                   transformations=[ColumnTransformation(type=t.get("type"), subtype=t.get("subtype"),
                                                         description=t.get("description"),
                                                         masking=t.get("masking") is True)
                                    for t in e["transformations"]])


@strawberry.type(description="A field reached from the root, with its distance and one shortest path (field ids).")
class LineageField(FieldRef):
    direction: str
    distance: int
    path: list[str]


@strawberry.type(description="The fields upstream and/or downstream of one field, and the derivations between them.")
class ColumnLineageResult:
    root: FieldRef
    direction: str
    depth: int
    fields: list[LineageField]
    edges: list[ColumnEdge]
    truncated: bool


@strawberry.type(description="A field of a dataset with its type and how many derivations lead in and out.")
class DatasetField:
    name: str
    type: Optional[str]
    inputs: int
    outputs: int


@strawberry.type(description="A dataset's fields: its schema first, then fields only column lineage names.")
class DatasetFields:
    dataset_id: str
    label: str
    fields: list[DatasetField]


@strawberry.type(description="A derivation that masks the value on a field's path.")
class MaskingStep:
    input: str
    output: str
    pipeline_id: Optional[str]


@strawberry.type(description="A field the change reaches.")
class ImpactedField(FieldRef):
    distance: int
    path: list[str]
    masked: bool = strawberry.field(description="True when every path to it passes a masking transformation.")
    masked_at: list[MaskingStep] = strawberry.field(description="The masking steps on its shortest path.")
    transformation_type: Optional[str]
    transformation_subtype: Optional[str]


@strawberry.type(description="A dataset, feature view or model that receives the field.")
class ColumnHolder:
    id: str
    label: str
    column_level: bool = strawberry.field(description="True when its fields are known to derive from the field; "
                                                      "false when it reads an affected artifact but has no column "
                                                      "lineage (it may receive it).")
    distance: int
    fields: list[str]
    masked: bool = strawberry.field(description="True when it receives the field only masked.")
    via: Optional[str] = strawberry.field(description="For column_level false: the affected artifact it reads.")


@strawberry.type
class PipelineDistance:
    id: str
    distance: int


@strawberry.type(description="What changing or masking a field reaches downstream.")
class ColumnImpact:
    root: FieldRef
    change_type: str
    depth: int
    fields: list[ImpactedField]
    datasets: list[ColumnHolder]
    features: list[ColumnHolder]
    models: list[ColumnHolder]
    pipelines: list[PipelineDistance]
    total_fields: int
    unmasked_fields: int
    truncated: bool


def _impact(r: dict[str, Any]) -> ColumnImpact:
    def holders(items: list[dict[str, Any]]) -> list[ColumnHolder]:
        return [ColumnHolder(**h) for h in items]
    return ColumnImpact(
        root=FieldRef.of(r["root"]), change_type=r["change_type"], depth=r["depth"],
        fields=[ImpactedField(id=f["id"], dataset_id=f["dataset_id"], field=f["field"], label=f["label"],
                              distance=f["distance"], path=f["path"], masked=f["masked"],
                              masked_at=[MaskingStep(**s) for s in f["masked_at"]],
                              transformation_type=f["transformation_type"],
                              transformation_subtype=f["transformation_subtype"]) for f in r["fields"]],
        datasets=holders(r["datasets"]), features=holders(r["features"]), models=holders(r["models"]),
        pipelines=[PipelineDistance(**p) for p in r["pipelines"]], total_fields=r["total_fields"],
        unmasked_fields=r["unmasked_fields"], truncated=r["truncated"])


def _lineage(r: dict[str, Any]) -> ColumnLineageResult:
    return ColumnLineageResult(
        root=FieldRef.of(r["root"]), direction=r["direction"], depth=r["depth"],
        fields=[LineageField(id=f["id"], dataset_id=f["dataset_id"], field=f["field"], label=f["label"],
                             direction=f["direction"], distance=f["distance"], path=f["path"]) for f in r["fields"]],
        edges=[ColumnEdge.of(e) for e in r["edges"]], truncated=r["truncated"])


@strawberry.type
class ColumnQuery:
    @strawberry.field(description="A dataset's (feature view's, model's) fields with their column lineage counts.")
    async def dataset_fields(self, info: Info, dataset_id: str) -> DatasetFields:
        def run(q: Any) -> DatasetFields:
            r = _columns(q).fields(dataset_id)
            return DatasetFields(dataset_id=r["dataset_id"], label=r["label"],
                                 fields=[DatasetField(**f) for f in r["fields"]])
        return await info.context.read("datasetFields", run)

    @strawberry.field(description="The fields a field was computed from (upstream), computed from it (downstream) "
                                  "or both, within depth derivations; indirect: false leaves out joins, filters "
                                  "and grouping.")
    async def column_lineage(self, info: Info, dataset_id: str, field: str, direction: str = "upstream",
                             depth: int = 5, indirect: bool = True) -> ColumnLineageResult:
        return await info.context.read("columnLineage", lambda q: _lineage(
            _columns(q).lineage(dataset_id, field, direction, depth, indirect)))

    @strawberry.field(description="What changing (changeType change: every derivation) or masking (mask: those "
                                  "that carry the value) a field reaches: fields, datasets, feature views, models "
                                  "and pipelines, marking where a masking transformation already applies.")
    async def column_impact(self, info: Info, dataset_id: str, field: str, change_type: str = "change",
                            depth: int = 10) -> ColumnImpact:
        return await info.context.read("columnImpact", lambda q: _impact(
            _columns(q).impact(dataset_id, field, change_type, depth)))

    @strawberry.field(description="Every derivation into or out of the fields of these datasets (the explorer "
                                  "draws them when a dataset is opened); unknown ids are skipped, at most 200 ids.")
    async def column_edges(self, info: Info, dataset_ids: list[str]) -> list[ColumnEdge]:
        return await info.context.read("columnEdges", lambda q: [
            ColumnEdge.of(e) for e in _columns(q).edges(dataset_ids)])
