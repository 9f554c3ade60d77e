"""ModelVerdict: a model version and whether it can be reproduced."""

from __future__ import annotations

from typing import Any, Optional

import strawberry


@strawberry.type(description="A model version with its reproducibility verdict.")
class ModelVerdict:
    id: str = strawberry.field(description="The model id, name@version.")
    label: str
    model_name: str
    version: Optional[str]
    last_seen: Optional[str]
    is_reproducible: bool
    missing: list[str] = strawberry.field(description="What keeps the model from being reproducible.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> "ModelVerdict":
        return cls(id=row["id"], label=row["label"], model_name=row["model_name"], version=row["version"],
                   last_seen=row["last_seen"], is_reproducible=row["reproducible"], missing=row["missing"])
