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

import hashlib
import uuid
from typing import Any, Iterable

from . import _model as m
from ._analysis import LineageAnalysis
from ._builders import DatasetSpec, EventBuilder, now_iso, stable_run_id
from ._errors import InvalidArgument, LineageError
from ._ids import NodeKey
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
        return LineageAnalysis(self.store.g, self.settings.default_namespace)

    @property
    def _builder(self) -> EventBuilder:
        return EventBuilder(self.settings.default_namespace)

    def _emit(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        result = self.store.ingest(events)
        if result.rejected:  # events built here are valid; a reject means a bad argument
            raise InvalidArgument(result.rejected[0].reason)
        return {"events": result.received, "accepted": result.accepted, "duplicates": result.duplicates,
                "run_id": events[0].get("run", {}).get("runId") if events else None}

    # -- writes ----------------------------------------------------------------------

    def add_dataset(self, dataset_id: str, layer: str | None = None, version: Any = None) -> dict[str, Any]:
        """Declare a dataset, its layer and (optionally) its current version or snapshot."""
        spec = DatasetSpec(dataset_id, None if version is None else str(version), layer)
        return self._emit([self._builder.dataset_event(spec)])

    def add_pipeline_generates_dataset(self, pipeline_id: str, pipeline_version: Any, dataset_id: str,
                                       dataset_version: Any = None) -> dict[str, Any]:
        """Record that a version of a pipeline wrote a dataset (optionally a specific snapshot)."""
        out = DatasetSpec(dataset_id, None if dataset_version is None else str(dataset_version))
        run_id = stable_run_id("generates", pipeline_id, pipeline_version, dataset_id, dataset_version)
        return self._emit(self._builder.pipeline_run(pipeline_id, version=pipeline_version, outputs=[out],
                                                     run_id=run_id))

    def add_model_trained_on_dataset(self, model_name: str, model_version: Any, dataset_id: str,
                                     dataset_version: Any = None, *, framework: str | None = None,
                                     pipeline_id: str | None = None, code_version: Any = None) -> dict[str, Any]:
        """Record that a model version was trained on a dataset (pin ``dataset_version``
        for reproducibility). The training pipeline defaults to ``train_<model_name>``;
        give its ``code_version`` to make the model reproducible."""
        model = DatasetSpec(model_name, str(model_version), kind="MODEL", framework=framework)
        source = DatasetSpec(dataset_id, None if dataset_version is None else str(dataset_version))
        pid = pipeline_id or f"train_{model_name}"
        run_id = stable_run_id("trained", model_name, model_version, dataset_id, dataset_version)
        return self._emit(self._builder.pipeline_run(pid, version=code_version, inputs=[source], outputs=[model],
                                                     run_id=run_id))

    def record_pipeline_execution(self, pipeline_id: str, pipeline_version: Any,
                                  input_datasets: Iterable[str | DatasetSpec],
                                  output_datasets: Iterable[str | DatasetSpec], *,
                                  pipeline_type: str | None = None, state: str = "COMPLETE") -> dict[str, Any]:
        """Record one run of a pipeline: what it read and wrote (``'id'`` or ``'id@version'``)."""
        return self._emit(self._builder.pipeline_run(
            pipeline_id, version=pipeline_version, pipeline_type=pipeline_type, inputs=list(input_datasets),
            outputs=list(output_datasets), run_id=str(uuid.uuid4()), final_state=state))

    def record_dataset_promotion(self, source_dataset: str, target_dataset: str,
                                 transformation: str) -> dict[str, Any]:
        """Record that ``target_dataset`` was promoted from ``source_dataset`` (e.g. silver
        to gold) by ``transformation``, which becomes the promotion's description and code identity."""
        src = NodeKey.parse(DatasetSpec.coerce(source_dataset).dataset_id, self.settings.default_namespace)
        dst = NodeKey.parse(DatasetSpec.coerce(target_dataset).dataset_id, self.settings.default_namespace)
        pipeline = NodeKey("promotion", f"{src.render(self.settings.default_namespace)}->"
                                        f"{dst.render(self.settings.default_namespace)}")
        code = "t:" + hashlib.sha256(transformation.encode()).hexdigest()[:12]
        return self._emit(self._builder.pipeline_run(
            pipeline.render(self.settings.default_namespace), version=code, pipeline_type="promotion",
            inputs=[source_dataset], outputs=[target_dataset], description=transformation,
            run_id=str(uuid.uuid4()), start_time=now_iso()))

    # -- reads -----------------------------------------------------------------------

    def get_upstream_datasets(self, dataset_id: str, max_depth: int = 5) -> list[dict[str, Any]]:
        """Datasets that led to this one, nearest first: ``dataset_id``, ``layer``, ``version``, ``distance``."""
        return self.queries.upstream(dataset_id, max_depth, labels=[m.DATASET])

    def get_downstream_datasets(self, dataset_id: str, max_depth: int = 5) -> list[dict[str, Any]]:
        return self.queries.downstream(dataset_id, max_depth, labels=[m.DATASET])

    def get_upstream(self, node_id: str, max_depth: int = 5, labels: Iterable[str] | None = None) -> list[dict[str, Any]]:
        return self.queries.upstream(node_id, max_depth, labels=labels)

    def get_downstream(self, node_id: str, max_depth: int = 5, labels: Iterable[str] | None = None) -> list[dict[str, Any]]:
        return self.queries.downstream(node_id, max_depth, labels=labels)

    def get_dataset_consumers(self, dataset_id: str) -> dict[str, list[dict[str, Any]]]:
        """``{'models': [...], 'pipelines': [...], 'features': [...]}`` reading this dataset."""
        return self.queries.consumers(dataset_id)

    def get_model_training_lineage(self, model_name: str, version: Any = None, max_depth: int = 5) -> dict[str, Any]:
        """``{'model': {...}, 'training_datasets': [{'dataset_id', 'version', ...}], ...}``."""
        return self.queries.model_training_lineage(model_name, version, max_depth)

    def check_reproducibility(self, model_name: str, version: Any = None) -> dict[str, Any]:
        return self.queries.reproducibility(model_name, version)

    def impact_analysis(self, dataset_id: str, change_type: str = "schema", max_depth: int = 10) -> dict[str, Any]:
        return self.queries.impact(dataset_id, change_type, max_depth)

    def lineage_graph(self, node_id: str, node_type: str | None = None, depth: int = 3,
                      direction: str = "both", node_cap: int = 200) -> dict[str, Any]:
        return self.queries.lineage_graph(node_id, node_type, depth, direction, node_cap).to_dict()

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
