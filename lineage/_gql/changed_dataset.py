"""ChangedDataset: a dataset and when a pipeline last wrote it."""

from __future__ import annotations

from typing import Any, Optional

import strawberry


@strawberry.type(description="A dataset and the latest time a pipeline wrote it.")
class ChangedDataset:
    id: str
    label: str
    layer: Optional[str]
    version: Optional[str] = strawberry.field(description="The dataset's latest version.")
    changed_at: str = strawberry.field(description="Event time of the latest write (ISO 8601 UTC).")
    written_by: str = strawberry.field(description="The pipeline that wrote it then.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> "ChangedDataset":
        return cls(**{k: row[k] for k in ("id", "label", "layer", "version", "changed_at", "written_by")})
