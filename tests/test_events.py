import json

import pytest

from conftest import conformance_files, food_delivery
from lineage import InvalidEvent, parse_event
from lineage._events import DATASET_EVENT, JOB_EVENT, RUN_EVENT, decode_events, normalize_time

RUN_ID = "43d7db3b-8984-4cda-b237-8c6919b36670"


def minimal(**extra):
    event = {"eventTime": "2024-05-01T12:00:00Z", "producer": "https://example.com/p",
             "run": {"runId": RUN_ID}, "job": {"namespace": "ns", "name": "job"}}
    event.update(extra)
    return event


@pytest.mark.parametrize("path", conformance_files(), ids=lambda p: p.name)
def test_every_conformance_event_parses(path):
    event = parse_event(json.loads(path.read_text()))
    assert event.kind in (RUN_EVENT, DATASET_EVENT, JOB_EVENT)
    assert event.event_time.endswith("Z") and len(event.event_time) == 27


def test_kinds_are_told_apart_by_schema_url_and_shape():
    by_name = {p.name: parse_event(json.loads(p.read_text())) for p in conformance_files()}
    assert by_name["event_dataset_event.json"].kind == DATASET_EVENT
    assert by_name["event_job_event.json"].kind == JOB_EVENT       # has eventType, yet no run
    assert by_name["event_required_only.json"].event_type is None  # no eventType at all
    assert by_name["event_without_schema_url.json"].kind == RUN_EVENT
    assert all(parse_event(e).kind == RUN_EVENT for e in food_delivery())


@pytest.mark.parametrize("raw,expected", [
    ("2020-12-28T19:51:01.641Z", "2020-12-28T19:51:01.641000Z"),
    ("2020-12-28T19:51:01.641499123Z", "2020-12-28T19:51:01.641499Z"),   # nanoseconds
    ("2020-12-28T19:51:01.641499", "2020-12-28T19:51:01.641499Z"),       # no zone: UTC
    ("2020-12-28T19:52:00.001+10:00", "2020-12-28T09:52:00.001000Z"),
    ("2020-12-28T19:52:00", "2020-12-28T19:52:00.000000Z"),
])
def test_times_normalise_to_utc_microseconds(raw, expected):
    assert normalize_time(raw) == expected


def test_unicode_names_survive():
    event = parse_event(json.loads((conformance_files()[0].parent / "event_unicode.json").read_text()))
    assert event.job_name == "myjob.buggy_task\U0001f577"


@pytest.mark.parametrize("event,field", [
    ([], "$"),
    (minimal(run={}), "run.runId"),
    (minimal(run={"runId": "not-a-uuid"}), "run.runId"),
    (minimal(job={"namespace": "ns"}), "job.name"),
    (minimal(job=None), "job"),
    (minimal(eventTime="yesterday"), "eventTime"),
    (minimal(eventTime=None), "eventTime"),
    (minimal(eventType="DONE"), "eventType"),
    (minimal(inputs={"namespace": "a"}), "inputs"),
    (minimal(inputs=[{"namespace": "a", "name": "b"}, {"namespace": "a"}]), "inputs[1].name"),
    (minimal(outputs=[{"namespace": "a", "name": "b", "facets": []}]), "outputs[0].facets"),
    ({"eventTime": "2024-05-01T12:00:00Z", "producer": "p"}, "run"),
    ({"eventTime": "2024-05-01T12:00:00Z", "dataset": {"name": "x"}}, "dataset.namespace"),
    (minimal(job={"namespace": "ns", "name": "bad\ud800"}), "job.name"),
])
def test_malformed_events_name_the_field_and_the_fix(event, field):
    with pytest.raises(InvalidEvent) as err:
        parse_event(event)
    assert err.value.field == field
    assert err.value.status == 400
    assert err.value.message.startswith(field)
    assert len(err.value.message) > len(field) + 20


def test_event_type_is_case_insensitive_and_optional():
    assert parse_event(minimal(eventType="complete")).event_type == "COMPLETE"
    assert parse_event(minimal()).event_type is None


def test_fingerprint_ignores_key_order_only():
    a = minimal(eventType="START")
    b = dict(reversed(list(a.items())))
    assert parse_event(a).fingerprint == parse_event(b).fingerprint
    assert parse_event(a).fingerprint != parse_event(minimal(eventType="COMPLETE")).fingerprint


def test_decode_accepts_array_object_and_ndjson():
    events = food_delivery()[:3]
    assert decode_events(json.dumps(events)) == events
    assert decode_events(json.dumps(events[0])) == [events[0]]
    assert decode_events("\n".join(json.dumps(e) for e in events) + "\n") == events
    with pytest.raises(InvalidEvent) as err:
        decode_events('{"a": 1}\n{broken')
    assert err.value.field == "line 2"
