"""What real dbt-ol emits, as the graph answers it: tests/data/dbt_project run through
dbt-ol (see tests/data/README.md), in both of its modes. dbt tests are checks with
their results, not lineage; models and seeds are children of the dbt run; the
statement-level child jobs fold under their model; search finds models by short name."""

import json
from pathlib import Path

import pytest

from lineage import JanusGraphClient

DATA = Path(__file__).parent / "data"
NS = "duckdb://warehouse.duckdb/warehouse.main."
RUN_JOB = "lineage_shop/dbt-run-lineage_shop"
MODELS = ("stg_customers", "stg_orders", "stg_payments", "customers", "orders")
SEEDS = ("raw_customers", "raw_orders", "raw_payments")


def capture(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line]


STRUCTURED = capture("dbt_project_events.ndjson")        # dbt-ol build --consume-structured-logs
ARTIFACTS = capture("dbt_project_artifact_events.ndjson")  # dbt-ol build


def expected_checks(events: list[dict]) -> dict[str, tuple[set[str], str]]:
    """check id -> (tested datasets, result), read from the events the way a person
    reads dbt's output: every dataset any of the test's events reads (a relationships
    test reads both tables at START), and the result of its last event: FAIL when it
    failed or an assertion of severity error did, WARN when only assertions of severity
    warn failed, else PASS."""
    out, tested = {}, {}
    for e in events:
        if e["job"].get("facets", {}).get("jobType", {}).get("jobType") != "TEST" and \
                not e["job"]["name"].endswith(".build.test"):
            continue
        check = e["job"]["namespace"] + "/" + e["job"]["name"]
        tested.setdefault(check, set()).update(i["namespace"] + "/" + i["name"] for i in e["inputs"])
        if e["eventType"] not in ("COMPLETE", "FAIL"):
            continue
        assertions = [a for i in e["inputs"] for facets in (i.get("facets", {}), i.get("inputFacets", {}))
                      for a in facets.get("dataQualityAssertions", {}).get("assertions", [])]
        failed = [a["severity"] for a in assertions if not a["success"]]
        result = "FAIL" if e["eventType"] == "FAIL" or "error" in failed else "WARN" if failed else "PASS"
        out[check] = (tested[check], result)
    return out


def queries(store, events):
    result = store.ingest(events)
    assert result.accepted == len(events) and not result.rejected
    return JanusGraphClient(store=store)


@pytest.mark.parametrize("events", [STRUCTURED, ARTIFACTS], ids=["structured-logs", "artifacts"])
def test_dbt_tests_are_checks_with_their_results(store, events):
    with queries(store, events) as c:
        q = c.queries
        everything = {(n["label"], n["id"]) for text in ("warehouse", "lineage_shop")
                      for n in q.search(text, limit=1000)}
        assert {i for label, i in everything if label == "Dataset"} == {NS + d for d in MODELS + SEEDS}
        assert not [i for _, i in everything if "test" in i.rsplit("/", 1)[-1].split(".")]
        assert q.orphaned_datasets() == [NS + "customers", NS + "orders"]
        impact = q.impact(NS + "raw_orders")
        assert {n["id"] for n in impact["datasets"]} == {NS + d for d in ("stg_orders", "customers", "orders")}
        assert impact["total_affected"] == 6 and impact["severity"] == "MEDIUM"

        expected = expected_checks(events)
        assert expected and {"FAIL", "WARN"} <= {r for _, r in expected.values()}
        seen = set()
        for dataset in {d for tested, _ in expected.values() for d in tested}:
            answer = q.checks(dataset)
            for check in answer["checks"]:
                tested, result = expected[check["id"]]
                assert dataset in tested
                assert check["latest"]["result"] == result, check["id"]
                assert check["latest"]["assertions"] and check["check_type"] == "dbt"
                seen.add(check["id"])
            results = {c["latest"]["result"] for c in answer["checks"]}
            assert answer["status"] == ("FAIL" if "FAIL" in results else "WARN" if "WARN" in results else "PASS")
        assert seen == set(expected)
        assert q.checks(NS + "customers")["status"] == "FAIL"   # not_null on first_order_at fails
        assert q.checks(NS + "stg_payments")["status"] == "PASS"


def test_the_stored_failures_of_a_test_are_named_not_made_datasets(store):
    with queries(store, STRUCTURED) as c:
        [check] = [ch for ch in c.queries.checks(NS + "orders")["checks"] if "relationships" in ch["id"]]
    # severity warn, one orphan order: the assertion failed, and dbt calls that a warning
    assert check["latest"]["result"] == "WARN"
    assert check["latest"]["assertions"][0]["severity"] == "warn"
    assert not check["latest"]["assertions"][0]["success"]
    assert json.loads(check["failures_tables"]) == [
        "duckdb://warehouse.duckdb/warehouse.main_dbt_test__audit.relationships_orders_customer_id__customer_id__ref_customers_"]


def test_graphql_says_a_warning_is_a_warning(settings, store):
    """A failed test of severity warn is WARN in GraphQL, with the severity of its
    assertion; a dataset whose checks passed or warned is WARN, one with a failure FAIL."""
    from server_fixtures import gql, serve

    assert not store.ingest(STRUCTURED).rejected
    query = """query($id: String!) { checks(datasetId: $id) {
        status checks { id latest { result assertions { assertion success severity } } } } }"""
    with serve(settings) as http:
        orders = gql(http, query, id=NS + "orders")
        customers = gql(http, query, id=NS + "customers")
    assert "errors" not in orders, orders
    answer = orders["data"]["checks"]
    results = {c["id"].rsplit(".", 2)[-2]: c["latest"] for c in answer["checks"]}
    warned = results["relationships_orders_customer_id__customer_id__ref_customers_"]
    assert warned == {"result": "WARN", "assertions": [
        {"assertion": "relationships", "success": False, "severity": "warn"}]}
    assert {r["result"] for r in results.values()} == {"PASS", "WARN"} and answer["status"] == "WARN"
    assert customers["data"]["checks"]["status"] == "FAIL"   # severity error: a failure


def test_models_and_seeds_are_children_of_the_dbt_run(store):
    with queries(store, STRUCTURED) as c:
        q = c.queries
        family = q.family(RUN_JOB, "Pipeline")
        assert family["parent"] is None
        assert sorted(k["id"] for k in family["children"]) == sorted(
            [f"lineage_shop/model.lineage_shop.{m}" for m in MODELS] +
            [f"lineage_shop/seed.lineage_shop.{s}" for s in SEEDS])
        assert {k["latest_state"] for k in family["children"]} == {"COMPLETE"}
        model = q.family("lineage_shop/model.lineage_shop.customers", "Pipeline")
        assert model["parent"]["id"] == RUN_JOB
        assert [k["id"] for k in model["children"]] == [
            f"lineage_shop/model.lineage_shop.customers.sql.{i}" for i in range(1, 6)]
        # the statements read and write nothing: folded under the model in search and the graph
        assert not [n for n in q.search("customers", limit=100) if ".sql." in n["id"]]
        graph = q.lineage_graph(NS + "customers", direction="both", depth=5)
        assert not [n for n in graph.nodes if ".sql." in n["id"]]
        [statement] = [e for e in STRUCTURED if e["job"]["name"] == "model.lineage_shop.customers.sql.1"
                       and e["eventType"] == "COMPLETE"]
        parent_run = statement["run"]["facets"]["parent"]["run"]["runId"]
        assert q.family(statement["run"]["runId"], "Run")["parent"]["id"] == parent_run
        assert q.node(parent_run, "Run")["pipeline_id"] == "lineage_shop/model.lineage_shop.customers"


@pytest.mark.parametrize("events,model", [(STRUCTURED, "lineage_shop/model.lineage_shop.customers"),
                                          (ARTIFACTS, "lineage_shop/warehouse.main.lineage_shop.customers.build.run")],
                         ids=["structured-logs", "artifacts"])
def test_a_models_short_name_finds_it_first(store, events, model):
    with queries(store, events) as c:
        found = c.queries.search("Customers", limit=50)
    assert NS + "customers" in [n["id"] for n in found if n["rank"] == 0]
    assert found[0]["rank"] == 0 and found[0]["id"] in (NS + "customers", model)
    assert model in [n["id"] for n in found]
    assert [n["rank"] for n in found] == sorted(n["rank"] for n in found)
    assert c.queries.resolve("main.customers").key == NS + "customers"
