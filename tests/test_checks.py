"""dbt as dbt-ol reports it: tests are checks on the datasets they test, not lineage;
directional graphs hold only what is up- or downstream of the focus."""

import json
from pathlib import Path

import pytest

from lineage import JanusGraphClient

DATA = Path(__file__).parent / "data"
NS = "postgres://warehouse.internal:5432/analytics.dbt_prod."


def run_event(ns: str, job: str, state: str = "COMPLETE", run: str = "3f1c2a9e-0000-4000-8000-000000000001") -> dict:
    return {"eventType": state, "eventTime": "2026-03-02T06:00:00Z", "producer": "https://example.com/producer",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent",
            "run": {"runId": run}, "job": {"namespace": ns, "name": job}, "inputs": [], "outputs": []}


def dbt_events() -> list[dict]:
    return [json.loads(line) for line in (DATA / "dbt_jaffle_shop.ndjson").read_text().splitlines() if line]


@pytest.fixture
def client(store):
    result = store.ingest(dbt_events())
    assert not result.rejected
    with JanusGraphClient(store=store) as c:
        yield c


def test_tests_are_checks_not_datasets_or_pipelines(client):
    q = client.queries
    everything = q.search("analytics", limit=1000)
    assert not [n for n in everything if "dbt_test__audit" in n["id"]]
    assert not [n for n in everything if n["label"] == "Pipeline" and n["id"].endswith(".test")]
    assert q.orphaned_datasets() == sorted(q.orphaned_datasets())
    assert not [d for d in q.orphaned_datasets() if "audit" in d]
    impact = q.impact(NS + "raw_orders")
    affected = [n["id"] for group in ("datasets", "pipelines") for n in impact[group]]
    assert not [a for a in affected if a.endswith(".test") or "audit" in a]
    assert impact["total_affected"] == len(affected)
    assert impact["severity"] in ("LOW", "MEDIUM")


def test_every_check_is_attached_to_its_dataset_with_its_result(client, store):
    q = client.queries
    tests = {}
    for event in dbt_events():
        if event["job"]["name"].endswith(".test") and event["eventType"] in ("COMPLETE", "FAIL"):
            tested = [i["namespace"] + "/" + i["name"] for i in event["inputs"]]
            tests[event["job"]["namespace"] + "/" + event["job"]["name"]] = (tested, event["eventType"])
    assert len(tests) == 12
    seen = 0
    for dataset in {d for tested, _ in tests.values() for d in tested}:
        answer = q.checks(dataset)
        for check in answer["checks"]:
            tested, state = tests[check["id"]]
            assert dataset in tested
            assert check["latest"]["result"] == ("FAIL" if state == "FAIL" else "PASS")
            assert check["latest"]["assertions"], check["id"]
            seen += 1
        results = [c["latest"]["result"] for c in answer["checks"]]
        assert answer["status"] == ("FAIL" if "FAIL" in results else "PASS")
    assert seen == sum(len(t) for t, _ in tests.values())


def test_a_check_reported_by_facets_alone(store):
    ns = "quality"
    event = run_event(ns, "orders_not_empty")
    event["job"]["facets"] = {"jobType": {"_producer": "https://x", "_schemaURL": "https://x#/JobType",
                                          "jobType": "TEST", "integration": "GREAT_EXPECTATIONS",
                                          "processingType": "BATCH"}}
    event["inputs"] = [{"namespace": ns, "name": "orders", "inputFacets": {"dataQualityAssertions": {
        "_producer": "https://x", "_schemaURL": "https://x#/DQ",
        "assertions": [{"assertion": "not_empty", "success": False}]}}}]
    store.ingest([event])
    with JanusGraphClient(store=store) as c:
        answer = c.queries.checks(f"{ns}/orders")
    assert answer["status"] == "FAIL"
    [check] = answer["checks"]
    assert check["check_type"] == "great_expectations"
    assert check["latest"]["assertions"] == [{"assertion": "not_empty", "success": False}]


def test_directional_graphs_hold_only_lineage(client):
    q = client.queries
    focus = NS + "customers"
    up = {n["id"] for n in q.lineage_graph(focus, direction="upstream", depth=5).nodes}
    down = {n["id"] for n in q.lineage_graph(focus, direction="downstream", depth=5).nodes}
    both = {n["id"] for n in q.lineage_graph(focus, direction="both", depth=5).nodes}
    assert both == up | down
    producers = {n["id"] for n in q.lineage_graph(focus, direction="upstream", depth=1).nodes
                 if n["label"] == "Pipeline"}
    assert producers and not producers & down
    # orders reads the same staging tables; neither it nor its pipeline is in customers' lineage
    assert NS + "orders" not in both
    assert not [n for n in both if "orders.build.run" in n and "stg_orders" not in n]


def test_an_update_in_place_is_a_self_derivation(store):
    event = run_event("ns", "dedupe")
    event["inputs"] = [{"namespace": "ns", "name": "events"}]
    event["outputs"] = [{"namespace": "ns", "name": "events"}]
    store.ingest([event])
    with JanusGraphClient(store=store) as c:
        graph = c.queries.lineage_graph("ns/events", direction="upstream")
    assert {"label": "DERIVED_FROM", "source": "ns/events", "target": "ns/events", "version": None} in graph.edges


def test_graphql_offers_the_checks_of_a_dataset(settings, store):
    from server_fixtures import gql, serve

    store.ingest(dbt_events())
    with serve(settings) as http:
        answer = gql(http, """query($id: String!) { checks(datasetId: $id, runs: 3) {
            id status checks { name checkType latest { result time assertions { assertion success column } } } } }""",
                     id=NS + "stg_orders")
    assert "errors" not in answer, answer
    checks = answer["data"]["checks"]
    assert checks["id"] == NS + "stg_orders" and checks["checks"]
    assert all(c["checkType"] == "dbt" and c["latest"]["result"] in ("PASS", "FAIL") for c in checks["checks"])
    assert checks["status"] == ("FAIL" if any(c["latest"]["result"] == "FAIL" for c in checks["checks"]) else "PASS")
