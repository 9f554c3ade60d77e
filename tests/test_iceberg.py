"""Iceberg snapshots as dataset versions, on real pyiceberg tables (SQL catalog on
SQLite, local warehouse): time travel, schema comparison, recorded writes and the
model-degradation check from Python, the CLI and GraphQL."""

from __future__ import annotations

import pytest

from lineage import InvalidArgument, JanusGraphClient, NotFound, Settings
from lineage._cli import main
from lineage.integrations.iceberg import compare_schemas, model_data_drift
from lakehouse_support import customers, warehouse  # noqa: F401  (fixture)
from server_fixtures import gql, serve


def test_snapshots_time_travel_and_schema_comparison(warehouse):
    cat = warehouse.catalog
    assert cat.get_snapshot_id("gold", "customers") == warehouse.second
    snaps = cat.snapshots("gold", "customers")
    assert [(s["snapshot_id"], s["total_records"], s["operation"]) for s in snaps] == [
        (warehouse.first, 40, "append"), (warehouse.second, 60, "append")]
    then = cat.time_travel("gold", "customers", warehouse.first)
    now = cat.time_travel("gold", "customers", "latest")
    assert (then.snapshot_id, then.row_count, [n for n, _ in then.schema]) == (
        warehouse.first, 40, ["customer_id", "tenure_months", "monthly_spend", "churned"])
    assert (now.snapshot_id, now.row_count, now.schema[-1]) == (warehouse.second, 60, ("region", "string"))
    assert sorted(then.data.column("customer_id").to_pylist()) == list(range(40))
    drift = compare_schemas(then, now)
    assert drift["added"] == [{"name": "region", "type": "string"}]
    assert (drift["removed"], drift["type_changed"], drift["drift"]) == ([], [], True)
    assert (drift["rows_before"], drift["rows_after"], drift["row_change"], drift["row_change_pct"]) == (40, 60, 20, 50.0)
    same = compare_schemas(then.data, cat.time_travel("gold", "customers", str(warehouse.first)).data)
    assert not same["drift"] and same["row_change"] == 0


def test_bad_snapshots_and_tables_say_what_to_fix(warehouse):
    cat = warehouse.catalog
    with pytest.raises(NotFound, match=f"no snapshot 123.*{warehouse.first}"):
        cat.time_travel("gold", "customers", 123)
    with pytest.raises(InvalidArgument, match="not an Iceberg snapshot id"):
        cat.time_travel("gold", "customers", "snapshot_def456")
    with pytest.raises(NotFound, match="gold.orders does not exist"):
        cat.get_snapshot_id("gold", "orders")
    with pytest.raises(InvalidArgument, match="compare_schemas takes"):
        compare_schemas({"rows": 1}, cat.time_travel("gold", "customers"))


def test_a_write_records_the_snapshot_it_produced(store, warehouse):
    client = JanusGraphClient(store=store)
    cat = warehouse.catalog
    snapshot = cat.append(client, "gold", "customers", customers(60, 5, region=True),
                          pipeline_id="load_customers", pipeline_version="git:1a2b3c", inputs=["silver/customers"],
                          layer="gold")
    assert snapshot not in (warehouse.first, warehouse.second)
    assert snapshot == cat.get_snapshot_id("gold", "customers")
    node = client.queries.node("gold/customers", "Dataset")
    assert (node["version"], node["layer"]) == (str(snapshot), "gold")
    up = client.get_upstream_datasets("gold/customers")
    assert [d["dataset_id"] for d in up] == ["silver/customers"]
    assert cat.record_snapshot(client, "gold", "customers", layer="gold")["accepted"] == 1
    again = cat.record_snapshot(store, "gold", "customers", layer="gold", snapshot=warehouse.first)
    assert again["accepted"] == 1


def _train(client, cat, first):
    client.recorder.record_model_training("churn_predictor", 5, [cat.dataset("gold", "customers", first)],
                                 framework="sklearn", code_version="git:9f1c2ab")
    client.recorder.record_model_training("churn_predictor", 6, ["gold/customers", "features/customer_features@v3"],
                                 framework="sklearn", code_version="git:9f1c2ab")


def test_model_degradation_use_case_from_python(store, warehouse):
    client = JanusGraphClient(store=store)
    _train(client, warehouse.catalog, warehouse.first)
    lineage = client.get_model_training_lineage("churn_predictor", version=5)
    dataset_snapshot = lineage["training_datasets"][0]["version"]
    assert dataset_snapshot == str(warehouse.first)
    historical = warehouse.catalog.time_travel("gold", "customers", dataset_snapshot)
    current = warehouse.catalog.time_travel("gold", "customers", "latest")
    assert compare_schemas(historical, current)["added"] == [{"name": "region", "type": "string"}]

    report = model_data_drift(client, warehouse.catalog, "churn_predictor", 5)
    assert (report["model_id"], report["drift"], report["unpinned"]) == ("churn_predictor@5", True, [])
    [table] = report["datasets"]
    assert (table["dataset_id"], table["trained_on_snapshot"], table["latest_snapshot"]) == (
        "gold/customers", warehouse.first, warehouse.second)
    assert (table["row_change"], table["added"]) == (20, [{"name": "region", "type": "string"}])
    unpinned = model_data_drift(client.queries, warehouse.catalog, "churn_predictor", 6)
    assert (unpinned["datasets"], unpinned["unpinned"], unpinned["not_in_catalog"]) == (
        [], ["gold/customers"], ["features/customer_features"])


def test_model_degradation_from_the_cli(store, warehouse, capsys, monkeypatch):
    _train(JanusGraphClient(store=store), warehouse.catalog, warehouse.first)
    for name in ("LINEAGE_DB", "LINEAGE_GREMLIN_URL", "LINEAGE_ICEBERG_URI", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    if store.settings.gremlin_url:
        monkeypatch.setenv("LINEAGE_GREMLIN_URL", store.settings.gremlin_url)
    else:
        monkeypatch.setenv("LINEAGE_DB", store.settings.db_path)
    monkeypatch.setenv("LINEAGE_ICEBERG_WAREHOUSE", warehouse.warehouse)
    assert main(["iceberg", "drift", "churn_predictor@5", "--catalog-uri", warehouse.uri]) == 0
    out = capsys.readouterr().out
    assert "churn_predictor@5: data changed since training" in out
    assert f"snapshot {warehouse.first} -> {warehouse.second}, rows 40 -> 60 (+20)" in out
    assert "+ region string" in out
    monkeypatch.setenv("LINEAGE_ICEBERG_URI", warehouse.uri)
    assert main(["iceberg", "drift", "churn_predictor@6"]) == 0
    assert "gold/customers: not pinned to a snapshot" in capsys.readouterr().out
    assert main(["iceberg", "snapshots", "gold.customers", "--json"]) == 0
    assert '"total_records": 60' in capsys.readouterr().out
    assert main(["iceberg", "snapshots", "gold.orders"]) == 1
    assert "gold.orders does not exist" in capsys.readouterr().err
    assert main(["iceberg", "record", "gold.customers", "--layer", "gold", "--snapshot", str(warehouse.first)]) == 0
    assert f"recorded gold/customers at snapshot {warehouse.first} (4 columns" in capsys.readouterr().out


DRIFT = """query($v: Version) { modelDataDrift(modelName: "churn_predictor", modelVersion: $v) {
  modelId drift unpinned notInCatalog
  tables { datasetId trainedOnSnapshot latestSnapshot schemaDrift rowsBefore rowsAfter rowChange rowChangePercent
           addedColumns { name type } removedColumns { name } typeChanges { name before after } } } }"""


def test_model_degradation_over_graphql(settings, store, warehouse):
    _train(JanusGraphClient(store=store), warehouse.catalog, warehouse.first)
    configured = Settings({**settings.values, "LINEAGE_ICEBERG_URI": warehouse.uri,
                           "LINEAGE_ICEBERG_WAREHOUSE": warehouse.warehouse})
    with serve(configured) as client:
        answer = gql(client, DRIFT, v="5")
        assert "errors" not in answer, answer
        drift = answer["data"]["modelDataDrift"]
        assert (drift["modelId"], drift["drift"], drift["unpinned"]) == ("churn_predictor@5", True, [])
        assert drift["tables"] == [{
            "datasetId": "gold/customers", "trainedOnSnapshot": str(warehouse.first),
            "latestSnapshot": str(warehouse.second), "schemaDrift": True, "rowsBefore": 40, "rowsAfter": 60,
            "rowChange": 20, "rowChangePercent": 50.0, "addedColumns": [{"name": "region", "type": "string"}],
            "removedColumns": [], "typeChanges": []}]
        missing = gql(client, DRIFT, v="99")
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
