"""The query module and JanusGraphClient on the spec's examples, the demo and the food-delivery corpus."""

import pytest

from conftest import food_delivery
from lineage import Ambiguous, InvalidArgument, JanusGraphClient, NodeKey, NotFound
from lineage._analysis import severity
from lineage._builders import EventBuilder
from lineage._demo import demo_events

FD = "food_delivery/public."


@pytest.fixture
def client(store):
    store.ingest(demo_events("default") + food_delivery())
    with JanusGraphClient(store=store) as c:
        yield c


def ids(nodes):
    return [n["id"] for n in nodes]


def test_upstream_matches_the_spec_example(client):
    upstream = client.get_upstream_datasets("gold/sales_aggregated", max_depth=10)
    assert [(d["dataset_id"], d["layer"], d["distance"]) for d in upstream][:3] == [
        ("silver/sales_aggregated", "silver", 1), ("bronze/products", "bronze", 2), ("bronze/sales", "bronze", 2)]
    assert [d["distance"] for d in upstream] == sorted(d["distance"] for d in upstream)
    assert ids(client.get_upstream_datasets("gold/sales_aggregated", max_depth=1)) == ["silver/sales_aggregated"]


def test_food_delivery_upstream_is_exact(client):
    assert ids(client.get_upstream_datasets(FD + "orders_7_days", max_depth=1)) == [
        FD + "categories", FD + "menu_items", FD + "menus", FD + "orders"]
    two = client.get_upstream_datasets(FD + "orders_7_days", max_depth=2)
    assert ids(n for n in two if n["distance"] == 2) == [
        FD + "tmp_categories", FD + "tmp_menu_items", FD + "tmp_menus", FD + "tmp_orders"]
    # the OpenLineage name alone works when it is unique, and so does the pair
    assert ids(client.get_upstream("public.orders_7_days", 1)) == ids(two[:4])
    assert ids(client.queries.upstream(NodeKey("food_delivery", "public.orders_7_days"), 1)) == ids(two[:4])


def test_downstream_reaches_models_through_features(client):
    down = client.get_downstream("gold/customers", 3)
    assert [(n["id"], n["label"], n["distance"]) for n in down] == [
        ("churn_predictor@2", "Model", 1), ("churn_predictor@3", "Model", 1),
        ("features/customer_features", "Feature", 1), ("ltv_model@1", "Model", 2)]
    assert ids(client.get_downstream("gold/customers", 3, labels=["Model"])) == [
        "churn_predictor@2", "churn_predictor@3", "ltv_model@1"]


def test_consumers(client):
    consumers = client.get_dataset_consumers("gold/customers")
    assert [(m["model_name"], m["version"], m["trained_on_version"]) for m in consumers["models"]] == [
        ("churn_predictor", "2", None), ("churn_predictor", "3", "snapshot_def456")]
    assert ids(consumers["pipelines"]) == ["build_customer_features", "train_churn_predictor",
                                           "train_churn_predictor_legacy"]
    assert ids(consumers["features"]) == ["features/customer_features"]
    assert client.get_dataset_consumers(FD + "discounts")["pipelines"][0]["id"] == "food_delivery/email_discounts"


def test_model_training_lineage_matches_the_spec(client):
    lineage = client.get_model_training_lineage("churn_predictor", version=3)
    assert lineage["model"]["model_name"] == "churn_predictor"
    assert [(d["dataset_id"], d["version"]) for d in lineage["training_datasets"]] == [
        ("gold/customers", "snapshot_def456"), ("gold/transactions", "snapshot_ghi789")]
    assert ids(lineage["pipelines"]) == ["train_churn_predictor"]
    assert "bronze/customers" in ids(lineage["upstream"]) and "silver/transactions" in ids(lineage["upstream"])


def test_reproducibility_verdicts(client):
    good = client.check_reproducibility("churn_predictor", 3)
    assert good["reproducible"] and good["missing"] == []
    assert good["snapshots"] == {"gold/customers": "snapshot_def456", "gold/transactions": "snapshot_ghi789"}
    bad = client.check_reproducibility("churn_predictor", 2)
    assert not bad["reproducible"]
    assert bad["missing"] == [
        "training input gold/customers is not pinned to a version or snapshot",
        "pipeline train_churn_predictor_legacy (which wrote churn_predictor@2) has no code version"]


def test_impact_analysis(client):
    impact = client.impact_analysis("silver/customers", "schema")
    assert ids(impact["datasets"]) == ["gold/customers"]
    assert ids(impact["models"]) == ["churn_predictor@2", "churn_predictor@3", "ltv_model@1"]
    assert ids(impact["features"]) == ["features/customer_features"]
    assert ids(impact["pipelines"]) == ["promote_customers", "build_customer_features", "train_churn_predictor",
                                        "train_churn_predictor_legacy", "train_ltv_model"]
    ltv = next(m for m in impact["models"] if m["id"] == "ltv_model@1")
    assert ltv["distance"] == 3 and ltv["path"] == ["silver/customers", "gold/customers",
                                                    "features/customer_features", "ltv_model@1"]
    assert impact["total_affected"] == 10 and impact["severity"] == "HIGH"
    food = client.impact_analysis(FD + "orders_7_days", "data")
    assert ids(food["datasets"]) == [FD + "delivery_7_days", FD + "discounts", FD + "top_delivery_times",
                                     FD + "popular_orders_day_of_week"]
    assert food["severity"] == "MEDIUM" and food["models"] == []


@pytest.mark.parametrize("total,models,change,expected", [
    (21, 0, "data", "HIGH"), (3, 1, "schema", "HIGH"), (3, 1, "deprecation", "HIGH"), (3, 1, "data", "MEDIUM"),
    (6, 0, "schema", "MEDIUM"), (5, 0, "schema", "LOW"), (0, 0, "data", "LOW")])
def test_severity_thresholds(total, models, change, expected):
    assert severity(total, models, change) == expected


def test_lineage_graph_for_drawing(client):
    graph = client.lineage_graph("gold/customers", "Dataset", depth=1)
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert graph["center"] == "gold/customers" and nodes["gold/customers"]["distance"] == 0
    assert {"silver/customers", "promote_customers", "churn_predictor@3", "features/customer_features",
            "build_customer_features"} <= set(nodes)
    assert "bronze/customers" not in nodes and "ltv_model@1" not in nodes
    edges = {(e["label"], e["source"], e["target"]) for e in graph["edges"]}
    assert ("GENERATED_BY", "gold/customers", "promote_customers") in edges
    assert ("CONSUMES", "promote_customers", "silver/customers") in edges
    assert ("TRAINED_ON", "churn_predictor@3", "gold/customers") in edges
    assert ("PRODUCES", "build_customer_features", "features/customer_features") in edges
    assert all(e["source"] in nodes and e["target"] in nodes for e in graph["edges"])
    assert graph["node_count"] == len(graph["nodes"]) and not graph["truncated"]
    capped = client.lineage_graph("gold/customers", depth=3, node_cap=5)
    assert capped["truncated"] and capped["node_count"] == 5 and capped["nodes"][0]["id"] == "gold/customers"
    up = client.lineage_graph("gold/customers", depth=3, direction="upstream")
    assert "churn_predictor@3" not in {n["id"] for n in up["nodes"]}
    pipeline = client.lineage_graph("spark_aggregate_sales", "Pipeline", depth=1)
    assert {"bronze/sales", "bronze/products", "silver/sales_aggregated"} <= {n["id"] for n in pipeline["nodes"]}


def test_paths_shortest_first(client):
    assert client.find_paths("bronze/customers", "churn_predictor@3") == [
        ["bronze/customers", "silver/customers", "gold/customers", "churn_predictor@3"]]
    assert client.find_paths("bronze/customers", "ltv_model@1")[0] == [
        "bronze/customers", "silver/customers", "gold/customers", "features/customer_features", "ltv_model@1"]
    assert client.find_paths("churn_predictor@3", "bronze/customers") == []


def test_recipes(client):
    paths = client.bronze_to_model_paths(limit=50)
    assert ["bronze/customers", "silver/customers", "gold/customers", "churn_predictor@3"] in paths
    assert all(p[0].startswith("bronze/") and "@" in p[-1] for p in paths)
    assert client.orphaned_datasets() == [FD + "popular_orders_day_of_week", "gold/sales_report"]
    assert client.unreproducible_models() == [{"model_id": "churn_predictor@2", "training_inputs": 1, "unpinned": 1}]


def test_search_and_lookup(client):
    assert ids(client.search("gold/")) == ["gold/customers", "gold/sales_report", "gold/transactions",
                                           "gold/sales_aggregated"]
    assert ids(client.search("churn", labels=["Model"])) == ["churn_predictor@2", "churn_predictor@3"]
    assert client.queries.node("spark_aggregate_sales")["version"] == "5"
    runs = client.queries.runs("dbt_sales_report")
    assert [r["state"] for r in runs] == ["FAIL"]


def test_errors_name_the_problem(client):
    with pytest.raises(NotFound) as err:
        client.get_upstream_datasets("gold/nope")
    assert "'gold/nope'" in err.value.message
    with pytest.raises(InvalidArgument) as err:
        client.get_upstream_datasets("gold/customers", max_depth=500)
    assert err.value.message == "depth must be between 1 and 50; got 500"
    with pytest.raises(Ambiguous) as err:
        client.queries.resolve("churn_predictor")
    assert "churn_predictor@3" in err.value.message
    with pytest.raises(InvalidArgument):
        client.impact_analysis("gold/customers", "rename")


def test_client_writes_become_lineage(store):
    with JanusGraphClient(store=store) as client:
        client.add_dataset("bronze/sales", "bronze", "snap_1")
        client.add_pipeline_generates_dataset("spark_aggregate_sales", 5, "silver/sales_aggregated", "snapshot_abc123")
        client.record_pipeline_execution("spark_aggregate_sales", 5, ["bronze/sales", "bronze/products"],
                                         ["silver/sales_aggregated"])
        client.record_dataset_promotion("silver/sales_aggregated", "gold/sales_aggregated", "DQ validation")
        client.add_model_trained_on_dataset("churn_predictor", 3, "gold/customers", "snapshot_def456")
        client.add_model_trained_on_dataset("churn_predictor", 3, "gold/transactions", "snapshot_ghi789")
        upstream = client.get_upstream_datasets("gold/sales_aggregated", max_depth=10)
        assert [(d["dataset_id"], d["layer"]) for d in upstream] == [
            ("silver/sales_aggregated", "silver"), ("bronze/products", "bronze"), ("bronze/sales", "bronze")]
        assert client.queries.node("silver/sales_aggregated")["version"] == "snapshot_abc123"
        lineage = client.get_model_training_lineage("churn_predictor", version=3)
        assert [(d["dataset_id"], d["version"]) for d in lineage["training_datasets"]] == [
            ("gold/customers", "snapshot_def456"), ("gold/transactions", "snapshot_ghi789")]
        assert lineage["model"]["model_name"] == "churn_predictor"
        verdict = client.check_reproducibility("churn_predictor", 3)
        assert verdict["missing"] == ["pipeline train_churn_predictor (which wrote churn_predictor@3) has no code version"]
        client.add_model_trained_on_dataset("churn_predictor", 3, "gold/customers", "snapshot_def456",
                                            code_version="git:abc")
        assert client.check_reproducibility("churn_predictor", 3)["reproducible"]
        promotion = client.get_dataset_consumers("silver/sales_aggregated")["pipelines"][0]
        assert promotion["description"] == "DQ validation" and promotion["pipeline_type"] == "promotion"
        # declaring it again adds no node and no edge (it only moves last_seen)
        def shape(snapshot):
            return [e[:3] for e in snapshot["edges"]], [v[0] for v in snapshot["vertices"]]
        before = shape(store.snapshot())
        client.add_model_trained_on_dataset("churn_predictor", 3, "gold/customers", "snapshot_def456",
                                            code_version="git:abc")
        assert shape(store.snapshot()) == before


def test_cycles_terminate(store):
    builder = EventBuilder("default")
    store.ingest(builder.pipeline_run("a_to_b", inputs=["lake/a"], outputs=["lake/b"])
                 + builder.pipeline_run("b_to_a", inputs=["lake/b"], outputs=["lake/a"])
                 + builder.pipeline_run("self", inputs=["lake/c"], outputs=["lake/c"]))
    with JanusGraphClient(store=store) as client:
        assert [(n["id"], n["distance"]) for n in client.get_upstream("lake/a", 50)] == [("lake/b", 1)]
        assert client.get_upstream("lake/c", 50) == []
        assert client.impact_analysis("lake/a")["total_affected"] == 3  # lake/b and both pipelines


def test_hub_answers_within_the_node_cap(store):
    builder = EventBuilder("default")
    events = []
    for i in range(300):
        events += builder.pipeline_run(f"fan_{i}", inputs=["gold/hub"], outputs=[f"gold/out_{i}"],
                                       start_time="2026-01-01T00:00:00Z")
    store.ingest(events)
    with JanusGraphClient(store=store) as client:
        graph = client.lineage_graph("gold/hub", depth=2, node_cap=50)
        assert graph["truncated"] and graph["node_count"] == 50
        assert len(client.get_downstream("gold/hub", 1)) == 300
