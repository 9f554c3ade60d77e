"""MLflow runs as model versions: a real scikit-learn model trained on an Iceberg
snapshot, logged to a local SQLite tracking store and model registry (no server)."""

from __future__ import annotations

import mlflow
import pytest
from sklearn.linear_model import LogisticRegression

from lineage import JanusGraphClient, NotFound
from lineage.integrations.mlflow import record_mlflow_run
from lakehouse_support import warehouse  # noqa: F401  (fixture)


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    mlflow.create_experiment("churn", artifact_location=(tmp_path / "artifacts").as_uri())
    mlflow.set_experiment("churn")
    yield uri
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


def _train(table, *, snapshot=None, log_input=True, registered="churn_predictor"):
    frame = table.data.to_pandas()
    features = frame[["tenure_months", "monthly_spend"]]
    with mlflow.start_run(tags={"mlflow.source.name": __file__}) as run:
        model = LogisticRegression(max_iter=200).fit(features, frame["churned"])
        mlflow.log_metric("accuracy", float(model.score(features, frame["churned"])))
        mlflow.log_param("training_dataset", "gold/customers")
        if snapshot is not None:
            mlflow.log_param("dataset_snapshot", snapshot)
        if log_input:
            mlflow.log_input(mlflow.data.from_pandas(frame, name="gold/customers"), context="training")
        mlflow.sklearn.log_model(model, name="model", registered_model_name=registered,
                                 serialization_format="cloudpickle")
    return run.info.run_id


def test_runs_on_iceberg_snapshots_are_reproducible_and_unpinned_ones_are_not(store, warehouse, tracking):
    client = JanusGraphClient(store=store)
    then = warehouse.catalog.time_travel("gold", "customers", warehouse.first)
    pinned = _train(then, snapshot=warehouse.first)
    recorded = record_mlflow_run(pinned, client)
    [model] = recorded["models"]
    assert (model["model_id"], model["framework"]) == ("churn_predictor@1", "sklearn")
    assert model["training_datasets"] == [{"dataset_id": "gold/customers", "version": str(warehouse.first)}]
    assert model["code_version"].startswith(("git:", "sha256:"))
    verdict = client.check_reproducibility("churn_predictor", 1)
    assert verdict["reproducible"], verdict["missing"]
    assert verdict["snapshots"] == {"gold/customers": str(warehouse.first)}
    lineage = client.get_model_training_lineage("churn_predictor", version=1)
    assert (lineage["model"]["framework"], lineage["training_datasets"][0]["version"]) == ("sklearn",
                                                                                         str(warehouse.first))
    assert record_mlflow_run(pinned, store)["models"][0]["accepted"] == 0   # re-sending changes nothing

    now = warehouse.catalog.time_travel("gold", "customers", "latest")
    unpinned = _train(now, log_input=False)
    assert record_mlflow_run(unpinned, client)["models"][0]["model_id"] == "churn_predictor@2"
    verdict = client.check_reproducibility("churn_predictor", 2)
    assert not verdict["reproducible"]
    assert verdict["missing"] == ["training input gold/customers is not pinned to a version or snapshot"]


def test_log_input_datasets_and_unregistered_models(store, warehouse, tracking):
    client = JanusGraphClient(store=store)
    now = warehouse.catalog.time_travel("gold", "customers", "latest")
    run_id = _train(now, registered=None)
    recorded = record_mlflow_run(run_id, client, model_name="churn_experiment")
    [model] = recorded["models"]
    assert (model["model_id"], model["framework"]) == (f"churn_experiment@{run_id}", "sklearn")
    [ds] = model["training_datasets"]
    assert ds["dataset_id"] == "gold/customers" and ds["version"].startswith("mlflow:")  # MLflow's digest pins it
    assert client.check_reproducibility("churn_experiment", run_id)["reproducible"]
    with pytest.raises(NotFound, match="MLflow run 0123456789abcdef was not found"):
        record_mlflow_run("0123456789abcdef", client)
