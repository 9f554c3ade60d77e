"""Building OpenLineage events from short ids.

The Python client, GraphQL mutations and ``lineage demo`` describe lineage in
our vocabulary (``gold/customers@snapshot_def456``, pipeline version 5, a model
and its version). This module turns that into ordinary OpenLineage RunEvents,
built with the ``openlineage.client`` classes, which then take the same road
as any event a producer sends.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from openlineage.client import event_v2 as ol
from openlineage.client.facet_v2 import (column_lineage_dataset, dataset_type_dataset, dataset_version_dataset,
                                         documentation_job, schema_dataset)
from openlineage.client.serde import Serde

from .facets import (PRODUCER, FeatureViewDatasetFacet, MedallionDatasetFacet,
                      MLModelDatasetFacet, PipelineVersionJobFacet)
from ._ids import NodeKey

_RUN_NAMESPACE = uuid.UUID("6f2b3f0e-2c1a-4d53-9a8e-3f6d2b7c9e11")


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset as a writer names it: an id, and optionally a version and a layer."""

    dataset_id: str
    version: str | None = None
    layer: str | None = None
    kind: str | None = None                 # None (a dataset), "MODEL" or "FEATURE"
    framework: str | None = None
    feature_names: Sequence[str] | None = None
    schema: Sequence[tuple[str, str]] | None = None
    # column lineage, on an output: (field, source dataset id, source field, how) with how one of
    # IDENTITY, TRANSFORMATION, AGGREGATION, MASKED (direct) or JOIN, FILTER, GROUP_BY, SORT,
    # WINDOW, CONDITIONAL (indirect), and optionally a description; field "*" is the whole dataset
    columns: Sequence[tuple[str, ...]] | None = None

    @classmethod
    def coerce(cls, value: "DatasetSpec | str | tuple[str, str | None]") -> "DatasetSpec":
        """``'gold/customers'``, ``'gold/customers@snap1'`` or ``('gold/customers', 'snap1')``."""
        if isinstance(value, DatasetSpec):
            return value
        if isinstance(value, tuple):
            return cls(value[0], value[1])
        name, sep, version = str(value).rpartition("@")
        return cls(name, version) if sep and name else cls(str(value))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def stable_run_id(*parts: Any) -> str:
    """A run id derived from its description, so repeating a call repeats the run."""
    return str(uuid.uuid5(_RUN_NAMESPACE, "\x1f".join(str(p) for p in parts)))


class EventBuilder:
    def __init__(self, default_namespace: str) -> None:
        self.default_namespace = default_namespace

    def _facets(self, spec: DatasetSpec) -> dict[str, Any]:
        facets: dict[str, Any] = {}
        if spec.version is not None:
            facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=str(spec.version), producer=PRODUCER)
        if spec.layer:
            facets["medallion"] = MedallionDatasetFacet(layer=spec.layer, producer=PRODUCER)
        if spec.schema:
            facets["schema"] = schema_dataset.SchemaDatasetFacet(
                fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in spec.schema],
                producer=PRODUCER)
        if spec.columns:
            facets["columnLineage"] = self._column_lineage(spec.columns)
        if spec.kind == "MODEL":
            facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(
                datasetType="MODEL", producer=PRODUCER)
            facets["mlModel"] = MLModelDatasetFacet(
                version=None if spec.version is None else str(spec.version), framework=spec.framework,
                producer=PRODUCER)
        elif spec.kind == "FEATURE":
            facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(
                datasetType="FEATURE", producer=PRODUCER)
            facets["featureView"] = FeatureViewDatasetFacet(
                featureNames=list(spec.feature_names or []), producer=PRODUCER)
        return facets

    def _column_lineage(self, columns: Sequence[tuple[str, ...]]) -> Any:
        cl = column_lineage_dataset
        fields: dict[str, list[Any]] = {}
        whole: list[Any] = []
        for field, source, source_field, how, *rest in columns:
            how = how.upper()
            kind = "DIRECT" if how in ("IDENTITY", "TRANSFORMATION", "AGGREGATION", "MASKED") else "INDIRECT"
            step = cl.Transformation(type=kind, subtype="TRANSFORMATION" if how == "MASKED" else how,
                                     description=rest[0] if rest else None, masking=how == "MASKED")
            key = NodeKey.parse(source, self.default_namespace)
            item = cl.InputField(namespace=key.namespace, name=key.name, field=source_field, transformations=[step])
            (whole if field == "*" else fields.setdefault(field, [])).append(item)
        return cl.ColumnLineageDatasetFacet(
            fields={name: cl.Fields(inputFields=items) for name, items in fields.items()},
            dataset=whole, producer=PRODUCER)

    def _key(self, spec: DatasetSpec) -> NodeKey:
        return NodeKey.parse(spec.dataset_id, self.default_namespace)

    def pipeline_run(self, pipeline_id: str, *, version: Any = None, pipeline_type: str | None = None,
                     inputs: Iterable[DatasetSpec | str] = (), outputs: Iterable[DatasetSpec | str] = (),
                     description: str | None = None, run_id: str | None = None,
                     start_time: str | None = None, end_time: str | None = None,
                     final_state: str = "COMPLETE") -> list[dict[str, Any]]:
        """START and a final event for one run of ``pipeline_id``, as JSON-ready dicts."""
        job_key = NodeKey.parse(pipeline_id, self.default_namespace)
        ins = [DatasetSpec.coerce(s) for s in inputs]
        outs = [DatasetSpec.coerce(s) for s in outputs]
        job_facets: dict[str, Any] = {}
        if version is not None:
            job_facets["pipelineVersion"] = PipelineVersionJobFacet(
                version=str(version), pipelineType=pipeline_type, producer=PRODUCER)
        if description:
            job_facets["documentation"] = documentation_job.DocumentationJobFacet(
                description=description, producer=PRODUCER)
        start = start_time or now_iso()
        run_id = run_id or stable_run_id(pipeline_id, version, start, [s.dataset_id for s in ins],
                                         [s.dataset_id for s in outs])
        job = ol.Job(namespace=job_key.namespace, name=job_key.name, facets=job_facets)
        in_ds = [ol.InputDataset(namespace=k.namespace, name=k.name, facets=self._facets(s))
                 for s, k in ((s, self._key(s)) for s in ins)]
        out_ds = [ol.OutputDataset(namespace=k.namespace, name=k.name, facets=self._facets(s))
                  for s, k in ((s, self._key(s)) for s in outs)]
        events = [
            ol.RunEvent(eventType=ol.RunState.START, eventTime=start, run=ol.Run(runId=run_id), job=job,
                        inputs=in_ds, outputs=out_ds, producer=PRODUCER),
            ol.RunEvent(eventType=ol.RunState(final_state), eventTime=end_time or start,
                        run=ol.Run(runId=run_id), job=job, inputs=in_ds, outputs=out_ds, producer=PRODUCER),
        ]
        return [Serde.to_dict(e) for e in events]

    def dataset_event(self, spec: DatasetSpec | str, event_time: str | None = None) -> dict[str, Any]:
        """A DatasetEvent declaring a dataset (its layer, version, schema) without a run."""
        spec = DatasetSpec.coerce(spec)
        key = self._key(spec)
        event = ol.DatasetEvent(eventTime=event_time or now_iso(), producer=PRODUCER,
                                dataset=ol.StaticDataset(namespace=key.namespace, name=key.name,
                                                         facets=self._facets(spec)))
        return Serde.to_dict(event)
