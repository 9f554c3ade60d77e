"""Custom OpenLineage facets for what the standard facets do not say.

OpenLineage has no model or feature entity, no medallion layer, no code
version of a function and no component heartbeat. These facets fill the gap.
Each carries ``_producer`` and a ``_schemaURL`` pointing at its JSON schema,
which ships beside this module (``lineage/facets/<Class>.json``). The standard
``datasetType`` facet alone (``MODEL`` / ``FEATURE``) is enough to make a
dataset a Model or a Feature; the custom facets add detail.

===================  ===========  ===============================================
facet key            attached to  fields
===================  ===========  ===============================================
``medallion``        dataset      ``layer``
``mlModel``          dataset      ``modelName``, ``version``, ``framework``
``featureView``      dataset      ``featureNames``
``pipelineVersion``  job          ``version``, ``pipelineType``
``provenance``       run          ``finalState`` (FILTERED, CANCELLED, SPLIT)
``codeVersion``      job          ``functionId``, ``versionHash``, ``language``, ``callees``
``parameters``       run          ``parameters``, ``redacted``, ``truncated``
``dataFingerprint``  dataset      ``fingerprint``, ``orderIndependent``, ``rowCount``, ``size``
``checkpoint``       run          ``checkpointId``, ``stream``, ``sequence``, ``status``,
                                  ``offset``, ``endOffset``, ``partition``, ``snapshot``,
                                  ``provenanceRecords``
``component``        job          ``componentType``, ``name``
``heartbeat``        run          ``instanceId``, ``status``, ``reportingPeriod``
``audit``            run, job,    ``requestId``, ``httpRequestId``, ``principal``,
                     dataset      ``clientAddress``, ``receivedAt``, ``execPath``,
                                  ``inputRequestIds``, ``dataSourceName``, ``dataSourceType``
``catalog``          dataset      ``title``, ``sourceMimeType``, ``lastUpdatedAt``,
                                  ``registeredAt``, ``fields``
``replay``           run          ``replayedRunId``, ``reproduced``, ``steps``
===================  ===========  ===============================================

The capture SDK attaches ``codeVersion``, ``parameters``, ``dataFingerprint`` and
``checkpoint``; heartbeats, catalog messages and the audit of each accepted
write travel as ``component``, ``heartbeat``, ``catalog`` and ``audit`` (read
back for the translator by :mod:`lineage.catalog.facets`); a replay records
itself with ``replay``.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attr
from openlineage.client.generated.base import DatasetFacet, JobFacet, RunFacet

PRODUCER = "https://github.com/lineage-graph/lineage"
SCHEMA_BASE = f"{PRODUCER}/blob/main/lineage/facets/"

_F = TypeVar("_F", bound=type)


def _schema(cls: _F) -> _F:
    """Point a facet class at its schema, ``<Class>.json#/$defs/<Class>`` beside this module."""
    url = f"{SCHEMA_BASE}{cls.__name__}.json#/$defs/{cls.__name__}"
    cls._get_schema = staticmethod(lambda: url)  # type: ignore[attr-defined]
    return cls


@_schema
@attr.define
class MedallionDatasetFacet(DatasetFacet):
    layer: str


@_schema
@attr.define
class MLModelDatasetFacet(DatasetFacet):
    modelName: str | None = attr.field(default=None)  # noqa: N815
    version: str | None = attr.field(default=None)
    framework: str | None = attr.field(default=None)


@_schema
@attr.define
class FeatureViewDatasetFacet(DatasetFacet):
    featureNames: list[str] = attr.field(factory=list)  # noqa: N815


@_schema
@attr.define
class PipelineVersionJobFacet(JobFacet):
    version: str
    pipelineType: str | None = attr.field(default=None)  # noqa: N815


@_schema
@attr.define
class ProvenanceRunFacet(RunFacet):
    """On a terminal event: the outcome a producer reports beyond OpenLineage's
    COMPLETE / FAIL / ABORT (the data was filtered out, cancelled, or split into
    children that send their own events with this run as parent)."""

    finalState: str  # noqa: N815


@_schema
@attr.define
class CodeVersionJobFacet(JobFacet):
    versionHash: str  # noqa: N815
    functionId: str | None = attr.field(default=None)  # noqa: N815
    language: str | None = attr.field(default=None)
    callees: list[str] = attr.field(factory=list)


@_schema
@attr.define
class ParametersRunFacet(RunFacet):
    parameters: dict[str, Any] = attr.field(factory=dict)
    redacted: list[str] = attr.field(factory=list)
    truncated: bool = attr.field(default=False)


@_schema
@attr.define
class DataFingerprintDatasetFacet(DatasetFacet):
    fingerprint: str
    orderIndependent: bool | None = attr.field(default=None)  # noqa: N815
    rowCount: int | None = attr.field(default=None)  # noqa: N815
    size: int | None = attr.field(default=None)


@_schema
@attr.define
class CheckpointRunFacet(RunFacet):
    checkpointId: str  # noqa: N815
    stream: str
    status: str
    sequence: int | None = attr.field(default=None)
    offset: int | None = attr.field(default=None)
    endOffset: int | None = attr.field(default=None)  # noqa: N815
    partition: str | None = attr.field(default=None)
    snapshot: str | None = attr.field(default=None)
    provenanceRecords: list[dict[str, Any]] = attr.field(factory=list)  # noqa: N815


@_schema
@attr.define
class ComponentJobFacet(JobFacet):
    componentType: str  # noqa: N815
    name: str | None = attr.field(default=None)


@_schema
@attr.define
class HeartbeatRunFacet(RunFacet):
    instanceId: str  # noqa: N815
    status: str
    reportingPeriod: int  # noqa: N815


@_schema
@attr.define
class AuditFacet(RunFacet):
    """Who wrote a record and from what. The server sets ``httpRequestId``,
    ``principal``, ``clientAddress`` and ``receivedAt``; a producer may set the rest."""

    requestId: str | None = attr.field(default=None)  # noqa: N815
    httpRequestId: str | None = attr.field(default=None)  # noqa: N815
    principal: str | None = attr.field(default=None)
    clientAddress: str | None = attr.field(default=None)  # noqa: N815
    receivedAt: str | None = attr.field(default=None)  # noqa: N815
    execPath: str | None = attr.field(default=None)  # noqa: N815
    inputRequestIds: list[str] = attr.field(factory=list)  # noqa: N815
    dataSourceName: str | None = attr.field(default=None)  # noqa: N815
    dataSourceType: str | None = attr.field(default=None)  # noqa: N815


@_schema
@attr.define
class CatalogDatasetFacet(DatasetFacet):
    title: str | None = attr.field(default=None)
    sourceMimeType: str | None = attr.field(default=None)  # noqa: N815
    lastUpdatedAt: str | None = attr.field(default=None)  # noqa: N815
    registeredAt: str | None = attr.field(default=None)  # noqa: N815
    fields: dict[str, Any] = attr.field(factory=dict)


@_schema
@attr.define
class ReplayRunFacet(RunFacet):
    replayedRunId: str  # noqa: N815
    reproduced: bool
    steps: list[dict[str, Any]] = attr.field(factory=list)


FACET_CLASSES = (MedallionDatasetFacet, MLModelDatasetFacet, FeatureViewDatasetFacet, PipelineVersionJobFacet,
                 ProvenanceRunFacet, CodeVersionJobFacet, ParametersRunFacet, DataFingerprintDatasetFacet,
                 CheckpointRunFacet, ComponentJobFacet, HeartbeatRunFacet, AuditFacet, CatalogDatasetFacet,
                 ReplayRunFacet)
