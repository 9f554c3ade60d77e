"""Spark jobs with their code version (``pip install 'lineage-graph[spark]'``).

:class:`VersionedSparkJob` records one run of a Spark job file: what it read
and wrote, and the version of its code (the hash of the job file, and the git
commit of the checkout it runs from)::

    from lineage.integrations.spark import VersionedSparkJob

    job = VersionedSparkJob(job_name="transform_sales", job_file=__file__,
                            input_datasets=["bronze/sales"], output_datasets=["silver/sales"])
    ...  # the Spark work
    job.emit_lineage(spark=spark)     # OpenLineage events -> the graph

Datasets are ids (``bronze/sales``, ``bronze/sales@v3`` to pin a version, or
``file:///data/bronze/sales``) or :class:`~lineage.DatasetSpec` values. The job's
version is the file's hash (``sha256:``, normalised for Python as
:func:`lineage.capture.codeversion.file_version` says), so an edit to the job
changes it and reformatting does not; the commit rides in the standard
``sourceCodeLocation`` facet.

For lineage of every Spark action with no code at all, use the OpenLineage
Spark listener (``io.openlineage:openlineage-spark``) with its HTTP transport
pointed at ``lineage serve``; the README shows the configuration.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Iterable

from .._builders import DatasetSpec, now_iso
from .._errors import InvalidArgument
from . import recorder_of


class VersionedSparkJob:
    def __init__(self, job_name: str, job_file: str | os.PathLike[str],
                 input_datasets: Iterable[DatasetSpec | str] = (),
                 output_datasets: Iterable[DatasetSpec | str] = (), *, description: str | None = None) -> None:
        if not job_name or not str(job_name).strip():
            raise InvalidArgument("job_name must not be empty; pass e.g. job_name='transform_sales'")
        if not os.path.isfile(job_file):
            raise InvalidArgument(f"job_file {str(job_file)!r} is not a readable file; pass the job's source "
                                  "file, e.g. job_file=__file__")
        self.job_name = job_name
        self.job_file = os.path.abspath(job_file)
        self.input_datasets = [DatasetSpec.coerce(d) for d in input_datasets]
        self.output_datasets = [DatasetSpec.coerce(d) for d in output_datasets]
        self.description = description
        self._started = now_iso()

    @property
    def code_version(self) -> str:
        """The job file's hash, ``sha256:<hex>``, read now (the file as it is run)."""
        from ..capture.codeversion import file_version

        return file_version(self.job_file)

    @property
    def git_commit(self) -> str | None:
        from ..capture.codeversion import git_commit

        return git_commit(self.job_file)

    def _job_facets(self) -> dict[str, Any]:
        from ..facets import PRODUCER

        schema = "https://openlineage.io/spec/facets/1-0-1/SourceCodeLocationJobFacet.json"
        location: dict[str, Any] = {"_producer": PRODUCER, "_schemaURL": schema,
                                    "type": "git" if self.git_commit else "file",
                                    "url": "file://" + self.job_file, "path": self.job_file}
        if self.git_commit:
            location["version"] = self.git_commit
        return {"sourceCodeLocation": location,
                "jobType": {"_producer": PRODUCER,
                            "_schemaURL": "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json",
                            "processingType": "BATCH", "integration": "SPARK", "jobType": "JOB"}}

    def _run_facets(self, spark: Any) -> dict[str, Any]:
        if spark is None:
            return {}
        from ..facets import PRODUCER

        facets: dict[str, Any] = {"processing_engine": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json",
            "name": "spark", "version": str(spark.version)}}
        try:
            app = spark.sparkContext
            facets["spark_applicationDetails"] = {
                "_producer": PRODUCER,
                "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/SparkApplicationDetailsRunFacet.json",
                "master": app.master, "appName": app.appName, "applicationId": app.applicationId}
        except Exception:  # noqa: BLE001  a Spark Connect session has no SparkContext
            pass
        return facets

    def events(self, *, run_id: str | None = None, state: str = "COMPLETE", spark: Any = None,
               default_namespace: str = "default") -> list[dict[str, Any]]:
        """The START and final OpenLineage events of this run, as JSON-ready dicts."""
        from .._builders import EventBuilder

        return self._decorate(EventBuilder(default_namespace), run_id, state, spark)

    def _decorate(self, builder: Any, run_id: str | None, state: str, spark: Any) -> list[dict[str, Any]]:
        events = builder.pipeline_run(
            self.job_name, version=self.code_version, pipeline_type="spark", inputs=self.input_datasets,
            outputs=self.output_datasets, description=self.description, run_id=run_id or str(uuid.uuid4()),
            start_time=self._started, end_time=now_iso(), final_state=state)
        job_facets, run_facets = self._job_facets(), self._run_facets(spark)
        for event in events:
            event["job"].setdefault("facets", {}).update(job_facets)
            event["run"].setdefault("facets", {}).update(run_facets)
        return events

    def emit_lineage(self, target: Any = None, *, spark: Any = None, run_id: str | None = None,
                     state: str = "COMPLETE") -> dict[str, Any]:
        """Record this run (``state`` COMPLETE, FAIL or ABORT) through ``target``: a
        ``JanusGraphClient``, a ``LineageStore`` or a recorder; by default a client
        configured by the ``LINEAGE_*`` settings. Pass the ``SparkSession`` to record
        the Spark version and application."""
        if state not in ("COMPLETE", "FAIL", "ABORT"):
            raise InvalidArgument(f"state must be COMPLETE, FAIL or ABORT; got {state!r}")
        if target is None:
            from .._client import JanusGraphClient

            with JanusGraphClient() as own:
                return self.emit_lineage(own, spark=spark, run_id=run_id, state=state)
        rec = recorder_of(target)
        return rec.emit(self._decorate(rec.builder, run_id, state, spark))
