"""Hostile but fair clients: each case once crashed, froze or 500ed the server.

Every test runs against a real server on 127.0.0.1 (embedded store) and ends
by checking the server still answers.
"""

import copy
import json
import sqlite3
import threading
import uuid

import pytest

from conftest import food_delivery, make_settings
from lineage import parse_event
from lineage._sql import resolve_sql, shared_parser
from lineage.limits import deadline
from server_fixtures import gql, serve

JSON = {"Content-Type": "application/json"}
CRASHING_SQL = "INSERT INTO t SELECT a FROM b WHERE " + " OR ".join(["c=1"] * 20000)   # 140 KB


def event_e(**changes) -> dict:
    """The food-delivery event with outputs and a SQL facet, under a fresh run id."""
    event = copy.deepcopy(next(e for e in food_delivery() if e.get("outputs") and "sql" in e["job"].get("facets", {})))
    event["run"]["runId"] = str(uuid.uuid4())
    event.update(changes)
    return event


def raw_event(replace: str, raw: str, **changes) -> bytes:
    """Event E as JSON text with the string ``replace`` swapped for raw JSON text
    (numbers json.dumps cannot write: NaN, 1e400, 5,000 digits)."""
    return json.dumps(event_e(**changes)).replace(json.dumps(replace), raw).encode()


@pytest.fixture
def server(tmp_path):
    with serve(make_settings("embedded", tmp_path)) as client:
        yield client


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One server for the tests that only add events of their own."""
    with serve(make_settings("embedded", tmp_path_factory.mktemp("shared"))) as client:
        yield client


def alive(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def run_of(client, run_id: str) -> dict:
    answer = gql(client, "query($id: String!) { run(runId: $id) { runId sqlParseError lineageTruncated } }",
                 id=run_id)
    assert "errors" not in answer, answer
    return answer["data"]["run"]


# -- the SQL facet that killed the process --------------------------------------

def test_the_crashing_sql_facet_is_parsed_in_a_worker_that_dies_instead(tmp_path):
    """Exactly as the server does it: parse_event, then resolve_sql with the shared
    parser of the server's settings, here with the size cap raised past the crash."""
    settings = make_settings("embedded", tmp_path, sql_max_bytes=1_000_000)
    event = parse_event(event_e(inputs=[], job={**event_e()["job"], "facets": {"sql": {"query": CRASHING_SQL}}}))
    parser = shared_parser(settings["LINEAGE_SQL_MAX_BYTES"], settings["LINEAGE_SQL_TIMEOUT"])
    resolved = resolve_sql(event, parser)
    assert resolved.sql_inputs == ()
    assert "crashed" in resolved.sql_error and "SIGSEGV" in resolved.sql_error
    # the worker is replaced: the next query parses
    ok = parse_event(event_e(inputs=[], job={**event_e()["job"], "facets": {"sql": {
        "query": "INSERT INTO menus SELECT a FROM b JOIN c ON b.x = c.x"}}}))
    assert {r.name for r in resolve_sql(ok, parser).sql_inputs} == {"public.b", "public.c"}


@pytest.mark.parametrize("max_bytes,reason", [(65_536, "not parsed"), (1_000_000, "crashed")])
def test_the_crashing_sql_facet_is_accepted_without_inputs_and_the_run_says_why(tmp_path, max_bytes, reason):
    with serve(make_settings("embedded", tmp_path, sql_max_bytes=max_bytes)) as client:
        event = event_e(inputs=[])
        event["job"]["facets"]["sql"]["query"] = CRASHING_SQL
        response = client.post("/api/v1/lineage", json=event)
        assert response.status_code == 201, response.text
        alive(client)
        assert reason in run_of(client, event["run"]["runId"])["sqlParseError"]
        # the same server still derives inputs from SQL it can read
        fine = event_e(inputs=[])
        assert client.post("/api/v1/lineage", json=fine).status_code == 201
        assert run_of(client, fine["run"]["runId"])["sqlParseError"] is None
        lineage = gql(client, '{ datasetLineage(datasetId: "food_delivery/public.menus") '
                              '{ upstreamDatasets { id } } }')
        assert lineage["data"]["datasetLineage"]["upstreamDatasets"]


def test_a_slow_sql_facet_is_stopped_at_the_time_limit(tmp_path):
    parser = shared_parser(1_000_000, 0.2)
    union = "INSERT INTO t " + " UNION ALL ".join(f"SELECT a FROM b{i}" for i in range(3000))
    result = parser.parse(union)
    assert result.inputs == () and "LINEAGE_SQL_TIMEOUT" in result.error
    assert parser.parse("INSERT INTO t SELECT a FROM b").inputs == ((None, None, "b"),)


# -- malformed values are 400s naming the field ------------------------------------

BAD = [
    (raw_event("X", "9" * 5000, producer="https://p", eventTime="X"), "eventTime"),
    (raw_event("X", "[" * 1000 + "]" * 1000, eventTime="2020-01-01T00:00:00Z",
               run={"runId": str(uuid.uuid4()), "facets": {"deep": "X"}}), "run.facets.deep"),
    (raw_event("X", "NaN", run={"runId": str(uuid.uuid4()), "facets": {"n": {"v": "X"}}}), "run.facets.n.v"),
    (raw_event("X", "Infinity", run={"runId": str(uuid.uuid4()), "facets": {"n": "X"}}), "run.facets.n"),
    (raw_event("X", "-Infinity", inputs=[{"namespace": "a", "name": "b", "facets": {"x": "X"}}]),
     "inputs[0].facets.x"),
    (raw_event("X", "1e400", run={"runId": str(uuid.uuid4()), "facets": {"n": "X"}}), "run.facets.n"),
    (raw_event("X", "1" * 5000, run={"runId": str(uuid.uuid4()), "facets": {"n": "X"}}), "run.facets.n"),
] + [(json.dumps(event_e(eventTime=t)).encode(), "eventTime") for t in (
    "2020-01-01T00:00:00 Z", "2020-01-01T00:00:00Z\n", "2020-01-01T00:00:00.Z", "2020-01-01T00:00:00+00:00:30",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2020-13-01T00:00:00Z", "2020-01-01t25:00:00Z",
    "2020-01-01", "\uff12020-01-01T00:00:00Z", 1577836800, None,
)] + [(json.dumps(event_e(producer=p)).encode(), "producer") for p in (
    "http://[", 0, False, [], {}, "", "not a uri", "https://exa mple.com",
)] + [
    (json.dumps(event_e(schemaURL="http://[")).encode(), "schemaURL"),
    (json.dumps({k: v for k, v in event_e().items() if k != "run"}).encode(), "run"),
    (json.dumps({**{k: v for k, v in event_e().items() if k != "run"},
                 "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}).encode(), "run"),
    (json.dumps(event_e(job={"namespace": "n" * 2000, "name": "j"})).encode(), "job.namespace"),
    # SQLite's JSON functions end text at a NUL, so "\u0000/a" and "\u0000/b" would be one name.
    (json.dumps(event_e(job={"namespace": "\u0000", "name": "j"})).encode(), "job.namespace"),
    (json.dumps(event_e(inputs=[{"namespace": "n", "name": "a\u0000b"}])).encode(), "inputs[0].name"),
    (json.dumps(event_e(run={"runId": str(uuid.uuid4()), "facets": {"x\u0000": {}}})).encode(), "run.facets.x\\u0000"),
    (json.dumps(event_e(inputs=[{"namespace": "n", "name": f"t{i}"} for i in range(1001)])).encode(), "inputs"),
]


@pytest.mark.parametrize("body,field", BAD, ids=[f"{i}-{f}" for i, (_, f) in enumerate(BAD)])
def test_malformed_values_are_400s_naming_the_field(shared, body, field):
    server = shared
    response = server.post("/api/v1/lineage", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error"] == "invalid_event" and error["details"]["field"] == field, error
    assert error["message"].startswith(field)
    alive(server)


def test_a_batch_keeps_its_good_events_whatever_the_bad_ones_hold(server):
    good = [event_e(), event_e(), event_e()]
    bad = [body for body, _ in BAD]
    parts = [json.dumps(good[0]), *(b.decode() for b in bad), json.dumps(good[1]),
             "[" * 5000 + "]" * 5000, json.dumps(good[2])]
    response = server.post("/api/v1/lineage/batch", content="[" + ",".join(parts) + "]", headers=JSON)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["status"] == "partial_success" and summary["accepted"] == 3
    assert summary["failed"] == len(bad) + 1 and all(f["field"] for f in summary["failed_events"])
    assert [f["field"] for f in summary["failed_events"][:len(bad)]] == [f for _, f in BAD]
    for event in good:   # durable: sending them again finds them logged
        assert server.post("/api/v1/lineage", json=event).json()["status"] == "duplicate"


def test_a_stored_poison_event_cannot_break_the_listing(server, tmp_path):
    assert server.post("/api/v1/lineage", json=event_e()).status_code == 201
    # what an older version let in: NaN in a stored payload
    con = sqlite3.connect(tmp_path / "lineage.db")
    con.execute("INSERT INTO lineage_events (fingerprint, kind, event_time, received_at, payload) "
                "VALUES ('poison', 'RunEvent', '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00Z', "
                "'{\"run\": {\"facets\": {\"x\": NaN}}}')")
    con.commit()
    con.close()
    page = server.get("/api/v1/events/lineage").json()["events"]
    assert page[0]["event"] is None and "NaN" in page[0]["unreadable"]
    assert page[1]["event"]["eventType"]


# -- auth and content types ------------------------------------------------------

@pytest.fixture
def secured(tmp_path):
    with serve(make_settings("embedded", tmp_path, api_tokens="s3cret", protect_reads=True)) as client:
        yield client


@pytest.mark.parametrize("header,status", [
    ("Bearer tökén".encode("utf-8"), 401), ("Bearer tökén".encode("latin-1"), 401), (b"Bearer \x01\x02", 401),
    (b"Bearer", 401), (b"Basic czNjcmV0", 401), (b"Bearer s3cret extra", 401), (b"Bearer wrong", 403),
])
def test_malformed_authorization_is_401_or_403(secured, header, status):
    response = secured.post("/api/v1/lineage", json=event_e(), headers={"Authorization": header})
    assert response.status_code == status and response.json()["error"] in ("unauthorized", "forbidden")
    assert secured.post("/api/v1/lineage", json=event_e(), headers={"Authorization": "Bearer s3cret"}
                        ).status_code == 201


def test_metrics_are_a_protected_read(secured):
    assert secured.get("/metrics").status_code == 401
    response = secured.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200 and "lineage_events_ingested_total" in response.text


@pytest.mark.parametrize("path", ["/api/v1/lineage", "/api/v1/lineage/batch", "/graphql"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_writes_not_declared_json_are_415(shared, path, content_type):
    server = shared
    before = server.get("/api/v1/events/lineage").json()["events"]
    body = json.dumps([event_e()] if path.endswith("batch") else event_e() if "lineage" in path
                      else {"query": 'mutation { addDataset(datasetId: "x") }'})
    headers = {"Content-Type": content_type} if content_type else {}
    response = server.post(path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "unsupported_media_type"
    assert server.get("/api/v1/events/lineage").json()["events"] == before


def test_the_openlineage_gzip_form_and_json_suffixes_are_accepted(shared):
    server = shared
    import gzip
    for headers, body in (({"Content-Type": "application/json", "Content-Encoding": "gzip"},
                           gzip.compress(json.dumps(event_e()).encode())),
                          ({"Content-Type": "application/vnd.openlineage+json; charset=utf-8"},
                           json.dumps(event_e()).encode())):
        assert server.post("/api/v1/lineage", content=body, headers=headers).status_code == 201


# -- wide events -------------------------------------------------------------------

def test_a_wide_event_stores_bounded_lineage_and_keeps_the_full_lists(tmp_path):
    # the rule at a small bound (the default, 2,000, costs seconds to write on a busy machine)
    with serve(make_settings("embedded", tmp_path, max_derived_edges=300)) as server:
        event = event_e(inputs=[{"namespace": "wide", "name": f"in_{i:03d}"} for i in range(60)],
                        outputs=[{"namespace": "wide", "name": f"out_{i:03d}"} for i in range(60)])
        assert server.post("/api/v1/lineage", json=event).status_code == 201
        truncated = json.loads(run_of(server, event["run"]["runId"])["lineageTruncated"])
        assert len(truncated["inputs"]) == 60 and len(truncated["outputs"]) == 60
        assert "3600 lineage pairs" in truncated["rule"] and "first 5 inputs" in truncated["rule"]
        up = gql(server, '{ datasetLineage(datasetId: "wide/out_000", depth: 1) { upstreamDatasets { id } } }')
        assert [d["id"] for d in up["data"]["datasetLineage"]["upstreamDatasets"]] == \
            [f"wide/in_{i:03d}" for i in range(5)]                        # 300 // 60, the first by id
        consumers = gql(server, '{ datasetLineage(datasetId: "wide/in_059", depth: 1) '
                                '{ consumingPipelines { id } } }')
        assert consumers["data"]["datasetLineage"]["consumingPipelines"]  # CONSUMES kept for every input


# -- GraphQL budget ----------------------------------------------------------------

def test_a_fragment_chain_is_refused_without_exponential_work(shared):
    server = shared
    frags = ["fragment F0 on Query { hasLineage }"] + [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 40)]
    answer = gql(server, "query Q { ...F39 }\n" + "\n".join(frags))
    assert answer["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    alive(server)


@pytest.mark.parametrize("field,count", [("orphanedDatasets", 1000), ("bronzeToModelPaths", 1600),
                                         ("unreproducibleModels { modelId }", 600)])
def test_aliases_of_traversals_are_refused_by_cost(shared, field, count):
    server = shared
    answer = gql(server, "{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }")
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY" and error["extensions"]["cost"] == 10 * count
    assert "errors" not in gql(server, "{ " + " ".join(f"a{i}: orphanedDatasets" for i in range(20)) + " }")


def test_a_request_past_its_time_limit_is_stopped(tmp_path):
    with serve(make_settings("embedded", tmp_path, query_timeout=0.000001)) as client:
        client.post("/api/v1/lineage/batch", json=food_delivery())
        answer = gql(client, '{ impactAnalysis(datasetId: "food_delivery/public.orders") { totalAffected } }')
        assert answer["errors"][0]["extensions"]["code"] == "TIMEOUT"
        assert "LINEAGE_QUERY_TIMEOUT" in answer["errors"][0]["message"]


def test_a_cancelled_budget_interrupts_a_running_statement(tmp_path):
    """What a client disconnect does: the reader's SQLite statement stops mid-run."""
    from lineage._server.readers import Readers
    readers = Readers(make_settings("embedded", tmp_path))
    con = readers.event_log().con
    budget = deadline.Budget(60)
    threading.Timer(0.3, budget.cancel).start()
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    with deadline.bound(budget), pytest.raises(sqlite3.OperationalError, match="interrupted"):
        con.execute(endless).fetchone()
    assert con.execute("SELECT 1").fetchone() == (1,)   # outside the budget the connection works
    readers.close()
