"""The record of one captured step, and how it becomes OpenLineage events.

A :class:`StepRecord` is what replay and root-cause analysis need about a step:
the function's identity and code version, its parameters, each input and
output with its fingerprint, rows and bytes, when it started and ended, its
parent step, and the error if it failed. :func:`run_events` turns it into the
START and COMPLETE/FAIL RunEvents that carry the same facts as facets.
"""

from __future__ import annotations

import enum
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from openlineage.client import event_v2 as ol
from openlineage.client.facet_v2 import (dataset_type_dataset, dataset_version_dataset, error_message_run,
                                         input_statistics_input_dataset, job_type_job,
                                         output_statistics_output_dataset, parent_run, schema_dataset,
                                         source_code_job, source_code_location_job, sql_job)

from ..facets import (PRODUCER, AuditFacet, CheckpointRunFacet, CodeVersionJobFacet, DataFingerprintDatasetFacet,
                      MLModelDatasetFacet, ParametersRunFacet)


class OperationType(str, enum.Enum):
    """What a step does to data (the tracker spec's operation types)."""

    READ = "read"
    WRITE = "write"
    TRANSFORM = "transform"
    AGGREGATE = "aggregate"
    JOIN = "join"
    FILTER = "filter"
    VALIDATE = "validate"
    INGEST = "ingest"
    EXECUTE = "execute"
    TRAIN = "train"
    PROMOTE = "promote"


@dataclass
class DataRecord:
    """One input or output of a step."""

    namespace: str
    name: str
    dataset_id: str
    fingerprint: str | None = None
    rows: int | None = None
    bytes: int | None = None
    order_independent: bool | None = None
    version: str | None = None              # the version given by the caller (a snapshot id)
    columns: list[tuple[str, str]] | None = None
    model_name: str | None = None          # set when the dataset is a model version
    framework: str | None = None

    @property
    def effective_version(self) -> str | None:
        return self.version or self.fingerprint


@dataclass
class StepRecord:
    run_id: str
    job_namespace: str
    job_name: str
    operation_type: str
    function_id: str | None = None
    code_version: str | None = None
    callees: list[str] = field(default_factory=list)
    source: str | None = None
    source_path: str | None = None
    sql: str | None = None
    integration: str = "PYTHON"
    parameters: dict[str, Any] = field(default_factory=dict)
    redacted: list[str] = field(default_factory=list)
    parameters_truncated: bool = False
    inputs: list[DataRecord] = field(default_factory=list)
    outputs: list[DataRecord] = field(default_factory=list)
    started_at: str | None = None
    ended_at: str | None = None
    duration_ms: float | None = None
    state: str = "START"
    error_type: str | None = None
    error_message: str | None = None
    stack_trace: str | None = None
    parent_run_id: str | None = None
    parent_job: tuple[str, str] | None = None
    root_run_id: str | None = None
    root_job: tuple[str, str] | None = None
    description: str | None = None
    request_id: str | None = None                                    # audit: this record's request id
    input_request_ids: list[str] = field(default_factory=list)       # and those of the records it read
    checkpoint: dict[str, Any] | None = None   # set on the run of a stream checkpoint

    @property
    def error_info(self) -> dict[str, str] | None:
        """The spec's ``error_info``: the exception type and message, when the step failed."""
        if self.error_type is None:
            return None
        return {"type": self.error_type, "message": self.error_message or ""}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _dataset_facets(d: DataRecord) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if d.fingerprint:
        facets["dataFingerprint"] = DataFingerprintDatasetFacet(
            fingerprint=d.fingerprint, orderIndependent=d.order_independent, rowCount=d.rows, size=d.bytes,
            producer=PRODUCER)
    if d.effective_version:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=d.effective_version, producer=PRODUCER)
    if d.columns:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in d.columns],
            producer=PRODUCER)
    if d.model_name is not None:
        facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(datasetType="MODEL", producer=PRODUCER)
        facets["mlModel"] = MLModelDatasetFacet(modelName=d.model_name, version=d.version,
                                                framework=d.framework, producer=PRODUCER)
    return facets


def _job(record: StepRecord) -> ol.Job:
    facets: dict[str, Any] = {
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration=record.integration,
                                                jobType=record.operation_type.upper(), producer=PRODUCER)}
    if record.code_version:
        facets["codeVersion"] = CodeVersionJobFacet(
            versionHash=record.code_version, functionId=record.function_id,
            language="sql" if record.sql else "python", callees=list(record.callees), producer=PRODUCER)
    if record.source:
        facets["sourceCode"] = source_code_job.SourceCodeJobFacet(
            language="python", sourceCode=record.source, producer=PRODUCER)
    if record.source_path:
        path = os.path.abspath(record.source_path)
        facets["sourceCodeLocation"] = source_code_location_job.SourceCodeLocationJobFacet(
            type="file", url="file://" + path, path=path, producer=PRODUCER)
    if record.sql:
        dialect = record.integration.lower() if record.integration != "PYTHON" else None
        facets["sql"] = sql_job.SQLJobFacet(query=record.sql, dialect=dialect, producer=PRODUCER)
    if record.description:
        from openlineage.client.facet_v2 import documentation_job
        facets["documentation"] = documentation_job.DocumentationJobFacet(
            description=record.description, producer=PRODUCER)
    return ol.Job(namespace=record.job_namespace, name=record.job_name, facets=facets)


def _run(record: StepRecord, final: bool) -> ol.Run:
    facets: dict[str, Any] = {}
    if record.parameters or record.redacted:
        facets["parameters"] = ParametersRunFacet(parameters=record.parameters, redacted=record.redacted,
                                                  truncated=record.parameters_truncated, producer=PRODUCER)
    if record.parent_run_id and record.parent_job:
        root = None
        if record.root_run_id and record.root_job:
            root = parent_run.Root(run=parent_run.RootRun(runId=record.root_run_id),
                                   job=parent_run.RootJob(namespace=record.root_job[0], name=record.root_job[1]))
        facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=record.parent_run_id),
            job=parent_run.Job(namespace=record.parent_job[0], name=record.parent_job[1]),
            root=root, producer=PRODUCER)
    if record.checkpoint is not None:
        status = "IN_PROGRESS" if not final else ("FAILED" if record.error_type is not None else "COMPLETE")
        facets["checkpoint"] = CheckpointRunFacet(**{**record.checkpoint, "status": status,
                                                     "checkpointId": record.run_id}, producer=PRODUCER)
    if final and record.error_type is not None:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=f"{record.error_type}: {record.error_message}", programmingLanguage="python",
            stackTrace=record.stack_trace, producer=PRODUCER)
    if final and record.request_id:
        facets["audit"] = AuditFacet(requestId=record.request_id, execPath=f"{record.job_namespace}/{record.job_name}",
                                     inputRequestIds=list(record.input_request_ids), producer=PRODUCER)
    return ol.Run(runId=record.run_id, facets=facets)


def _inputs(record: StepRecord, final: bool) -> list[ol.InputDataset]:
    out = []
    for d in record.inputs:
        io = {}
        if final and (d.rows is not None or d.bytes is not None):
            io["inputStatistics"] = input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                rowCount=d.rows, size=d.bytes, producer=PRODUCER)
        out.append(ol.InputDataset(namespace=d.namespace, name=d.name, facets=_dataset_facets(d), inputFacets=io))
    return out


def _outputs(record: StepRecord) -> list[ol.OutputDataset]:
    out = []
    for d in record.outputs:
        io = {}
        if d.rows is not None or d.bytes is not None:
            io["outputStatistics"] = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=d.rows, size=d.bytes, producer=PRODUCER)
        out.append(ol.OutputDataset(namespace=d.namespace, name=d.name, facets=_dataset_facets(d), outputFacets=io))
    return out


def start_event(record: StepRecord) -> ol.RunEvent:
    return ol.RunEvent(eventType=ol.RunState.START, eventTime=record.started_at or "", run=_run(record, False),
                       job=_job(record), inputs=_inputs(record, False), outputs=[], producer=PRODUCER)


def final_event(record: StepRecord) -> ol.RunEvent:
    state = ol.RunState.FAIL if record.error_type is not None else ol.RunState.COMPLETE
    return ol.RunEvent(eventType=state, eventTime=record.ended_at or record.started_at or "",
                       run=_run(record, True), job=_job(record), inputs=_inputs(record, True),
                       outputs=_outputs(record), producer=PRODUCER)
