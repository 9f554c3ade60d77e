"""Captured runs delivered over real HTTP by the openlineage-python client, read back in GraphQL."""

import os

import duckdb
import pandas as pd
import pytest

from lineage import LineageTracker, OperationType, create_versioned_query, set_global_tracker, track_lineage
from lineage.capture.emit import ClientSink
from server_fixtures import gql, serve


@pytest.fixture
def clean_environ():
    """The OpenLineage client writes aliases of OPENLINEAGE_URL into os.environ; undo them."""
    before = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(before)


@pytest.fixture
def served(settings, store, clean_environ):
    with serve(settings) as client:
        os.environ["OPENLINEAGE_URL"] = str(client.base_url).rstrip("/")
        tracker = LineageTracker()
        set_global_tracker(tracker)
        try:
            yield client, tracker
        finally:
            set_global_tracker(None)
            tracker.close()


RUN_FIELDS = ("runId state codeVersion codeChanged parameters "
              "inputs { datasetId fingerprint version rows bytes } outputs { datasetId fingerprint version rows bytes }")


def test_runs_travel_over_http_and_show_in_graphql(served):
    client, tracker = served
    assert isinstance(tracker.emitter.sink, ClientSink)
    assert tracker.emitter.sink.client.transport.kind == "http"

    @track_lineage(operation_type=OperationType.TRANSFORM, input_sources={"orders": "bronze/orders"},
                   outputs=["silver/orders"], name="clean_orders")
    def clean(orders, min_qty=1, api_key="k-123"):
        return orders[orders["qty"] >= min_qty]

    clean(pd.DataFrame({"qty": [0, 1, 5]}), min_qty=1)
    assert tracker.flush() and tracker.emitter.stats.emitted == 2 and tracker.emitter.stats.failed == 0
    record = next(iter(tracker.operations.values()))

    run = gql(client, f'{{ run(runId: "{record.run_id}") {{ {RUN_FIELDS} }} }}')["data"]["run"]
    assert run["state"] == "COMPLETE" and run["codeVersion"] == record.code_version
    assert run["codeChanged"] is None
    assert run["parameters"] == {"min_qty": 1, "api_key": "***"}
    assert run["inputs"] == [{"datasetId": "bronze/orders", "fingerprint": record.inputs[0].fingerprint,
                              "version": record.inputs[0].fingerprint, "rows": 3, "bytes": record.inputs[0].bytes}]
    assert run["outputs"][0]["datasetId"] == "silver/orders" and run["outputs"][0]["rows"] == 2
    lineage = gql(client, '{ datasetLineage(datasetId: "silver/orders", depth: 1) { upstreamDatasets { name version } } }')
    assert lineage["data"]["datasetLineage"]["upstreamDatasets"] == [
        {"name": "bronze/orders", "version": record.inputs[0].fingerprint}]


def test_the_duckdb_example_over_http_flags_a_changed_query(served):
    client, tracker = served
    conn = duckdb.connect()
    conn.execute("CREATE TABLE orders AS SELECT range % 7 AS customer_id, range AS amount FROM range(1000)")

    job = create_versioned_query(
        job_name="aggregate_orders",
        sql_query="SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id",
        input_tables=["orders"],
        output_table="customer_order_counts"
    )
    result = job.execute(conn)
    assert sorted(result.fetchall())[0] == (0, 143)
    create_versioned_query("aggregate_orders", "SELECT customer_id, SUM(amount) FROM orders GROUP BY customer_id",
                           input_tables=["orders"], output_table="customer_order_counts").execute(conn)
    assert tracker.flush() and tracker.emitter.stats.failed == 0

    pipeline = gql(client, f'{{ pipeline(id: "aggregate_orders") {{ codeChanged properties runs {{ {RUN_FIELDS} }} }} }}')
    pipeline = pipeline["data"]["pipeline"]
    assert pipeline["codeChanged"] is True and pipeline["properties"]["pipeline_type"] == "duckdb"
    newest, first = pipeline["runs"]
    assert newest["codeChanged"] is True and first["codeChanged"] is None
    assert first["codeVersion"] == job.code_version and newest["codeVersion"].startswith("sql:")
    assert first["outputs"][0]["datasetId"] == "customer_order_counts" and first["outputs"][0]["rows"] == 7
    assert first["outputs"][0]["fingerprint"].startswith("rowset-v1:")
    assert first["inputs"][0]["rows"] == 1000
