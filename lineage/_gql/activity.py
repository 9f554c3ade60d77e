"""Activity: what the home page shows (totals, latest runs, changed datasets, model verdicts)."""

from __future__ import annotations

from typing import Any

import strawberry

from .. import _activity
from .changed_dataset import ChangedDataset
from .model_verdict import ModelVerdict
from .totals import GraphTotals
from .types import Run


@strawberry.type(description="Recent activity in the graph, for a home page.")
class Activity:
    totals: GraphTotals
    latest_runs: list[Run] = strawberry.field(description="Newest runs, failed and aborted ones first.")
    changed_datasets: list[ChangedDataset] = strawberry.field(description="Datasets written most recently.")
    models: list[ModelVerdict] = strawberry.field(description="Newest model versions with their verdict.")

    @classmethod
    def read(cls, q: Any, runs: int, datasets: int, models: int) -> "Activity":
        found = _activity.activity(q, runs, datasets, models)
        return cls(totals=GraphTotals.of(found["totals"]), latest_runs=[Run.of(r) for r in found["runs"]],
                   changed_datasets=[ChangedDataset.of(d) for d in found["datasets"]],
                   models=[ModelVerdict.of(x) for x in found["models"]])
