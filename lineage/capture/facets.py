"""The custom facets the capture SDK attaches to its events.

Like those of :mod:`lineage._facets`, each carries ``_producer`` and a
``_schemaURL`` pointing at its JSON schema in ``lineage/facets/``.

=================  ===========  =====================================================
facet key          attached to  fields
=================  ===========  =====================================================
``codeVersion``    job          ``functionId``, ``versionHash``, ``language``, ``callees``
``parameters``     run          ``parameters``, ``redacted``, ``truncated``
``dataFingerprint`` dataset     ``fingerprint``, ``orderIndependent``, ``rowCount``, ``size``
``checkpoint``     run          ``checkpointId``, ``stream``, ``sequence``, ``status``, ``offset``,
                                ``endOffset``, ``partition``, ``snapshot``, ``provenanceRecords``
=================  ===========  =====================================================
"""

from __future__ import annotations

from typing import Any

import attr
from openlineage.client.generated.base import DatasetFacet, JobFacet, RunFacet

from .._facets import PRODUCER, SCHEMA_BASE


@attr.define
class CodeVersionJobFacet(JobFacet):
    versionHash: str  # noqa: N815
    functionId: str | None = attr.field(default=None)  # noqa: N815
    language: str | None = attr.field(default=None)
    callees: list[str] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "CodeVersionJobFacet.json#/$defs/CodeVersionJobFacet"


@attr.define
class ParametersRunFacet(RunFacet):
    parameters: dict[str, Any] = attr.field(factory=dict)
    redacted: list[str] = attr.field(factory=list)
    truncated: bool = attr.field(default=False)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "ParametersRunFacet.json#/$defs/ParametersRunFacet"


@attr.define
class DataFingerprintDatasetFacet(DatasetFacet):
    fingerprint: str
    orderIndependent: bool | None = attr.field(default=None)  # noqa: N815
    rowCount: int | None = attr.field(default=None)  # noqa: N815
    size: int | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "DataFingerprintDatasetFacet.json#/$defs/DataFingerprintDatasetFacet"


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

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "CheckpointRunFacet.json#/$defs/CheckpointRunFacet"


FACET_CLASSES = (CodeVersionJobFacet, ParametersRunFacet, DataFingerprintDatasetFacet, CheckpointRunFacet)
__all__ = ["CodeVersionJobFacet", "ParametersRunFacet", "DataFingerprintDatasetFacet", "CheckpointRunFacet",
           "FACET_CLASSES", "PRODUCER"]
