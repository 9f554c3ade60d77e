"""Capture points of the lineage guide, as tracker methods.

=====================  ===================================  ==========================================
guide                  tracker method                       graph
=====================  ===================================  ==========================================
``Connector.ingest()`` ``ingest(connector, source, target)``  target ``DERIVED_FROM`` source, ``GENERATED_BY`` the connector
``Pipeline.execute()`` ``execute(pipeline, inputs, outputs)``  outputs ``GENERATED_BY`` the pipeline, ``DERIVED_FROM`` inputs
``Model.train()``      ``train(model, version, training_data)`` model version ``TRAINED_ON`` each input at its version
``Dataset.promote()``  ``promote(source, target)``             target ``DERIVED_FROM`` source
=====================  ===================================  ==========================================

Each returns an :class:`~lineage.capture.tracker.Operation`: use it as a
context manager around the work (its duration and any failure are recorded,
and ``op.add_output(target, data=...)`` attaches the data written), or call
``.finish()`` at once to record work already done. Data given here is
fingerprinted, and an input's version is the version you pass
(``'gold/customers@snapshot_1'``) or else its fingerprint, so a model is
pinned to the exact data it saw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

from .record import OperationType

if TYPE_CHECKING:
    from .tracker import Operation

DataMap = Mapping[str, Any] | list[str] | tuple[str, ...]


def _items(data: DataMap | None) -> list[tuple[str, Any]]:
    if data is None:
        return []
    if isinstance(data, Mapping):
        return list(data.items())
    return [(d, None) for d in data]


class CapturePoints:
    """Mixed into :class:`~lineage.LineageTracker`."""

    operation: Callable[..., "Operation"]

    def ingest(self, connector: str, source: str, target: str, data: Any = None, *,
               parameters: dict[str, Any] | None = None, version: str | None = None,
               function: Callable[..., Any] | None = None) -> "Operation":
        """A connector loading ``source`` (an external URI or dataset id) into ``target``."""
        op = self.operation(connector, OperationType.INGEST, inputs=[source], parameters=parameters,
                            version=version, function=function)
        op.add_output(target, data)
        return op

    def execute(self, pipeline: str, inputs: DataMap | None = None, outputs: DataMap | None = None, *,
                parameters: dict[str, Any] | None = None, version: str | None = None,
                function: Callable[..., Any] | None = None) -> "Operation":
        """A pipeline run; ``inputs`` / ``outputs`` map dataset ids to their data (or list ids)."""
        op = self.operation(pipeline, OperationType.EXECUTE, parameters=parameters, version=version,
                            function=function)
        for dataset, data in _items(inputs):
            op.add_input(dataset, data)
        for dataset, data in _items(outputs):
            op.add_output(dataset, data)
        return op

    def train(self, model_name: str, model_version: Any, training_data: DataMap, *,
              framework: str | None = None, pipeline: str | None = None,
              parameters: dict[str, Any] | None = None, version: str | None = None,
              function: Callable[..., Any] | None = None) -> "Operation":
        """Training one model version on datasets (``{id: data}`` or ids, ``'id@snapshot'`` pins one)."""
        op = self.operation(pipeline or f"train_{model_name}", OperationType.TRAIN, parameters=parameters,
                            version=version, function=function)
        for dataset, data in _items(training_data):
            op.add_input(dataset, data)
        op.add_output(model_name, version=str(model_version), model_name=model_name, framework=framework)
        return op

    def promote(self, source: str, target: str, data: Any = None, *, transformation: str | None = None,
                source_data: Any = None, parameters: dict[str, Any] | None = None,
                function: Callable[..., Any] | None = None) -> "Operation":
        """Promoting ``source`` to ``target`` (bronze to silver, silver to gold); ``data`` is
        what was written to the target."""
        import hashlib
        version = None
        if transformation and function is None:
            version = "t:" + hashlib.sha256(transformation.encode()).hexdigest()[:12]
        op = self.operation(f"{source}->{target}", OperationType.PROMOTE, namespace="promotion",
                            parameters=parameters, version=version, function=function, description=transformation)
        op.add_input(source, source_data)
        op.add_output(target, data)
        return op
