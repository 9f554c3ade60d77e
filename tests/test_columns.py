"""Column lineage on every backend: from the Spark and dbt facets, from SQL alone, and the
guide's "add PII masking to silver/customers" question answered field by field."""

from __future__ import annotations

import json

import pytest

from cli_support import demo_cli  # noqa: F401 - fixture
from conftest import DATA, food_delivery
from lineage import InvalidArgument, LineageAnalysis, NotFound
from lineage import _model as m
from lineage._cli import main
from lineage._demo import demo_events
from lineage import ColumnLineage
from lineage.columns import field_id, split_field_id
from lineage.columns.facet import derivations, summary
from server_fixtures import gql, serve

SPARK = json.loads((DATA / "columns" / "spark_column_lineage.json").read_text())
DBT = json.loads((DATA / "columns" / "dbt_column_lineage.json").read_text())
HDFS = "hdfs://namenode:8020"
WAREHOUSE = "postgres://warehouse.internal:5432"


def columns(store) -> ColumnLineage:
    return ColumnLineage(LineageAnalysis(store.graph, store.settings.default_namespace))


def edges_of(snapshot: dict) -> dict[tuple[str, str, str], dict]:
    return {(e[1][1], e[2][1], dict(e[3])["pipeline_id"]): dict(e[3])
            for e in snapshot["edges"] if e[0] == m.FIELD_DERIVED_FROM}


def test_field_ids_round_trip_and_never_collide():
    assert field_id("gold/customers", "email") == "gold/customers#email"
    for owner, name in (("a#b", "c"), ("a", "b#c"), ("100%#", "x%23")):
        assert split_field_id(field_id(owner, name)) == (owner, name)
    assert field_id("a#b", "c") != field_id("a", "b#c")


def test_facet_reading_new_and_old_shapes():
    spark = derivations(SPARK["outputs"][0]["facets"])
    email = [d for d in spark if d.field == "email_hash" and d.transformations[0].type == "DIRECT"]
    assert [(d.name, d.source_field) for d in email] == [("/warehouse/silver/customers", "email")]
    assert summary(email[0].transformations) == {
        "transformation_type": "DIRECT", "transformation_subtype": "TRANSFORMATION",
        "transformation_description": "sha2(email, 256)", "masking": True,
        "transformations": '[{"description":"sha2(email, 256)","masking":true,"subtype":"TRANSFORMATION",'
                           '"type":"DIRECT"}]'}
    # dataset-level dependencies reach every field of the output
    status = {d.field for d in spark if d.source_field == "status"}
    assert status == {"customer_id", "email_hash", "country", "order_total"}
    dbt = {d.field: d for d in derivations(DBT["outputs"][0]["facets"])}
    assert summary(dbt["email_digest"].transformations)["masking"] is True
    assert summary(dbt["customer_id"].transformations)["transformation_subtype"] == "IDENTITY"
    assert summary(dbt["first_order"].transformations)["transformation_type"] is None
    assert derivations({}) is None and derivations({"columnLineage": {"fields": {"x": {"inputFields": [{}]}}}}) == []


def test_spark_facet_becomes_fields_and_derivations(store):
    store.ingest([SPARK])
    snap = store.snapshot()
    target = f"{HDFS}//warehouse/gold/customer_orders"
    pipeline = "spark_jobs/customer_orders_job.execute_insert_into_hadoop_fs_relation_command." \
               "warehouse_gold_customer_orders"
    edges = edges_of(snap)
    email = edges[(f"{target}#email_hash", f"{HDFS}//warehouse/silver/customers#email", pipeline)]
    assert (email["transformation_type"], email["transformation_subtype"], email["masking"]) == \
        ("DIRECT", "TRANSFORMATION", True)
    # customer_id is both the identity source and a JOIN/GROUP_BY key: one edge, both kinds recorded
    key = edges[(f"{target}#customer_id", f"{HDFS}//warehouse/silver/customers#customer_id", pipeline)]
    assert key["transformation_type"] == "DIRECT" and key["transformation_subtype"] == "IDENTITY"
    assert {t["subtype"] for t in json.loads(key["transformations"])} == {"IDENTITY", "JOIN", "GROUP_BY"}
    status = edges[(f"{target}#country", f"{HDFS}//warehouse/silver/orders#status", pipeline)]
    assert (status["transformation_type"], status["transformation_subtype"], status["masking"]) == \
        ("INDIRECT", "FILTER", False)
    has = {(e[1][1], e[2][1]) for e in snap["edges"] if e[0] == m.HAS_FIELD}
    assert (target, f"{target}#order_total") in has and (f"{HDFS}//warehouse/silver/orders", f"{HDFS}//warehouse/silver/orders#amount") in has
    # re-sending changes nothing
    store.ingest([SPARK])
    assert store.snapshot() == snap

    c = columns(store)
    up = c.lineage(target, "order_total", "upstream", 1)
    assert [(f["dataset_id"], f["field"]) for f in up["fields"]] == [
        (f"{HDFS}//warehouse/silver/customers", "customer_id"), (f"{HDFS}//warehouse/silver/orders", "amount"),
        (f"{HDFS}//warehouse/silver/orders", "customer_id"), (f"{HDFS}//warehouse/silver/orders", "status")]
    direct = c.lineage(target, "order_total", "upstream", 1, indirect=False)
    assert [(f["dataset_id"], f["field"]) for f in direct["fields"]] == [(f"{HDFS}//warehouse/silver/orders", "amount")]
    assert direct["edges"][0]["transformation_subtype"] == "AGGREGATION"
    masked = c.impact(f"{HDFS}//warehouse/silver/customers", "email", "mask")
    assert [(f["field"], f["masked"]) for f in masked["fields"]] == [("email_hash", True)]
    assert masked["fields"][0]["masked_at"][0]["pipeline_id"] == pipeline


def test_dbt_facet_with_the_older_transformation_fields(store):
    store.ingest([DBT])
    c = columns(store)
    out = f"{WAREHOUSE}/analytics.dbt_prod.customers"
    fields = c.fields(out)["fields"]
    assert [(f["name"], f["type"], f["inputs"]) for f in fields] == [
        ("customer_id", "integer", 1), ("email_digest", "text", 1), ("first_name", "text", 1),
        ("first_order", "date", 1), ("number_of_orders", "bigint", 1)]
    down = c.lineage(f"{WAREHOUSE}/analytics.dbt_prod.stg_customers", "email", "downstream", 3)
    assert [(f["field"], f["distance"]) for f in down["fields"]] == [("email_digest", 1)]
    edge = down["edges"][0]
    assert (edge["masking"], edge["transformation_description"], edge["pipeline_id"]) == \
        (True, "md5(email)", "dbt/analytics.dbt_prod.jaffle_shop.customers.build.run")
    # the facet wins over the SQL: no field the query names but the facet does not
    assert {f["name"] for f in fields} == {"customer_id", "email_digest", "first_name", "first_order", "number_of_orders"}


def test_column_lineage_from_sql_alone(store):
    event = json.loads(json.dumps(DBT))
    del event["outputs"][0]["facets"]["columnLineage"]
    store.ingest([event])
    c = columns(store)
    out = f"{WAREHOUSE}/analytics.dbt_prod.customers"
    up = c.lineage(out, "email_digest", "upstream", 2)
    assert [(f["dataset_id"], f["field"]) for f in up["fields"]] == [
        (f"{WAREHOUSE}/analytics.dbt_prod.stg_customers", "email")]
    up = c.lineage(out, "number_of_orders", "upstream", 2)
    assert [(f["dataset_id"], f["field"]) for f in up["fields"]] == [
        (f"{WAREHOUSE}/analytics.dbt_prod.stg_orders", "order_id")]


def test_sql_without_declared_inputs_or_schema(store):
    """Only the SQL: tables and columns both come from the query; unqualified names take
    the output's schema and namespace."""
    event = {
        "eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.com/emitter",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0195b1a2-0000-7000-8000-000000000001"},
        "job": {"namespace": "etl", "name": "daily_orders", "facets": {"sql": {
            "query": "INSERT INTO orders_daily (day, revenue) SELECT date_trunc('day', o.placed_on) AS day, "
                     "sum(o.amount) AS revenue FROM orders o GROUP BY 1"}}},
        "inputs": [], "outputs": [{"namespace": "pg", "name": "shop.orders_daily"}]}
    store.ingest([event])
    c = columns(store)
    assert [(f["dataset_id"], f["field"]) for f in c.lineage("pg/shop.orders_daily", "revenue")["fields"]] == [
        ("pg/shop.orders", "amount")]
    assert c.impact("pg/shop.orders", "placed_on")["fields"][0]["id"] == "pg/shop.orders_daily#day"


def test_the_food_delivery_corpus_at_column_level(store):
    store.ingest(food_delivery())
    c = columns(store)
    up = c.lineage("food_delivery/public.orders_7_days", "menu_id", "upstream", 5)
    assert [(f["distance"], f["dataset_id"], f["field"]) for f in up["fields"]] == [
        (1, "food_delivery/public.categories", "menu_id"), (1, "food_delivery/public.menus", "id"),
        (2, "food_delivery/public.tmp_categories", "menu_id"), (2, "food_delivery/public.tmp_menus", "id")]
    assert up["fields"][-1]["path"] == ["food_delivery/public.orders_7_days#menu_id",
                                        "food_delivery/public.menus#id", "food_delivery/public.tmp_menus#id"]


def test_pii_masking_of_silver_customers_on_the_demo(store):
    """The guide's use case: add PII masking to silver/customers. At column level: email
    reaches gold/customers.email only through promote_customers, which already masks it;
    churn_predictor@2 reads gold/customers without column lineage (it may receive it);
    churn_predictor@3 and the feature view are known not to use email."""
    store.ingest(demo_events(store.settings.default_namespace))
    c = columns(store)
    mask = c.impact("silver/customers", "email", "mask")
    assert [(f["id"], f["masked"]) for f in mask["fields"]] == [("gold/customers#email", True)]
    assert mask["fields"][0]["masked_at"] == [
        {"input": "silver/customers#email", "output": "gold/customers#email", "pipeline_id": "promote_customers"}]
    assert [(d["id"], d["fields"], d["masked"]) for d in mask["datasets"]] == [("gold/customers", ["email"], True)]
    assert [(x["id"], x["column_level"], x["via"]) for x in mask["models"]] == [
        ("churn_predictor@2", False, "gold/customers")]
    assert mask["features"] == [] and mask["unmasked_fields"] == 0
    assert mask["pipelines"] == [{"id": "promote_customers", "distance": 1}]
    # a change to email also moves which rows gold/customers keeps (a FILTER), and so every field built on them
    change = c.impact("silver/customers", "email", "change")
    assert {x["id"] for x in change["models"]} == {"churn_predictor@2", "churn_predictor@3", "ltv_model@1"}
    assert [x["id"] for x in change["models"] if x["column_level"]] == ["churn_predictor@3"]
    assert change["features"][0]["fields"] == ["avg_amount_30d", "days_since_signup", "txn_count_30d"]
    up = c.lineage("gold/customers", "email", "upstream", 5, indirect=False)
    assert [f["id"] for f in up["fields"]] == ["silver/customers#email", "bronze/customers#email",
                                               "postgres://crm-db:5432/crm.public.customers#email"]


def test_backends_agree_and_errors_name_the_fix(store):
    store.ingest(demo_events(store.settings.default_namespace) + [SPARK, DBT])
    c = columns(store)
    with pytest.raises(NotFound, match="its fields are country, customer_id, email, signup_date"):
        c.impact("silver/customers", "emial")
    with pytest.raises(InvalidArgument, match="direction must be one of"):
        c.lineage("silver/customers", "email", "sideways")
    with pytest.raises(InvalidArgument, match="between 1 and"):
        c.lineage("silver/customers", "email", depth=0)
    with pytest.raises(InvalidArgument, match="is a Pipeline"):
        c.fields("promote_customers")
    # a known field without column lineage answers empty, not an error
    assert c.lineage("bronze/sales", "quantity")["fields"] == []
    edges = c.edges(["gold/customers"])
    assert {(e["input"]["id"], e["output"]["id"]) for e in edges} >= {
        ("silver/customers#email", "gold/customers#email"),
        ("gold/customers#signup_date", "features/customer_features#days_since_signup"),
        ("gold/customers#country", "churn_predictor@3#churn_score")}
    assert {e["output"]["label"] for e in edges} == {"Dataset", "Feature", "Model"}


def test_graphql_column_lineage_and_impact(settings, store):
    store.ingest(demo_events(settings.default_namespace))
    with serve(settings) as client:
        answer = gql(client, """{
          columnImpact(datasetId: "silver/customers", field: "email", changeType: "mask") {
            totalFields unmaskedFields
            fields { id masked maskedAt { pipelineId } }
            datasets { id fields masked } models { id columnLevel via } pipelines { id distance } }
          columnLineage(datasetId: "gold/customers", field: "email", direction: "upstream", depth: 1) {
            root { id } fields { id distance path }
            edges { input { id } output { id label } pipelineId transformationType transformationSubtype masking
                    transformations { type subtype description masking } } }
          datasetFields(datasetId: "features/customer_features") { label fields { name inputs outputs } }
          columnEdges(datasetIds: ["gold/customers", "nope/nothing"]) { input { id } output { id } }
        }""")
        assert "errors" not in answer, answer
        data = answer["data"]
        impact = data["columnImpact"]
        assert (impact["totalFields"], impact["unmaskedFields"]) == (1, 0)
        assert impact["fields"] == [{"id": "gold/customers#email", "masked": True,
                                     "maskedAt": [{"pipelineId": "promote_customers"}]}]
        assert impact["models"] == [{"id": "churn_predictor@2", "columnLevel": False, "via": "gold/customers"}]
        edge = data["columnLineage"]["edges"][0]
        assert (edge["input"]["id"], edge["pipelineId"], edge["transformationType"], edge["masking"]) == \
            ("silver/customers#email", "promote_customers", "DIRECT", True)
        assert {t["subtype"] for t in edge["transformations"]} == {"TRANSFORMATION", "FILTER"}
        assert data["datasetFields"]["label"] == "Feature"
        assert [f["name"] for f in data["datasetFields"]["fields"]] == ["days_since_signup", "txn_count_30d",
                                                                        "avg_amount_30d"]
        assert len(data["columnEdges"]) >= 8
        bad = gql(client, '{ columnImpact(datasetId: "silver/customers", field: "x") { totalFields } }')
        assert bad["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert "its fields are" in bad["errors"][0]["message"]


def test_cli_columns(demo_cli, capsys):
    assert main(["columns", "impact", "silver/customers", "email", "--change", "mask"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "masking silver/customers#email reaches 1 fields (0 receive it unmasked)"
    assert "masked by promote_customers" in out and "no column lineage: reads gold/customers" in out
    assert main(["columns", "upstream", "gold/customers", "email", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["fields"][0]["id"] == "silver/customers#email"
    assert main(["columns", "fields", "gold/customers"]) == 0
    assert "signup_date" in capsys.readouterr().out
    assert main(["columns", "downstream", "silver/customers", "nope"]) == 1
    assert "has no field 'nope'" in capsys.readouterr().err


def test_column_traversals_count_against_the_query_budget():
    from lineage._gql import schema
    aliases = " ".join(f'a{i}: columnImpact(datasetId: "x", field: "y") {{ totalFields }}' for i in range(21))
    result = schema.execute_sync("{ " + aliases + " }")
    assert result.errors and result.errors[0].extensions["code"] == "QUERY_TOO_COSTLY"


def test_wide_facets_are_bounded_and_say_so(tmp_path):
    from lineage import LineageStore
    from conftest import make_settings
    fields = [{"name": f"c{i:03d}", "type": "int"} for i in range(300)]
    facet = {"fields": {}, "dataset": [{"namespace": "n", "name": "src", "field": f"k{i}"} for i in range(300)]}
    event = {"eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.com/p",
             "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run": {"runId": "0195b1a2-0000-7000-8000-000000000002"}, "job": {"namespace": "n", "name": "wide"},
             "inputs": [{"namespace": "n", "name": "src"}],
             "outputs": [{"namespace": "n", "name": "dst", "facets": {"schema": {"fields": fields},
                                                                       "columnLineage": facet}}]}
    settings = make_settings("embedded", tmp_path, max_derived_edges=50)
    with LineageStore(settings) as store:
        store.ingest([event])
        snap = store.snapshot()
    assert sum(1 for e in snap["edges"] if e[0] == m.FIELD_DERIVED_FROM) == 50
    run = next(dict(v[1]) for v in snap["vertices"] if v[0] == m.RUN)
    note = json.loads(run["lineage_truncated"])["columns"]
    assert "over 200 derivations" in note and "the first 50 by output and input field id" in note
