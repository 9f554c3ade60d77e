"""Projection of OpenLineage events into the graph, on every backend."""

import json
import random
import sqlite3

import pytest
from gremlin_python.process.graph_traversal import __

from conftest import conformance_files, food_delivery
from lineage import LineageStore
from lineage._builders import DatasetSpec, EventBuilder

FD = "food_delivery/"


def out_ids(store, label, key, value, edge, target_key):
    return sorted(store.g.V().has(key, value).has_label(label).out(edge).values(target_key).to_list())


def props(store, label, key, value):
    rows = store.g.V().has(key, value).has_label(label).value_map().to_list()
    assert len(rows) == 1, f"expected one {label} {value}, found {len(rows)}"
    return {k: v[0] for k, v in rows[0].items()}


def test_food_delivery_projects_pipelines_datasets_and_runs(store):
    result = store.ingest(food_delivery())
    assert (result.accepted, result.duplicates, result.rejected) == (26, 0, [])
    assert out_ids(store, "Dataset", "dataset_id", FD + "public.orders_7_days", "DERIVED_FROM", "dataset_id") == [
        FD + "public.categories", FD + "public.menu_items", FD + "public.menus", FD + "public.orders"]
    assert out_ids(store, "Dataset", "dataset_id", FD + "public.orders_7_days", "GENERATED_BY", "pipeline_id") == [
        FD + "etl_orders_7_days"]
    assert out_ids(store, "Pipeline", "pipeline_id", FD + "email_discounts", "CONSUMES", "dataset_id") == [
        FD + "public.customers", FD + "public.discounts"]
    # inputs recovered from the SQL facet where the event named none
    assert out_ids(store, "Dataset", "dataset_id", FD + "public.menus", "DERIVED_FROM", "dataset_id") == [
        FD + "public.tmp_menus"]
    run = props(store, "Run", "run_id", "4d3b8069-69b6-4708-ade0-3275112c9f04")
    assert run["state"] == "COMPLETE"
    assert run["started_at"] == "2020-02-22T22:42:42.000000Z"
    assert run["ended_at"] == "2020-02-22T22:45:52.000000Z"
    assert run["nominal_start"] == "2020-02-22T22:00:00.000Z"
    assert store.g.V().has("run_id", run["run_id"]).has_label("Run").out("RUN_OF").values("pipeline_id").to_list() == [
        FD + "etl_menus"]
    orders = props(store, "Dataset", "dataset_id", FD + "public.orders_7_days")
    assert orders["namespace"] == "food_delivery" and orders["name"] == "public.orders_7_days"
    assert [f["name"] for f in json.loads(orders["schema_fields"])][:2] == ["order_id", "placed_on"]
    assert "food_delivery:food_delivery@" not in orders["source"]  # credentials are not copied
    pipeline = props(store, "Pipeline", "pipeline_id", FD + "etl_orders_7_days")
    assert pipeline["code_version"].startswith("sql:") and pipeline["version"]


@pytest.mark.parametrize("path", conformance_files(), ids=lambda p: p.name)
def test_every_conformance_event_is_accepted_and_projected(store, path):
    raw = json.loads(path.read_text())
    result = store.ingest([raw])
    assert (result.accepted, result.rejected) == (1, [])
    if "dataset" in raw and "job" not in raw:
        ds = raw["dataset"]
        assert store.g.V().has("dataset_id", f"{ds['namespace']}/{ds['name']}").has_label("Dataset").count().next() == 1
        return
    job = raw["job"]
    pid = f"{job['namespace']}/{job['name']}"
    assert store.g.V().has("pipeline_id", pid).has_label("Pipeline").count().next() == 1
    for ds in raw.get("inputs", []):
        assert f"{ds['namespace']}/{ds['name']}" in out_ids(store, "Pipeline", "pipeline_id", pid, "CONSUMES", "dataset_id")
    for ds in raw.get("outputs", []):
        did = f"{ds['namespace']}/{ds['name']}"
        assert out_ids(store, "Dataset", "dataset_id", did, "GENERATED_BY", "pipeline_id") == [pid]
    if "run" in raw:
        run = props(store, "Run", "run_id", raw["run"]["runId"])
        assert run.get("state") == raw.get("eventType")


def test_runs_accumulate_inputs_and_outputs_across_events(store):
    listener = [json.loads(p.read_text()) for p in conformance_files() if p.name.startswith("listener")]
    store.ingest(listener)
    pid = "my-scheduler-namespace/myjob"
    assert out_ids(store, "Pipeline", "pipeline_id", pid, "CONSUMES", "dataset_id") == [
        "file.localhost/file://localhost/in_file1.txt", "file.localhost/file://localhost/in_file2.txt",
        "file.localhost/file://localhost/in_file3.txt"]
    run = props(store, "Run", "run_id", "5e58a95c-1c71-4231-8984-ac172d5566cf")
    assert run["state"] == "COMPLETE"


def test_the_large_event_is_projected_whole(store):
    path = next(p for p in conformance_files() if p.name == "event_large.json")
    assert path.stat().st_size > 200_000
    raw = json.loads(path.read_text())
    store.ingest([raw])
    table = props(store, "Dataset", "dataset_id", "my-datasource-namespace/instance.schema.table")
    fields = raw["outputs"][0]["facets"]["schema"]["fields"]
    assert [f["name"] for f in json.loads(table["schema_fields"])] == [f["name"] for f in fields]
    # read and written by the same job: it consumes the table and generates it, with no self-derivation
    pid = "my-scheduler-namespace/myjob.mytask"
    assert out_ids(store, "Pipeline", "pipeline_id", pid, "CONSUMES", "dataset_id") == [table["dataset_id"]]
    assert out_ids(store, "Dataset", "dataset_id", table["dataset_id"], "DERIVED_FROM", "dataset_id") == [
        table["dataset_id"]]
    assert store.event_count() == 1


def test_resending_changes_nothing(store):
    events = food_delivery() + [json.loads(p.read_text()) for p in conformance_files()]
    store.ingest(events)
    before = store.snapshot()
    again = store.ingest(events)
    assert (again.accepted, again.duplicates) == (0, len(events))
    assert store.snapshot() == before
    assert store.event_count() == len(events)


def test_shuffled_order_gives_the_same_graph(open_store):
    events = food_delivery() + [json.loads(p.read_text()) for p in conformance_files()]
    first = open_store("a")
    first.ingest(events)
    expected = first.snapshot()
    first.close()
    for seed in (1, 2):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        other = open_store(f"shuffled{seed}")
        for event in shuffled:   # one at a time: every event is its own transaction
            other.ingest([event])
        assert other.snapshot() == expected
        other.close()


def test_run_state_is_the_highest_reached_in_any_order(store):
    builder = EventBuilder("default")
    start, complete = builder.pipeline_run("job_x", inputs=["bronze/a"], outputs=["silver/b"],
                                           start_time="2024-01-01T00:00:00Z", end_time="2024-01-01T00:05:00Z")
    store.ingest([complete])
    store.ingest([start])
    run = props(store, "Run", "run_id", start["run"]["runId"])
    assert (run["state"], run["started_at"], run["ended_at"]) == (
        "COMPLETE", "2024-01-01T00:00:00.000000Z", "2024-01-01T00:05:00.000000Z")


def test_spec_example_pipeline_and_model(store):
    builder = EventBuilder("default")
    store.ingest(builder.pipeline_run(
        "spark_aggregate_sales", version=5, pipeline_type="spark", inputs=["bronze/sales", "bronze/products"],
        outputs=[DatasetSpec("silver/sales_aggregated", "snapshot_abc123")]))
    store.ingest(builder.pipeline_run(
        "train_churn", version="git:abc", inputs=["gold/customers@snapshot_def456", "gold/transactions@snapshot_ghi789"],
        outputs=[DatasetSpec("churn_predictor", "3", kind="MODEL", framework="sklearn")]))
    assert out_ids(store, "Dataset", "dataset_id", "silver/sales_aggregated", "DERIVED_FROM", "dataset_id") == [
        "bronze/products", "bronze/sales"]
    pipeline = props(store, "Pipeline", "pipeline_id", "spark_aggregate_sales")
    assert (pipeline["version"], pipeline["pipeline_type"]) == ("5", "spark")
    silver = props(store, "Dataset", "dataset_id", "silver/sales_aggregated")
    assert (silver["layer"], silver["version"]) == ("silver", "snapshot_abc123")
    model = props(store, "Model", "model_id", "churn_predictor@3")
    assert (model["model_name"], model["version"], model["framework"]) == ("churn_predictor", "3", "sklearn")
    trained = (store.g.V().has("model_id", "churn_predictor@3").has_label("Model").out_e("TRAINED_ON")
               .project("d", "v").by(__.in_v().values("dataset_id")).by(__.values("version")).to_list())
    assert sorted((r["d"], r["v"]) for r in trained) == [
        ("gold/customers", "snapshot_def456"), ("gold/transactions", "snapshot_ghi789")]


def test_features_are_produced_by_pipelines(store):
    builder = EventBuilder("default")
    store.ingest(builder.pipeline_run("build_features", inputs=["gold/customers"], outputs=[
        DatasetSpec("features/customer", "v1", kind="FEATURE", feature_names=["a", "b"])]))
    feature = props(store, "Feature", "feature_view", "features/customer")
    assert json.loads(feature["feature_names"]) == ["a", "b"]
    assert out_ids(store, "Pipeline", "pipeline_id", "build_features", "PRODUCES", "feature_view") == ["features/customer"]


def test_a_code_change_is_a_new_pipeline_version(store):
    def run(sql, minute):
        return {"eventType": "COMPLETE", "eventTime": f"2024-01-01T00:{minute:02d}:00Z",
                "producer": "https://example.com", "run": {"runId": f"00000000-0000-4000-8000-0000000000{minute:02d}"},
                "job": {"namespace": "wh", "name": "agg", "facets": {"sql": {"query": sql}}},
                "inputs": [{"namespace": "wh", "name": "a"}], "outputs": [{"namespace": "wh", "name": "b"}]}
    store.ingest([run("SELECT 1 FROM a", 1)])
    v1 = props(store, "Pipeline", "pipeline_id", "wh/agg")["version"]
    store.ingest([run("SELECT 1 FROM a", 2)])
    assert props(store, "Pipeline", "pipeline_id", "wh/agg")["version"] == v1
    store.ingest([run("SELECT 2 FROM a", 3)])
    v2 = props(store, "Pipeline", "pipeline_id", "wh/agg")["version"]
    assert v2 != v1
    runs = store.g.V().has("pipeline_id", "wh/agg").has_label("Pipeline").in_("RUN_OF").values("pipeline_version").to_list()
    assert sorted(runs) == sorted([v1, v1, v2])


def test_rejects_are_reported_and_good_events_kept(store):
    events = food_delivery()[:2] + [{"eventTime": "nope"}, {"run": {"runId": "x"}}]
    result = store.ingest(events)
    assert result.accepted == 2
    assert [(r.index, r.field) for r in result.rejected] == [(2, "run"), (3, "eventTime")]
    assert store.event_count() == 2


def test_rebuild_gives_the_same_graph(store):
    store.ingest(food_delivery() + [json.loads(p.read_text()) for p in conformance_files()])
    before = store.snapshot()
    result = store.rebuild()
    assert result.received == store.event_count()
    assert store.snapshot() == before


def test_accepted_events_are_durable_when_ingest_returns(tmp_path):
    from conftest import make_settings
    settings = make_settings("embedded", tmp_path)
    with LineageStore(settings) as writer:
        writer.ingest(food_delivery()[:4])
        # another process's view of the file, while the writer is still open
        con = sqlite3.connect(settings.db_path)
        assert con.execute("SELECT COUNT(*) FROM lineage_events").fetchone()[0] == 4
        con.close()
        with LineageStore(settings) as reader:
            assert reader.g.V().has("pipeline_id", FD + "etl_categories").has_label("Pipeline").count().next() == 1


def test_two_stores_on_one_file_do_not_duplicate_nodes(tmp_path):
    from conftest import make_settings
    settings = make_settings("embedded", tmp_path)
    events = food_delivery()
    with LineageStore(settings) as a, LineageStore(settings) as b:
        a.ingest(events[:10])
        b.ingest(events[5:20])   # b's caches are empty, a's are now stale
        a.ingest(events[15:])
        counts = {label: a.g.V().has_label(label).count().next() for label in ("Dataset", "Pipeline", "Run")}
    with LineageStore(make_settings("embedded", tmp_path / "single")) as single:
        single.ingest(events)
        assert counts == {label: single.g.V().has_label(label).count().next() for label in counts}


def test_edges_of_other_labels_are_not_duplicated_across_batches(open_store):
    def event(minute, inputs):
        return {"eventType": "COMPLETE", "eventTime": f"2024-01-01T00:{minute:02d}:00Z", "producer": "https://e.x",
                "run": {"runId": f"00000000-0000-4000-8000-0000000001{minute:02d}"},
                "job": {"namespace": "wh", "name": "agg"},
                "inputs": [{"namespace": "wh", "name": n} for n in inputs], "outputs": [{"namespace": "wh", "name": "out"}]}
    first = open_store("one")
    first.ingest([event(1, ["a"])])          # DERIVED_FROM out -> a, GENERATED_BY out -> agg
    first.close()
    again = open_store("one", wipe=False)    # empty caches, same graph
    again.ingest([event(2, [])])             # a batch with GENERATED_BY only
    again.ingest([event(3, ["a"])])          # DERIVED_FROM again, in a later batch
    edges = again.g.V().has("dataset_id", "wh/out").has_label("Dataset").out_e().label().to_list()
    assert sorted(edges) == ["DERIVED_FROM", "GENERATED_BY"]
