"""Provenance records in GraphQL: ``provenance(filter, limit)``, for the page's history view."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import anyio
import strawberry
from strawberry.types import Info

from .._errors import LineageError
from ..provenance import ProvenanceFilter, find
from .context import typed_error


def _iso(ms: int | None) -> Optional[str]:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@strawberry.type(description="A pair of an annotation key and its value.")
class Annotation:
    key: str
    value: str


@strawberry.type(description="What happened to the data of a finished run along one path, source to sink.")
class ProvenanceRecord:
    run_id: str
    parent_run_id: Optional[str]
    system_name: str
    data_source: str = strawberry.field(description="Namespace of the dataset where the data entered.")
    name: str = strawberry.field(description="Name of that dataset (the file or table).")
    transforms: list[str] = strawberry.field(description="Pipelines on the path, source first.")
    data_sink: Optional[str] = strawberry.field(description="Output written (empty when the run wrote nothing).")
    final_state: str = strawberry.field(description="COMPLETE, FAIL, ABORT, FILTERED, CANCELLED or SPLIT.")
    created: str = strawberry.field(description="When the run started (ISO 8601 UTC).")
    completed: str = strawberry.field(description="When it reached its final state (ISO 8601 UTC).")
    annotations: list[Annotation]

    @classmethod
    def of(cls, row: dict[str, Any]) -> "ProvenanceRecord":
        return cls(run_id=row["run_id"], parent_run_id=row["parent_run_id"], system_name=row["system_name"],
                   data_source=row["data_source"], name=row["name"], transforms=row["transforms"],
                   data_sink=row["data_sink"], final_state=row["final_state"], created=_iso(row["created"]) or "",
                   completed=_iso(row["completed"]) or "",
                   annotations=[Annotation(key=k, value=v) for k, v in sorted(row["annotations"].items())])


@strawberry.input(description="Optional filters, combined with AND; an annotation needs both key and value.")
class ProvenanceFilterInput:
    run_id: Optional[str] = None
    parent_run_id: Optional[str] = None
    system_name: Optional[str] = None
    data_source: Optional[str] = None
    data_sink: Optional[str] = None
    name: Optional[str] = None
    final_state: Optional[str] = None
    annotation_key: Optional[str] = None
    annotation_value: Optional[str] = None


async def provenance_records(info: Info, filter: Optional[ProvenanceFilterInput], limit: int) -> list[ProvenanceRecord]:
    state = info.context.state
    directory = Path(state.settings["LINEAGE_PROVENANCE_DIR"])
    values = {k: v for k, v in vars(filter).items()} if filter else {}
    try:
        rows = await anyio.to_thread.run_sync(lambda: find(directory, ProvenanceFilter(**values, limit=limit)))
    except LineageError as err:
        raise typed_error(err) from None
    return [ProvenanceRecord.of(r) for r in rows]
