"""GraphTotals: how much the graph holds."""

from __future__ import annotations

from typing import Any

import strawberry

from .. import _model as m


@strawberry.type(description="How many nodes of each kind the graph holds.")
class GraphTotals:
    datasets: int
    pipelines: int
    models: int
    features: int
    runs: int
    failed_runs: int = strawberry.field(description="Runs whose state is FAIL or ABORT.")

    @classmethod
    def of(cls, counts: dict[str, Any]) -> "GraphTotals":
        return cls(datasets=counts[m.DATASET], pipelines=counts[m.PIPELINE], models=counts[m.MODEL],
                   features=counts[m.FEATURE], runs=counts[m.RUN], failed_runs=counts["failed_runs"])
