"""The HTTP service against a real server on 127.0.0.1, on every backend."""

import gzip
import json
import threading
import time
import uuid

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

from conftest import conformance_files, food_delivery
from server_fixtures import gql, serve


@pytest.fixture
def server(settings, store):
    # `store` wipes the remote graph first; the server opens its own connections
    with serve(settings) as client:
        yield client


@pytest.fixture
def secured(settings_with, store):
    with serve(settings_with(api_tokens="s3cret,other")) as client:
        yield client


@pytest.fixture
def settings_with(backend_name, tmp_path):
    from conftest import make_settings
    return lambda **kw: make_settings(backend_name, tmp_path, **kw)


def test_the_openlineage_client_with_api_key_auth(secured):
    config = HttpConfig(url=str(secured.base_url).rstrip("/"), endpoint="api/v1/lineage",
                        auth=ApiKeyTokenProvider({"apiKey": "s3cret"}), compression="gzip")
    client = OpenLineageClient(transport=HttpTransport(config))
    run = Run(runId=str(uuid.uuid4()))
    job = Job(namespace="spark", name="aggregate_sales")
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(RunEvent(eventType=state, eventTime="2026-01-10T02:00:00Z", run=run, job=job,
                             inputs=[InputDataset("bronze", "sales")],
                             outputs=[OutputDataset("silver", "sales_aggregated")]))
    answer = gql(secured, '{ datasetLineage(datasetId: "silver/sales_aggregated") { upstreamDatasets { name } } }')
    assert answer["data"]["datasetLineage"]["upstreamDatasets"] == [{"name": "bronze/sales"}]
    stored = secured.get("/api/v1/events/lineage?limit=10").json()["events"]
    assert [e["event"]["eventType"] for e in stored] == ["COMPLETE", "START"]


def test_every_corpus_event_is_accepted_once(server):
    events = food_delivery() + [json.loads(p.read_text()) for p in conformance_files()]
    for event in events:
        response = server.post("/api/v1/lineage", json=event)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "created"
    again = server.post("/api/v1/lineage", json=events[0])
    assert again.status_code == 201 and again.json()["status"] == "duplicate"
    page = server.get("/api/v1/events/lineage", params={"limit": 30}).json()
    assert len(page["events"]) == 30 and page["next"]
    rest = server.get(page["next"]).json()
    assert len(rest["events"]) == len(events) - 30 and rest["next"] is None
    logged = page["events"][0]["event"]
    assert logged["run"]["facets"].pop("audit")["clientAddress"] == "127.0.0.1"  # the server's audit trail
    assert logged == events[-1]


def test_batch_keeps_good_events_and_reports_bad_ones(server):
    good = food_delivery()[:3]
    response = server.post("/api/v1/lineage/batch", json=[good[0], {"eventTime": "soon"}, good[1], 7, good[2], good[0]])
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "partial_success"
    assert (body["received"], body["accepted"], body["duplicates"], body["failed"]) == (6, 3, 1, 2)
    assert [(f["index"], f["retriable"]) for f in body["failed_events"]] == [(1, False), (3, False)]
    assert body["failed_events"][0]["reason"].startswith("run:")
    assert server.post("/api/v1/lineage/batch", json=good).json()["status"] == "success"


@pytest.mark.parametrize("body,headers,field", [
    (b"{not json", {}, "body"),
    (b"", {}, "body"),
    (json.dumps({"eventTime": "2024-01-01T00:00:00Z", "run": {"runId": "x"}, "job": {"namespace": "n", "name": "j"}}),
     {}, "run.runId"),
    (json.dumps([{"a": 1}]), {}, "$"),
    (b"\x1f\x8b garbage", {"Content-Encoding": "gzip"}, "body"),
])
def test_bad_input_is_a_400_naming_the_field(server, body, headers, field):
    response = server.post("/api/v1/lineage", content=body, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 400
    error = response.json()
    assert error["error"] == "invalid_event" and error["details"]["field"] == field
    assert error["message"].startswith(field)


def test_gzip_bodies_are_accepted(server):
    body = gzip.compress(json.dumps(food_delivery()[0]).encode())
    response = server.post("/api/v1/lineage", content=body,
                           headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 201


def test_bodies_over_the_limit_get_413(settings_with, store):
    with serve(settings_with(max_body_bytes=8000)) as client:
        big = json.loads(next(p for p in conformance_files() if p.name == "event_large.json").read_text())
        response = client.post("/api/v1/lineage", json=big)
        assert response.status_code == 413 and "LINEAGE_MAX_BODY_BYTES" in response.json()["message"]
        bomb = gzip.compress(b"[" + b" " * 100_000 + b"]")
        response = client.post("/api/v1/lineage/batch", content=bomb,
                               headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        assert response.status_code == 413
        assert client.post("/api/v1/lineage", json=food_delivery()[0]).status_code == 201


def test_tokens_guard_writes_with_401_and_403(secured):
    event = food_delivery()[0]
    missing = secured.post("/api/v1/lineage", json=event)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert secured.post("/api/v1/lineage", json=event, headers={"Authorization": "Bearer nope"}).status_code == 403
    assert secured.post("/api/v1/lineage", json=event, headers={"Authorization": "Bearer other"}).status_code == 201
    assert secured.get("/api/v1/events/lineage").status_code == 200      # reads stay open
    mutation = 'mutation { addDataset(datasetId: "bronze/x", layer: "bronze") }'
    denied = gql(secured, mutation)
    assert denied["errors"][0]["extensions"]["code"] == "UNAUTHORIZED"
    assert gql(secured, mutation, token="s3cret")["data"]["addDataset"]["accepted"] == 1


def test_protected_reads(settings_with, store):
    with serve(settings_with(api_tokens="t", protect_reads=True)) as client:
        assert client.get("/api/v1/events/lineage").status_code == 401
        assert client.post("/graphql", json={"query": "{ orphanedDatasets }"}).status_code == 401
        assert gql(client, "{ orphanedDatasets }", token="t")["data"] == {"orphanedDatasets": []}
        assert client.get("/healthz").status_code == 200


def test_concurrent_single_events_all_land(server):
    events = food_delivery()
    statuses = []

    def post(event):
        statuses.append(server.post("/api/v1/lineage", json=event).status_code)
    threads = [threading.Thread(target=post, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * len(events)
    answer = gql(server, '{ datasetLineage(datasetId: "food_delivery/public.orders_7_days", depth: 1) '
                         '{ upstreamCount downstreamCount } }')
    assert answer["data"]["datasetLineage"] == {"upstreamCount": 4, "downstreamCount": 1}


def test_operations_endpoints(server):
    assert server.get("/healthz").json() == {"status": "ok"}
    assert server.get("/readyz").json() == {"status": "ready"}
    server.post("/api/v1/lineage", json=food_delivery()[0])
    server.post("/api/v1/lineage", json={"eventTime": "x"})
    gql(server, '{ search(prefix: "food") { id } }')
    text = server.get("/metrics").text
    assert 'lineage_events_ingested_total{kind="RunEvent",outcome="accepted"} 1.0' in text
    assert 'lineage_events_rejected_total{field="run"} 1.0' in text
    assert 'lineage_graphql_resolver_seconds_count{field="search"} 1.0' in text
    assert 'lineage_graph_vertices{label="Dataset"} 2.0' in text
    assert "lineage_ingest_seconds_bucket" in text and "lineage_backend_errors_total" in text


def test_unknown_routes_and_bad_parameters_use_the_error_shape(server):
    response = server.get("/api/v1/events/lineage", params={"limit": "many"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert server.get("/api/v1/events/lineage", params={"limit": 0}).status_code == 400


def test_logged_acknowledgements_where_the_backend_has_an_inbox(settings_with, store, backend_name):
    """ack=logged: 202 on a Gremlin Server, then the graph follows; the embedded file
    applies before it answers either way."""
    event = food_delivery()[0]
    with serve(settings_with(ingest_ack="logged")) as client:
        response = client.post("/api/v1/lineage", json=event)
        if backend_name == "janusgraph":
            assert response.status_code == 202 and response.json()["applied"] is False, response.text
            deadline = time.monotonic() + 60
            while client.get("/api/v1/events/pending").json()["pending"]:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        else:
            assert response.status_code == 201 and response.json()["status"] == "created"
        assert client.get("/api/v1/events/pending").json() == {"pending": 0}
        again = client.post("/api/v1/lineage", params={"ack": "applied"}, json=event)
        assert again.status_code == 201 and again.json()["status"] == "duplicate"
    assert store.event_count() == 1
    assert store.g.V().has("run_id", event["run"]["runId"]).has_label("Run").count().next() == 1
