"""``rootCause``: the first step where a bad run, or a wrong dataset version, parted from a good one."""

from __future__ import annotations

from typing import Any, Optional

import strawberry
from strawberry.scalars import JSON

from .._errors import InvalidArgument


@strawberry.type(description="A step the root-cause walk compared, in the order it was walked.")
class RootCauseStep:
    pipeline_id: Optional[str]
    good_run_id: Optional[str]
    bad_run_id: Optional[str]
    inputs_matched: bool
    outputs_matched: bool


@strawberry.type(description="Where a good and a bad run parted ways, and why.")
class RootCause:
    verdict: str = strawberry.field(description="code_change, parameter_change, nondeterministic, input_changed, "
                                                "new_step or no_difference.")
    explanation: str
    pipeline_id: Optional[str]
    function_id: Optional[str] = strawberry.field(description="module.qualname of the step's function.")
    good_run_id: Optional[str]
    bad_run_id: Optional[str]
    old_version: Optional[str] = strawberry.field(description="The code version of the step in the good run.")
    new_version: Optional[str] = strawberry.field(description="The code version of the step in the bad run.")
    source_diff: Optional[str] = strawberry.field(description="Unified diff of the two stored versions, when "
                                                              "the function store has both.")
    parameter_changes: JSON = strawberry.field(description="{name: {good, bad}} for parameters that differ.")
    changed_inputs: JSON = strawberry.field(description="[{datasetId, good, bad}] when the data entering differed.")
    path: list[RootCauseStep]

    @classmethod
    def of(cls, r: dict[str, Any]) -> "RootCause":
        return cls(verdict=r["verdict"], explanation=r["explanation"], pipeline_id=r["pipelineId"],
                   function_id=r["functionId"], good_run_id=r["goodRunId"], bad_run_id=r["badRunId"],
                   old_version=r["oldVersion"], new_version=r["newVersion"], source_diff=r["sourceDiff"],
                   parameter_changes=r["parameterChanges"], changed_inputs=r["changedInputs"],
                   path=[RootCauseStep(pipeline_id=p["pipelineId"], good_run_id=p["goodRunId"],
                                       bad_run_id=p["badRunId"], inputs_matched=p["inputsMatched"],
                                       outputs_matched=p["outputsMatched"]) for p in r["path"]])


def find(q: Any, settings: Any, good_run_id: Optional[str], bad_run_id: Optional[str], dataset_id: Optional[str],
         bad_version: Optional[str], good_version: Optional[str]) -> RootCause:
    from ..replay.functions import FunctionStore
    from ..replay.rootcause import RootCause as Finder

    folder = settings["LINEAGE_REPLAY_DIR"] if settings is not None else ""
    finder = Finder(q, FunctionStore(folder) if folder else None)
    if dataset_id is not None:
        if bad_version is None:
            raise InvalidArgument("badVersion is required with datasetId: the version or fingerprint that is wrong")
        return RootCause.of(finder.of_dataset(dataset_id, bad_version, good_version))
    if good_run_id is None or bad_run_id is None:
        raise InvalidArgument("give goodRunId and badRunId, or datasetId and badVersion")
    return RootCause.of(finder.between(good_run_id, bad_run_id))
