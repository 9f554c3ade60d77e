"""Lineage from the tools a lakehouse already runs, each an optional extra.

* :mod:`.iceberg` (``pip install 'lineage-graph[iceberg]'``): dataset versions
  are Iceberg snapshot ids; time travel to the snapshot a model was trained on
  and compare it with the latest (:func:`~.iceberg.compare_schemas`,
  :func:`~.iceberg.model_data_drift`).
* :mod:`.mlflow` (``[mlflow]``): an MLflow run becomes a model version
  ``TRAINED_ON`` the datasets (and snapshots) it used.
* :mod:`.kafka` (``[kafka]``): ``lineage consume`` reads OpenLineage events,
  heartbeats and catalog messages from Kafka topics.
* :mod:`.spark` (``[spark]``): ``VersionedSparkJob(...).emit_lineage()`` records a
  Spark job with the code version of its file; the OpenLineage Spark listener
  needs no code from us at all (see the README).

Every write goes through the same road as any other: OpenLineage events built
by :class:`lineage._recorder.Recorder`, ingested by the one translator. Each
module imports its library lazily and says which extra to install when it is
missing.
"""

from __future__ import annotations

import importlib
from typing import Any

from .._errors import ConfigurationError


def require(module: str, extra: str) -> Any:
    """Import an optional library or say which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigurationError(
            f"{module} is not installed ({exc}); install it with: pip install 'lineage-graph[{extra}]'") from None


def recorder_of(target: Any) -> Any:
    """The :class:`Recorder` behind a ``JanusGraphClient``, a ``LineageStore`` or a recorder."""
    from .._recorder import Recorder, summary

    if isinstance(target, Recorder):
        return target
    if hasattr(target, "recorder"):
        return target.recorder
    if hasattr(target, "ingest") and hasattr(target, "settings"):
        from .._errors import InvalidArgument

        def emit(events: list[dict[str, Any]]) -> dict[str, Any]:
            result = target.ingest(events)
            if result.rejected:
                raise InvalidArgument(result.rejected[0].reason)
            return summary(events, result.accepted)
        return Recorder(target.settings.default_namespace, emit)
    raise TypeError(f"cannot record lineage through {type(target).__name__}; pass a JanusGraphClient, "
                    "a LineageStore or a Recorder")
