"""Lineage described in our vocabulary, recorded as OpenLineage events.

Used by ``JanusGraphClient`` and the GraphQL mutations alike: each method
builds ordinary OpenLineage events and hands them to ``emit``, which sends
them down the same road as any producer's events (log, translator, graph).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Callable, Iterable

from ._builders import DatasetSpec, EventBuilder, now_iso, stable_run_id
from ._ids import NodeKey

Emit = Callable[[list[dict[str, Any]]], dict[str, Any]]


def summary(events: list[dict[str, Any]], accepted: int) -> dict[str, Any]:
    return {"events": len(events), "accepted": accepted, "duplicates": len(events) - accepted,
            "runId": events[0].get("run", {}).get("runId") if events else None}


class Recorder:
    def __init__(self, default_namespace: str, emit: Emit) -> None:
        self.default_namespace = default_namespace
        self.emit = emit
        self.builder = EventBuilder(default_namespace)

    def add_dataset(self, dataset_id: str, layer: str | None = None, version: Any = None) -> dict[str, Any]:
        spec = DatasetSpec(dataset_id, None if version is None else str(version), layer)
        return self.emit([self.builder.dataset_event(spec)])

    def add_pipeline_generates_dataset(self, pipeline_id: str, pipeline_version: Any, dataset_id: str,
                                       dataset_version: Any = None) -> dict[str, Any]:
        out = DatasetSpec(dataset_id, None if dataset_version is None else str(dataset_version))
        run_id = stable_run_id("generates", pipeline_id, pipeline_version, dataset_id, dataset_version)
        return self.emit(self.builder.pipeline_run(pipeline_id, version=pipeline_version, outputs=[out],
                                                   run_id=run_id))

    def add_model_trained_on_dataset(self, model_name: str, model_version: Any, dataset_id: str,
                                     dataset_version: Any = None, *, framework: str | None = None,
                                     pipeline_id: str | None = None, code_version: Any = None) -> dict[str, Any]:
        return self.record_model_training(model_name, model_version, [DatasetSpec(
            dataset_id, None if dataset_version is None else str(dataset_version))], framework=framework,
            pipeline_id=pipeline_id, code_version=code_version)

    def record_model_training(self, model_name: str, model_version: Any, datasets: Iterable[str | DatasetSpec], *,
                              framework: str | None = None, pipeline_id: str | None = None,
                              code_version: Any = None, start_time: str | None = None,
                              end_time: str | None = None) -> dict[str, Any]:
        """A model version trained on datasets (``'id@snapshot'`` pins one). The training
        pipeline defaults to ``train_<model_name>``; its ``code_version`` makes the model
        reproducible. With the training's own times, recording it again changes nothing."""
        inputs = [DatasetSpec.coerce(d) for d in datasets]
        model = DatasetSpec(model_name, str(model_version), kind="MODEL", framework=framework)
        pid = pipeline_id or f"train_{model_name}"
        run_id = stable_run_id("trained", model_name, model_version, sorted((d.dataset_id, d.version) for d in inputs))
        return self.emit(self.builder.pipeline_run(pid, version=code_version, inputs=inputs, outputs=[model],
                                                   run_id=run_id, start_time=start_time, end_time=end_time))

    def record_pipeline_execution(self, pipeline_id: str, pipeline_version: Any,
                                  input_datasets: Iterable[str | DatasetSpec],
                                  output_datasets: Iterable[str | DatasetSpec], *,
                                  pipeline_type: str | None = None, state: str = "COMPLETE") -> dict[str, Any]:
        return self.emit(self.builder.pipeline_run(
            pipeline_id, version=pipeline_version, pipeline_type=pipeline_type, inputs=list(input_datasets),
            outputs=list(output_datasets), run_id=str(uuid.uuid4()), final_state=state))

    def record_dataset_promotion(self, source_dataset: str, target_dataset: str,
                                 transformation: str) -> dict[str, Any]:
        """The promotion is a pipeline named ``promotion/<source>-><target>`` whose
        description is ``transformation`` and whose code identity is its hash."""
        src = NodeKey.parse(DatasetSpec.coerce(source_dataset).dataset_id, self.default_namespace)
        dst = NodeKey.parse(DatasetSpec.coerce(target_dataset).dataset_id, self.default_namespace)
        pipeline = NodeKey("promotion", f"{src.render(self.default_namespace)}->{dst.render(self.default_namespace)}")
        code = "t:" + hashlib.sha256(transformation.encode()).hexdigest()[:12]
        return self.emit(self.builder.pipeline_run(
            pipeline.render(self.default_namespace), version=code, pipeline_type="promotion",
            inputs=[source_dataset], outputs=[target_dataset], description=transformation,
            run_id=str(uuid.uuid4()), start_time=now_iso()))
