"""``JanusGraphClient``: lineage from training code and notebooks.

Configured by the same ``LINEAGE_*`` settings as the server: the embedded file
``LINEAGE_DB`` by default, a JanusGraph server when ``LINEAGE_GREMLIN_URL`` is
set. Writes become OpenLineage events and go through the one translator; reads
go through the query module. Results are plain dicts (see the README).

    from lineage import JanusGraphClient

    with JanusGraphClient() as client:
        client.add_model_trained_on_dataset("churn_predictor", 3, "gold/customers", "snapshot_def456")
        for ds in client.get_upstream_datasets("gold/sales_aggregated", max_depth=10):
            print(ds["dataset_id"], ds["layer"])
"""

from __future__ import annotations

from typing import Any, Iterable

from . import _model as m
from ._analysis import LineageAnalysis
from ._builders import DatasetSpec
from ._errors import InvalidArgument, LineageError
from ._recorder import Recorder, summary
from ._settings import Settings
from ._store import LineageStore


class JanusGraphClient:
    def __init__(self, settings: Settings | None = None, *, store: LineageStore | None = None, **overrides: Any) -> None:
        self.settings = store.settings if store else (settings or Settings.from_env(**overrides))
        self._store = store
        self._owns_store = store is None

    # -- connection ----------------------------------------------------------------

    def connect(self) -> "JanusGraphClient":
        """Open the configured graph (raises a LineageError saying what to fix)."""
        if self._store is None:
            self._store = LineageStore(self.settings)
        return self

    def close(self) -> None:
        if self._store is not None and self._owns_store:
            self._store.close()
            self._store = None

    def __enter__(self) -> "JanusGraphClient":
        return self.connect()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def store(self) -> LineageStore:
        if self._store is None:
            raise LineageError("the client is not connected; call connect() or use it in a with block")
        return self._store

    @property
    def queries(self) -> LineageAnalysis:
        return LineageAnalysis(self.store.graph, self.settings.default_namespace)

    def _emit(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        result = self.store.ingest(events)
        if result.rejected:  # events built here are valid; a reject means a bad argument
            raise InvalidArgument(result.rejected[0].reason)
        return summary(events, result.accepted)

    # -- writes: OpenLineage events through the one translator -----------------------

    @property
    def recorder(self) -> Recorder:
        return Recorder(self.settings.default_namespace, self._emit)

    def add_dataset(self, dataset_id: str, layer: str | None = None, version: Any = None) -> dict[str, Any]:
        """Declare a dataset, its layer and (optionally) its current version or snapshot."""
        return self.recorder.add_dataset(dataset_id, layer, version)

    def add_pipeline_generates_dataset(self, pipeline_id: str, pipeline_version: Any, dataset_id: str,
                                       dataset_version: Any = None) -> dict[str, Any]:
        """Record that a version of a pipeline wrote a dataset (optionally a specific snapshot)."""
        return self.recorder.add_pipeline_generates_dataset(pipeline_id, pipeline_version, dataset_id,
                                                            dataset_version)

    def add_model_trained_on_dataset(self, model_name: str, model_version: Any, dataset_id: str,
                                     dataset_version: Any = None, **kw: Any) -> dict[str, Any]:
        """Record that a model version was trained on a dataset; pin ``dataset_version`` and
        pass ``code_version`` (of the training code) for a reproducible model."""
        return self.recorder.add_model_trained_on_dataset(model_name, model_version, dataset_id,
                                                          dataset_version, **kw)

    def record_pipeline_execution(self, pipeline_id: str, pipeline_version: Any,
                                  input_datasets: Iterable[str | DatasetSpec],
                                  output_datasets: Iterable[str | DatasetSpec], **kw: Any) -> dict[str, Any]:
        """Record one run of a pipeline: what it read and wrote (``'id'`` or ``'id@version'``)."""
        return self.recorder.record_pipeline_execution(pipeline_id, pipeline_version, input_datasets,
                                                       output_datasets, **kw)

    def record_dataset_promotion(self, source_dataset: str, target_dataset: str,
                                 transformation: str) -> dict[str, Any]:
        """Record that ``target_dataset`` was promoted from ``source_dataset`` by ``transformation``."""
        return self.recorder.record_dataset_promotion(source_dataset, target_dataset, transformation)

    # -- reads -----------------------------------------------------------------------

    # ``as_of`` (an RFC 3339 date-time, a date or a datetime) answers as the graph was then,
    # with the dataset versions current then (the rule: lineage.versions.asof)

    def get_upstream_datasets(self, dataset_id: str, max_depth: int = 5, as_of: Any = None) -> list[dict[str, Any]]:
        """Datasets that led to this one, nearest first: ``dataset_id``, ``layer``, ``version``, ``distance``."""
        return self.queries.upstream(dataset_id, max_depth, labels=[m.DATASET], as_of=as_of)

    def get_downstream_datasets(self, dataset_id: str, max_depth: int = 5, as_of: Any = None) -> list[dict[str, Any]]:
        return self.queries.downstream(dataset_id, max_depth, labels=[m.DATASET], as_of=as_of)

    def get_upstream(self, node_id: str, max_depth: int = 5, labels: Iterable[str] | None = None,
                     as_of: Any = None) -> list[dict[str, Any]]:
        return self.queries.upstream(node_id, max_depth, labels=labels, as_of=as_of)

    def get_downstream(self, node_id: str, max_depth: int = 5, labels: Iterable[str] | None = None,
                       as_of: Any = None) -> list[dict[str, Any]]:
        return self.queries.downstream(node_id, max_depth, labels=labels, as_of=as_of)

    def get_dataset_consumers(self, dataset_id: str, as_of: Any = None) -> dict[str, list[dict[str, Any]]]:
        """``{'models': [...], 'pipelines': [...], 'features': [...]}`` reading this dataset."""
        return self.queries.consumers(dataset_id, as_of)

    def get_dataset_versions(self, dataset_id: str, as_of: Any = None, limit: int = 100) -> list[dict[str, Any]]:
        """Every version of a dataset, newest first: ``version``, ``source``, ``created_at``, ``run``,
        ``row_count``, ``fields``, ``schema_change`` (``added``/``removed``/``retyped``) and ``inputs``."""
        from .versions.history import VersionHistory

        return VersionHistory(self.queries).versions(dataset_id, as_of, limit)

    def get_model_training_lineage(self, model_name: str, version: Any = None, max_depth: int = 5,
                                   as_of: Any = None) -> dict[str, Any]:
        """``{'model': {...}, 'training_datasets': [{'dataset_id', 'version', ...}], ...}``."""
        return self.queries.model_training_lineage(model_name, version, max_depth, as_of=as_of)

    def check_reproducibility(self, model_name: str, version: Any = None) -> dict[str, Any]:
        return self.queries.reproducibility(model_name, version)

    def impact_analysis(self, dataset_id: str, change_type: str = "schema", max_depth: int = 10,
                        as_of: Any = None) -> dict[str, Any]:
        return self.queries.impact(dataset_id, change_type, max_depth, as_of=as_of)

    def lineage_graph(self, node_id: str, node_type: str | None = None, depth: int = 3,
                      direction: str = "both", node_cap: int = 200, as_of: Any = None) -> dict[str, Any]:
        return self.queries.lineage_graph(node_id, node_type, depth, direction, node_cap, as_of=as_of).to_dict()

    def find_paths(self, from_id: str, to_id: str, max_depth: int = 10, limit: int = 10) -> list[list[str]]:
        return self.queries.paths(from_id, to_id, max_depth, limit)

    def search(self, prefix: str, labels: Iterable[str] | None = None, limit: int = 20) -> list[dict[str, Any]]:
        return self.queries.search(prefix, labels, limit)

    def bronze_to_model_paths(self, limit: int = 10) -> list[list[str]]:
        return self.queries.bronze_to_model_paths(limit)

    def orphaned_datasets(self) -> list[str]:
        return self.queries.orphaned_datasets()

    def unreproducible_models(self) -> list[dict[str, Any]]:
        return self.queries.unreproducible_models()
