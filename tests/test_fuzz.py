"""Property-based: corpus events mutated at every JSON path, posted to a running server.

Whatever a mutation does (delete a member, give it the wrong type, a huge or
non-finite number, deep nesting, odd text, odd keys), the single endpoint
answers 201 or a 400 naming a field, the connection stays up, and the batch
endpoint keeps the good events beside the mutated one, durably.
"""

import copy
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import conformance_files, food_delivery, make_settings
from lineage import InvalidEvent
from lineage._events import parse_event
from lineage.limits import LIMITS, check_tree, decode
from lineage.limits.jsonbounds import Refused, plainly_within
from server_fixtures import serve

CORPUS = food_delivery() + [json.loads(p.read_text()) for p in conformance_files()]
MARK = "\u2603raw\u2603"
RAW = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 5000, "-" + "1" * 101, "0." + "1" * 200,
       "[" * 2000 + "]" * 2000, '{"a":' * 100 + "1" + "}" * 100]
ODD_TEXT = ["", " ", "\u0000", "\ud800", "\udfff\ud800", "x" * 1_000_001, "\u202e\u0645", "\U0001f577" * 100,
            "2020-01-01T00:00:00 Z", "2020-01-01T00:00:00Z\n", "0001-01-01T00:00:00+01:00", "http://[", "../..",
            "'; DROP TABLE lineage_events; --", "%s%s%n", "null"]
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40), st.sampled_from(ODD_TEXT),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
MUTATIONS = st.one_of(
    st.tuples(st.just("delete"), st.none()),
    st.tuples(st.just("set"), VALUES),
    st.tuples(st.just("raw"), st.sampled_from(RAW)),
    st.tuples(st.just("nest"), st.integers(min_value=1, max_value=80)),
    st.tuples(st.just("rename"), st.sampled_from(ODD_TEXT[:6] + ["run", "producer", "eventTime"])),
)


def json_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += json_paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += json_paths(child, prefix + (index,))
    return found


def fresh(event: dict) -> dict:
    event = copy.deepcopy(event)
    if isinstance(event.get("run"), dict):
        event["run"]["runId"] = str(uuid.uuid4())
    return event


@st.composite
def mutated_events(draw) -> str:
    event = fresh(draw(st.sampled_from(CORPUS)))
    path = draw(st.sampled_from(json_paths(event)))
    kind, arg = draw(MUTATIONS)
    if not path:   # the event itself
        whole = {"delete": "{}", "set": json.dumps(arg), "raw": arg, "rename": json.dumps(event)}
        return "[" * arg + json.dumps(event) + "]" * arg if kind == "nest" else whole[kind]
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if kind == "delete":
        del parent[last]
    elif kind == "set":
        parent[last] = arg
    elif kind == "raw":
        parent[last] = MARK
    elif kind == "nest":
        for _ in range(arg):
            parent[last] = [parent[last]]
    elif kind == "rename" and isinstance(parent, dict):
        parent[arg] = parent.pop(last)
    text = json.dumps(event)
    return text.replace(json.dumps(MARK), arg) if kind == "raw" else text


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(make_settings("embedded", tmp_path_factory.mktemp("fuzz"))) as client:
        yield client


FUZZ = settings(max_examples=120, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_answered(response) -> None:
    assert response.status_code in (201, 400), response.text
    if response.status_code == 400:
        error = response.json()
        assert error["error"] == "invalid_event"
        field = error["details"]["field"]
        assert isinstance(field, str) and field and error["message"].startswith(field)


@FUZZ
@given(body=mutated_events())
def test_a_mutated_event_is_accepted_or_refused_naming_a_field(server, body):
    assert_answered(server.post("/api/v1/lineage", content=body.encode("utf-8", "surrogatepass"),
                                headers={"Content-Type": "application/json"}))


@settings(FUZZ, max_examples=60)
@given(body=mutated_events(), good=st.lists(st.sampled_from(CORPUS[:26]), min_size=2, max_size=2))
def test_a_batch_keeps_its_good_events_beside_a_mutated_one(server, body, good):
    first, second = fresh(good[0]), fresh(good[1])
    batch = "[" + ",".join([json.dumps(first), body, json.dumps(second)]) + "]"
    response = server.post("/api/v1/lineage/batch", content=batch.encode("utf-8", "surrogatepass"),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["received"] == 3
    assert [f["index"] for f in summary["failed_events"]] in ([], [1])
    assert all(f["field"] for f in summary["failed_events"])
    for event in (first, second):   # durable: the log already holds them
        again = server.post("/api/v1/lineage", json=event)
        assert again.status_code == 201 and again.json()["status"] == "duplicate"
    assert server.get("/api/v1/events/lineage", params={"limit": 5}).status_code == 200


def _verdict(check, *args) -> str | None:
    try:
        check(*args)
    except InvalidEvent as exc:
        return exc.field
    return None


@settings(FUZZ, max_examples=200)
@given(body=mutated_events())
def test_the_cheap_bounds_test_never_passes_what_the_full_walk_refuses(body):
    try:
        raw = decode(body.encode("utf-8", "surrogatepass"))
    except InvalidEvent:
        return
    if not isinstance(raw, dict):
        return
    try:
        text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        return
    if plainly_within(raw, text):
        assert _verdict(check_tree, raw) is None


class _Text(str):
    pass


@pytest.mark.parametrize("value", [
    ("a", "tuple"), _Text("subclass"), 10 ** 120, -(10 ** 120), float("nan"), float("inf"), "nul\u0000",
    "\ud800", {"k\u0000": 1}, {1: "int key"}, {"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
    list(range(LIMITS.max_items + 1)), "x" * (LIMITS.max_string_chars + 1), Refused("is refused"),
])
def test_an_event_the_walk_refuses_is_refused_by_parse_event_at_the_same_field(value):
    raw = fresh(CORPUS[0])
    raw["run"]["facets"]["odd"] = value
    deep = raw["run"]["facets"]
    for _ in range(60 if isinstance(value, dict) and "deep" in value else 0):
        deep["odd"] = {"odd": deep["odd"]}
        deep = deep["odd"]
    expected = _verdict(check_tree, raw)
    assert expected is not None
    assert _verdict(parse_event, raw) == expected
