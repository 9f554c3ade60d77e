"""DuckDB versioned queries and the guide's capture points, into the graph on each backend."""

import duckdb
import pandas as pd
import pytest

from lineage import JanusGraphClient, LineageTracker, create_versioned_query, fingerprint


@pytest.fixture
def tracker(store):
    t = LineageTracker(store=store)
    yield t
    t.close()


@pytest.fixture
def conn():
    c = duckdb.connect()
    c.execute("CREATE TABLE orders AS SELECT range % 5 AS customer_id, range AS amount FROM range(100)")
    c.execute("CREATE TABLE customers AS SELECT range AS customer_id, 'c' || range AS name FROM range(5)")
    return c


def test_inputs_and_outputs_are_read_from_the_sql(tracker, store, conn):
    job = create_versioned_query(
        "customer_totals",
        "CREATE OR REPLACE TABLE customer_totals AS SELECT c.name, SUM(o.amount) AS total "
        "FROM orders o JOIN customers c USING (customer_id) GROUP BY c.name",
        tracker=tracker)
    assert sorted(job.input_tables) == ["customers", "orders"] and job.output_table == "customer_totals"
    result = job.execute(conn)
    assert len(result.fetchall()) == 5
    tracker.flush()
    record = next(iter(tracker.operations.values()))
    output = record.outputs[0]
    assert output.rows == 5 and output.fingerprint == fingerprint(conn.table("customer_totals"),
                                                                   order_independent=True).value
    with JanusGraphClient(store=store) as client:
        upstream = client.get_upstream_datasets("customer_totals", max_depth=1)
        assert sorted(d["dataset_id"] for d in upstream) == ["customers", "orders"]
        node = store.g.V().has_label("Dataset").has("dataset_id", "customer_totals").values("version").to_list()
        assert node == [output.fingerprint]


def test_a_select_without_an_output_table_fingerprints_its_result(tracker, conn):
    result = create_versioned_query("top", "SELECT * FROM orders WHERE amount > 90", tracker=tracker).execute(conn)
    assert len(result.fetchall()) == 9
    tracker.flush()
    record = next(iter(tracker.operations.values()))
    assert [d.dataset_id for d in record.inputs] == ["orders"]
    assert record.outputs[0].rows == 9 and record.outputs[0].dataset_id == "top.result"


def test_a_failing_query_is_a_failed_run_with_the_duckdb_error(tracker, store, conn):
    job = create_versioned_query("broken", "SELECT nope FROM orders", output_table="out", tracker=tracker)
    with pytest.raises(duckdb.BinderException):
        job.execute(conn)
    tracker.flush()
    record = next(iter(tracker.operations.values()))
    assert record.state == "FAIL" and record.error_type == "BinderException" and not record.outputs


def test_training_pins_each_input_to_the_data_it_saw(tracker, store):
    customers = pd.DataFrame({"id": [1, 2], "churned": [0, 1]})
    with tracker.train("churn_predictor", 7, {"gold/customers": customers, "gold/events@snap_42": None},
                       framework="sklearn", parameters={"max_depth": 4}) as op:
        pass
    tracker.flush()
    assert op.record.state == "COMPLETE"
    with JanusGraphClient(store=store) as client:
        lineage = client.get_model_training_lineage("churn_predictor", 7)
        versions = {d["dataset_id"]: d["version"] for d in lineage["training_datasets"]}
        assert versions == {"gold/customers": fingerprint(customers).value, "gold/events": "snap_42"}
        assert lineage["model"]["framework"] == "sklearn"
        assert client.check_reproducibility("churn_predictor", 7)["missing"] == [
            "pipeline train_churn_predictor (which wrote churn_predictor@7) has no code version"]


def test_training_with_a_function_is_reproducible(tracker, store):
    def fit(frame):
        return frame.mean()

    tracker.train("ltv", 1, {"gold/customers": pd.DataFrame({"x": [1.0]})}, function=fit).finish()
    tracker.flush()
    with JanusGraphClient(store=store) as client:
        assert client.check_reproducibility("ltv", 1)["reproducible"]


def test_promotion_ingestion_and_execution_draw_the_lineage(tracker, store):
    raw = pd.DataFrame({"id": [1, 2, 2]})
    tracker.ingest("orders_api", "https://api.example.com/orders", "bronze/orders", raw).finish()
    with tracker.promote("bronze/orders", "silver/orders", transformation="dedupe", source_data=raw) as op:
        clean = raw.drop_duplicates()
        op.add_output("silver/orders", clean)
    tracker.execute("daily_report", {"silver/orders": clean}, {"gold/report": clean.describe()}).finish()
    tracker.flush()
    assert tracker.emitter.stats.failed == 0
    with JanusGraphClient(store=store) as client:
        up = [d["dataset_id"] for d in client.get_upstream_datasets("gold/report", max_depth=5)]
        assert up == ["silver/orders", "bronze/orders", "https://api.example.com/orders"]
    promoted = store.g.V().has_label("Dataset").has("dataset_id", "silver/orders").values("version").to_list()
    assert promoted == [fingerprint(clean).value]
    pipeline = store.g.V().has("pipeline_id", "promotion/bronze/orders->silver/orders") \
        .values("code_version").to_list()
    assert pipeline and pipeline[0].startswith("t:")
