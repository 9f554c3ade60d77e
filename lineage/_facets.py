"""Custom OpenLineage facets for what the standard facets do not say.

OpenLineage has no model or feature entity and no medallion layer. These
facets fill the gap; each carries ``_producer`` and a ``_schemaURL`` pointing at
the JSON schema shipped in ``lineage/facets/``. The standard ``datasetType``
facet alone (``MODEL`` / ``FEATURE``) is enough to make a dataset a Model or a
Feature; the custom facets add detail.

================  ==============  ======================================
facet key         attached to     fields
================  ==============  ======================================
``medallion``     dataset         ``layer``
``mlModel``       dataset         ``modelName``, ``version``, ``framework``
``featureView``   dataset         ``featureNames``
``pipelineVersion`` job           ``version``, ``pipelineType``
``provenance``    run             ``finalState`` (FILTERED, CANCELLED, SPLIT)
================  ==============  ======================================
"""

from __future__ import annotations

import attr
from openlineage.client.generated.base import DatasetFacet, JobFacet, RunFacet

PRODUCER = "https://github.com/lineage-graph/lineage"
SCHEMA_BASE = f"{PRODUCER}/blob/main/lineage/facets/"


@attr.define
class MedallionDatasetFacet(DatasetFacet):
    layer: str

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "MedallionDatasetFacet.json#/$defs/MedallionDatasetFacet"


@attr.define
class MLModelDatasetFacet(DatasetFacet):
    modelName: str | None = attr.field(default=None)  # noqa: N815
    version: str | None = attr.field(default=None)
    framework: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "MLModelDatasetFacet.json#/$defs/MLModelDatasetFacet"


@attr.define
class FeatureViewDatasetFacet(DatasetFacet):
    featureNames: list[str] = attr.field(factory=list)  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "FeatureViewDatasetFacet.json#/$defs/FeatureViewDatasetFacet"


@attr.define
class PipelineVersionJobFacet(JobFacet):
    version: str
    pipelineType: str | None = attr.field(default=None)  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "PipelineVersionJobFacet.json#/$defs/PipelineVersionJobFacet"


@attr.define
class ProvenanceRunFacet(RunFacet):
    """On a terminal event: the outcome a producer reports beyond OpenLineage's
    COMPLETE / FAIL / ABORT (the data was filtered out, cancelled, or split into
    children that send their own events with this run as parent)."""

    finalState: str  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "ProvenanceRunFacet.json#/$defs/ProvenanceRunFacet"


def set_producer(facet: attr.AttrsInstance) -> attr.AttrsInstance:
    """Stamp our producer URL on a facet built by this package."""
    facet._producer = PRODUCER  # type: ignore[attr-defined]
    return facet
