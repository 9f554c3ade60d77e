"""MLflow runs as model versions (``pip install 'lineage-graph[mlflow]'``).

:func:`record_mlflow_run` reads a finished run from any tracking store (a local
``file:`` folder or ``sqlite:`` database works with no server) and records the
model it trained as a ``Model`` ``TRAINED_ON`` the datasets it used::

    import mlflow
    from lineage.integrations.mlflow import record_mlflow_run

    with mlflow.start_run() as run:
        model.fit(X, y)
        mlflow.log_param("training_dataset", "gold/customers")
        mlflow.log_param("dataset_snapshot", snapshot_id)          # the Iceberg snapshot
        mlflow.sklearn.log_model(model, name="model", registered_model_name="churn_predictor")
    record_mlflow_run(run.info.run_id)        # churn_predictor@<registered version>

What is read from the run:

* the model: each registered model version made from the run maps to our model
  ``<name>@<version>``; a run whose model is not registered is
  ``<model_name>@<run id>`` (``model_name`` defaults to the run's name). The
  framework is the model's MLflow flavour (``sklearn``, ``xgboost``...);
* training inputs: the ``training_dataset`` param pinned to ``dataset_snapshot``
  (the guide's names; several datasets may be comma-separated, with as many
  snapshots), and every ``mlflow.log_input`` dataset whose context is not
  evaluation, pinned to the snapshot given for it or else to MLflow's digest
  of its content;
* the training pipeline ``train_<model name>`` with the code version of the run:
  ``git:<commit>`` from MLflow's source tags, else the hash of the run's source
  file when it can be read (no code version otherwise, and the model is then
  reported as not reproducible).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from .._builders import DatasetSpec
from .._errors import InvalidArgument, NotFound
from . import recorder_of, require

_EVALUATION = {"eval", "evaluation", "test", "validation"}


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _inputs(run: Any) -> list[DatasetSpec]:
    params = run.data.params
    names, snapshots = _split(params.get("training_dataset")), _split(params.get("dataset_snapshot"))
    if snapshots and len(snapshots) != len(names):
        raise InvalidArgument(f"run {run.info.run_id} names {len(names)} training_dataset(s) but "
                              f"{len(snapshots)} dataset_snapshot(s); log one snapshot per dataset, comma-separated")
    pinned = dict(zip(names, snapshots)) if snapshots else {}
    found: dict[str, str | None] = {n: pinned.get(n) for n in names}
    for item in getattr(run.inputs, "dataset_inputs", None) or []:
        context = next((t.value for t in item.tags if t.key == "mlflow.data.context"), None)
        if context and context.lower() in _EVALUATION:
            continue
        name = item.dataset.name
        found[name] = pinned.get(name) or found.get(name) or (f"mlflow:{item.dataset.digest}"
                                                              if item.dataset.digest else None)
    return [DatasetSpec(name, version) for name, version in sorted(found.items())]


def _framework(model_uri: str) -> str | None:
    models = require("mlflow.models", "mlflow")
    try:
        flavors = models.get_model_info(model_uri).flavors
    except Exception:  # noqa: BLE001  the artifact may be gone; the lineage is still worth recording
        return None
    named = [f for f in flavors if f != "python_function"]
    return named[0] if named else ("python_function" if flavors else None)


def _code_version(run: Any) -> str | None:
    from ..capture.codeversion import file_version

    tags = run.data.tags
    commit = tags.get("mlflow.source.git.commit")
    if commit:
        return f"git:{commit}"
    source = tags.get("mlflow.source.name")
    if source and source.endswith(".py") and os.path.isfile(source):
        return file_version(source)
    return None


def _models(client: Any, run: Any, model_name: str | None) -> list[tuple[str, str, str]]:
    """(name, version, model uri) of each model made by the run."""
    run_id = run.info.run_id
    registered = client.search_model_versions(f"run_id='{run_id}'")
    if registered:
        return sorted((v.name, str(v.version), f"models:/{v.name}/{v.version}") for v in registered)
    name = model_name or run.info.run_name
    if not name:
        raise InvalidArgument(f"run {run_id} registered no model and has no name; pass model_name=")
    uri = f"runs:/{run_id}/model"
    logged = getattr(client, "search_logged_models", None)
    if logged is not None:
        try:
            found = logged(experiment_ids=[run.info.experiment_id],
                           filter_string=f"source_run_id = '{run_id}'")
            if found:
                uri = found[0].model_uri
        except Exception:  # noqa: BLE001  an older store without logged models
            pass
    return [(name, run_id, uri)]


def record_mlflow_run(run_id: str, target: Any = None, *, tracking_uri: str | None = None,
                      registry_uri: str | None = None, model_name: str | None = None) -> dict[str, Any]:
    """Record what an MLflow run trained and on which data; returns per model what was
    recorded. ``target`` is a ``JanusGraphClient``, a ``LineageStore`` or a recorder
    (a client configured by ``LINEAGE_*`` settings by default). Recording the same run
    again changes nothing."""
    tracking = require("mlflow.tracking", "mlflow")
    exceptions = require("mlflow.exceptions", "mlflow")
    client = tracking.MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
    try:
        run = client.get_run(run_id)
    except exceptions.MlflowException as exc:
        raise NotFound(f"MLflow run {run_id} was not found in {client.tracking_uri} ({exc.message}); "
                       "check the run id and the tracking URI") from None
    inputs = _inputs(run)
    code = _code_version(run)
    models = _models(client, run, model_name)
    times = (_iso(run.info.start_time), _iso(run.info.end_time or run.info.start_time))
    if target is None:
        from .._client import JanusGraphClient

        with JanusGraphClient() as own:
            return _record(recorder_of(own), models, inputs, code, times)
    return _record(recorder_of(target), models, inputs, code, times)


def _iso(millis: int | None) -> str | None:
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _record(rec: Any, models: list[tuple[str, str, str]], inputs: list[DatasetSpec],
            code: str | None, times: tuple[str | None, str | None]) -> dict[str, Any]:
    recorded = []
    for name, version, uri in models:
        framework = _framework(uri)
        result = rec.record_model_training(name, version, inputs, framework=framework, code_version=code,
                                           start_time=times[0], end_time=times[1])
        recorded.append({"model_id": f"{name}@{version}", "framework": framework, "code_version": code,
                         "training_datasets": [{"dataset_id": d.dataset_id, "version": d.version} for d in inputs],
                         **result})
    return {"models": recorded}
