"""Iceberg drift: the snapshot a model version trained on against the latest."""

from __future__ import annotations

from typing import Any, Optional

import strawberry
from strawberry.types import Info

from .types import Version


@strawberry.type(description="A column as Iceberg types it.")
class ColumnType:
    name: str
    type: str


@strawberry.type(description="A column whose type changed between the two snapshots.")
class ColumnTypeChange:
    name: str
    before: str
    after: str


@strawberry.type(description="One training table read at the snapshot the model trained on and at the latest.")
class TableDrift:
    dataset_id: str
    trained_on_snapshot: str
    latest_snapshot: Optional[str]
    added_columns: list[ColumnType]
    removed_columns: list[ColumnType]
    type_changes: list[ColumnTypeChange]
    schema_drift: bool = strawberry.field(description="True when columns were added, removed or retyped.")
    rows_before: int
    rows_after: int
    row_change: int
    row_change_percent: Optional[float]

    @classmethod
    def of(cls, d: dict[str, Any]) -> "TableDrift":
        return cls(dataset_id=d["dataset_id"], trained_on_snapshot=str(d["trained_on_snapshot"]),
                   latest_snapshot=None if d["latest_snapshot"] is None else str(d["latest_snapshot"]),
                   added_columns=[ColumnType(**c) for c in d["added"]],
                   removed_columns=[ColumnType(**c) for c in d["removed"]],
                   type_changes=[ColumnTypeChange(name=c["name"], before=c["from"], after=c["to"])
                                 for c in d["type_changed"]],
                   schema_drift=d["drift"], rows_before=d["rows_before"], rows_after=d["rows_after"],
                   row_change=d["row_change"], row_change_percent=d["row_change_pct"])


@strawberry.type(description="How the Iceberg tables a model version trained on have changed since.")
class ModelDataDrift:
    model_id: str
    model_name: str
    model_version: Optional[str]
    drift: bool = strawberry.field(description="True when any training table's schema changed since training.")
    tables: list[TableDrift]
    unpinned: list[str] = strawberry.field(description="Training inputs with no snapshot: they cannot be re-read.")
    not_in_catalog: list[str] = strawberry.field(description="Training inputs that are not tables of the catalog.")


@strawberry.type
class IcebergQuery:
    @strawberry.field(description="Model degradation check: each Iceberg table a model version was trained on, "
                                  "at that snapshot and at the latest (schema drift, row-count change). The "
                                  "catalog is LINEAGE_ICEBERG_CATALOG / _URI / _WAREHOUSE.")
    async def model_data_drift(self, info: Info, model_name: str,
                               model_version: Optional[Version] = None) -> ModelDataDrift:
        def run(q: Any) -> ModelDataDrift:
            from ..integrations.iceberg import IcebergCatalog, model_data_drift

            r = model_data_drift(q, IcebergCatalog.from_settings(info.context.state.settings), model_name,
                                 model_version)
            return ModelDataDrift(model_id=r["model_id"], model_name=r["model_name"], model_version=r["version"],
                                  drift=r["drift"], tables=[TableDrift.of(d) for d in r["datasets"]],
                                  unpinned=r["unpinned"], not_in_catalog=r["not_in_catalog"])
        return await info.context.read("modelDataDrift", run)
