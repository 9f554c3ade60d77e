"""parse_event checks what the openlineage client's classes check without building
them: every event it accepts, those classes accept too (a newer client that checks
more makes this fail, and parse_event must then check it as well)."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from openlineage.client import event_v2 as ol

from lineage import InvalidEvent
from lineage._events import DATASET_EVENT, JOB_EVENT, Event, parse_event

from conftest import conformance_files, food_delivery


def build(event: Event) -> object:
    """The openlineage client's own event for an accepted event (raises what it refuses)."""
    if event.kind == DATASET_EVENT:
        return ol.DatasetEvent(eventTime=event.event_time, producer=event.producer,
                               dataset=ol.StaticDataset(namespace=event.dataset.namespace, name=event.dataset.name))
    job = ol.Job(namespace=event.job_namespace, name=event.job_name)
    if event.kind == JOB_EVENT:
        return ol.JobEvent(eventTime=event.event_time, producer=event.producer, job=job)
    return ol.RunEvent(eventType=ol.RunState(event.event_type) if event.event_type else None,
                       eventTime=event.event_time, producer=event.producer,
                       run=ol.Run(runId=event.raw["run"]["runId"]), job=job)


def corpus() -> list[dict]:
    events = list(food_delivery())
    for path in conformance_files():
        value = json.loads(path.read_text())
        events.extend(value if isinstance(value, list) else [value])
    return events


def variants() -> list[dict]:
    """Run events with the values the client's checks look at, in odd but valid forms and not."""
    base = next(e for e in food_delivery() if "run" in e)
    out = []
    for run_id in (str(uuid.uuid4()).upper(), "{" + str(uuid.uuid4()) + "}", "urn:uuid:" + str(uuid.uuid4()),
                   uuid.uuid4().hex, "not-a-uuid", "0" * 31, str(uuid.uuid4()) + " "):
        out.append({**copy.deepcopy(base), "run": {"runId": run_id}})
    for when in ("2024-05-01T12:00:00Z", "2024-05-01t12:00:00.123456789+05:30", "2024-05-01T12:00:60Z",
                 "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2024-05-01T12:00:00", "2024-05-01",
                 "2024-13-01T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01 12:00:00Z"):
        out.append({**copy.deepcopy(base), "eventTime": when})
    for producer in ("https://example.com/p?q=1#f", "urn:producer:x", "http://[::1]/x", "http://[", "a:b",
                     "custom+scheme://host:99999/path;params", "no-scheme", "http://x y"):
        out.append({**copy.deepcopy(base), "producer": producer})
    for event_type in ("start", "Complete", "OTHER", "DONE", None):
        out.append({**copy.deepcopy(base), "eventType": event_type})
    return out


@pytest.mark.parametrize("raw", corpus() + variants())
def test_the_client_classes_accept_what_parse_event_accepts(raw):
    try:
        event = parse_event(raw)
    except InvalidEvent:
        return   # refused here: nothing to compare
    build(event)
