"""The ingest routes answered outside FastAPI's stack answer exactly as through it."""

from __future__ import annotations

import asyncio
import json
import copy
import uuid

import httpx
import pytest

from lineage._server import create_app
from lineage._server.direct import DIRECT, LineageAPI

from conftest import food_delivery, make_settings


def run_event() -> dict:
    event = copy.deepcopy(next(e for e in food_delivery() if e.get("outputs")))
    event["run"]["runId"] = str(uuid.uuid4())
    return event


def answers(app: LineageAPI, direct: bool, requests: list[tuple[str, str, dict]]) -> list[tuple[int, dict, str]]:
    """(status, JSON body, x-request-id) of each request, with the direct routes on or off."""
    if not direct:
        app.direct = {}

    async def go() -> list[tuple[int, dict, str]]:
        out = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            for method, path, kwargs in requests:
                response = await client.request(method, path, **kwargs)
                body = response.json() if response.headers.get("content-type", "").startswith("application/json") \
                    else {}
                out.append((response.status_code, body, response.headers.get("x-request-id", "")))
        return out
    return asyncio.run(go())


def test_both_ingest_routes_are_direct(tmp_path):
    app = create_app(make_settings("embedded", tmp_path))
    try:
        assert set(app.direct) == set(DIRECT)
    finally:
        app.state.lineage.close()


def cases(token: str) -> list[tuple[str, str, dict]]:
    good, auth = run_event(), {"Authorization": f"Bearer {token}"}
    bad = {**run_event(), "eventTime": "yesterday"}
    return [
        ("POST", "/api/v1/lineage", {"json": good, "headers": {**auth, "X-Request-Id": "r-1"}}),
        ("POST", "/api/v1/lineage", {"json": good, "headers": auth}),                       # duplicate
        ("POST", "/api/v1/lineage", {"json": bad, "headers": auth}),                        # 400 naming eventTime
        ("POST", "/api/v1/lineage", {"json": good}),                                        # 401
        ("POST", "/api/v1/lineage", {"json": good, "headers": {"Authorization": "Bearer nope"}}),   # 403
        ("POST", "/api/v1/lineage", {"content": b"{}", "headers": {**auth, "Content-Type": "text/plain"}}),  # 415
        ("POST", "/api/v1/lineage", {"json": [good], "headers": auth}),                     # an array: 400
        ("POST", "/api/v1/lineage?ack=never", {"json": run_event(), "headers": auth}),      # 400 naming ack
        ("POST", "/api/v1/lineage/batch", {"json": [run_event(), bad, 7], "headers": {**auth, "X-Request-Id": "r-2"}}),
        ("GET", "/api/v1/lineage", {}),                                                     # not direct: 405
        ("POST", "/api/v1/lineage/", {"json": good, "headers": auth}),                      # not direct either
        ("POST", "/graphql", {"json": {"query": "{ hasLineage search(prefix: \"o\") { __typename } }"}, "headers": auth}),
        ("POST", "/graphql", {"json": {"query": "{ hasLineage }"}}),                            # protected read: 401
        ("POST", "/graphql", {"json": {"query": "{ datasets( }"}, "headers": auth}),        # a syntax error
        ("POST", "/graphql", {"json": {"query": "{ nope }"}, "headers": auth}),             # a validation error
        ("POST", "/graphql", {"content": b'{"query": "{ __typename }"}',
                              "headers": {**auth, "Content-Type": "text/plain"}}),          # 415
        ("POST", "/graphql", {"content": b'{"query": [1', "headers": {**auth, "Content-Type": "application/json"}}),
        ("POST", "/graphql", {"json": {"query": "{ __typename }", "variables": [1]}, "headers": auth}),
        ("GET", "/graphql?query=%7B__typename%7D", {"headers": auth}),                      # not direct
    ]


def test_direct_answers_equal_fastapi_answers(tmp_path):
    requests = cases("s3cret")
    via = {}
    for direct in (True, False):
        app = create_app(make_settings("embedded", tmp_path / str(direct), api_tokens="s3cret", protect_reads=True))
        try:
            via[direct] = answers(app, direct, requests)
            metrics = app.state.lineage.metrics.render().decode()
        finally:
            app.state.lineage.close()
        # the access log's counter names the route template, as for any route
        assert 'lineage_http_requests_total{method="POST",route="/api/v1/lineage",status="400"} 3.0' in metrics
        assert 'route="/api/v1/lineage/batch",status="200"' in metrics
    for (status, body, request_id), (status2, body2, request_id2) in zip(via[True], via[False]):
        assert (status, body) == (status2, body2)
        assert bool(request_id) == bool(request_id2)
    statuses = [status for status, _, _ in via[True]]
    assert statuses[:9] == [201, 201, 400, 401, 403, 415, 400, 400, 200]
    assert via[True][0][2] == "r-1" and via[True][8][2] == "r-2"
    assert via[True][2][1]["details"]["field"] == "eventTime"
    assert via[True][7][1]["details"]["field"] == "ack"
    assert via[True][8][1]["accepted"] == 1 and via[True][8][1]["failed"] == 2
    assert statuses[11:17] == [200, 401, 200, 200, 415, 400]
    assert via[True][11][1]["data"]["hasLineage"] is True and via[True][11][2]
    assert via[True][13][1]["errors"] and via[True][14][1]["errors"]


def test_an_unexpected_error_is_the_json_500(tmp_path, monkeypatch):
    app = create_app(make_settings("embedded", tmp_path))
    state = app.state.lineage

    async def broken(events):
        raise RuntimeError("the writer broke")
    monkeypatch.setattr(state.writer, "submit", broken)
    try:
        [(status, body, request_id)] = answers(app, True, [("POST", "/api/v1/lineage", {"json": run_event()})])
        assert status == 500 and body["error"] == "internal" and request_id
        assert 'lineage_backend_errors_total{operation="/api/v1/lineage"} 1.0' in state.metrics.render().decode()
    finally:
        state.close()


@pytest.mark.parametrize("path", ["/api/v1/lineage", "/api/v1/lineage/batch"])
def test_the_openapi_document_still_lists_the_route(tmp_path, path):
    app = create_app(make_settings("embedded", tmp_path))
    try:
        assert "post" in app.openapi()["paths"][path]
    finally:
        app.state.lineage.close()


@pytest.mark.parametrize("result", [
    {"data": {"name": "ünïcode \u2028", "count": 3, "ratio": 0.1, "ok": True, "none": None, "list": [1, "a"]}},
    {"data": {"big": 2**70}},             # past orjson's 64 bits: json.dumps writes it
    {"data": {"broken": "\ud800"}},       # an unpaired surrogate: json.dumps escapes it
])
def test_graphql_answers_are_the_json_values_json_dumps_writes(result):
    from lineage._gql import schema
    from lineage._server.graphql_route import BoundedGraphQLRouter

    written = BoundedGraphQLRouter(schema).encode_json(result)
    assert json.loads(written) == json.loads(json.dumps(result))
