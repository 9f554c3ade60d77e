"""A dataset's version history: each version with its run, schema, row count, schema
change and inputs (Marquez's dataset versions, in our graph)."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from .types import Run


@strawberry.type(description="A field of a dataset version's schema.")
class SchemaField:
    name: str
    type: Optional[str]

    @classmethod
    def of(cls, f: dict[str, Any]) -> "SchemaField":
        return cls(name=f["name"], type=f.get("type"))


@strawberry.type(description="A field whose type changed between two versions.")
class RetypedField:
    name: str
    before: Optional[str]
    after: Optional[str]


@strawberry.type(description="How a version's schema differs from the version before it that has a schema.")
class SchemaChange:
    added: list[SchemaField]
    removed: list[SchemaField]
    retyped: list[RetypedField]

    @classmethod
    def of(cls, c: Optional[dict[str, Any]]) -> Optional["SchemaChange"]:
        if c is None:
            return None
        return cls(added=[SchemaField.of(f) for f in c["added"]], removed=[SchemaField.of(f) for f in c["removed"]],
                   retyped=[RetypedField(name=f["name"], before=f["before"], after=f["after"]) for f in c["retyped"]])


@strawberry.type(description="An input version an output version was computed from.")
class VersionInput:
    dataset_id: str
    version: Optional[str] = strawberry.field(description="The input's version; null when none was known then.")
    resolved: str = strawberry.field(
        description="recorded: the event named this input version; latest: the event named none, so this is the "
                    "input's newest version created at or before the output version; unknown: it had none then.")


@strawberry.type(description="One version of a dataset.")
class DatasetVersion:
    id: str = strawberry.field(description="dataset_id@version.")
    version: str
    source: Optional[str] = strawberry.field(
        description="Where the version came from: version (the OpenLineage version facet, e.g. an Iceberg "
                    "snapshot id), fingerprint (our data fingerprint) or run (a write with no version named).")
    created_at: Optional[str] = strawberry.field(description="The earliest event time that recorded it (UTC).")
    row_count: Optional[int]
    fingerprint: Optional[str]
    run: Optional[Run] = strawberry.field(description="The run that created it (null for a declared version).")
    fields: Optional[list[SchemaField]] = strawberry.field(description="Its schema, when one was sent.")
    schema_change: Optional[SchemaChange] = strawberry.field(
        description="Fields added, removed and retyped since the previous version with a schema; null for the "
                    "first, or when either schema is unknown.")
    inputs: list[VersionInput]

    @classmethod
    def of(cls, v: dict[str, Any]) -> "DatasetVersion":
        return cls(id=v["id"], version=v["version"], source=v.get("source"), created_at=v.get("created_at"),
                   row_count=v.get("row_count"), fingerprint=v.get("fingerprint"),
                   run=Run.of(v["run"]) if v.get("run") else None,
                   fields=[SchemaField.of(f) for f in v["fields"]] if v.get("fields") is not None else None,
                   schema_change=SchemaChange.of(v.get("schema_change")),
                   inputs=[VersionInput(dataset_id=i["dataset_id"], version=i.get("version"), resolved=i["resolved"])
                           for i in v["inputs"]])


def versions_of(q: Any, dataset_id: str, as_of: Optional[str], limit: int) -> list[DatasetVersion]:
    from ..versions.history import VersionHistory

    return [DatasetVersion.of(v) for v in VersionHistory(q).versions(dataset_id, as_of, limit)]
