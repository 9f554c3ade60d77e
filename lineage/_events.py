"""Parsing and validating OpenLineage events.

:func:`parse_event` accepts the three event kinds of the spec (RunEvent,
DatasetEvent, JobEvent), told apart by ``schemaURL`` where it names one and
by shape otherwise. It builds the ``openlineage.client`` classes to validate
what they check (run ids are UUIDs, event types are known, times parse) and
returns a normalised, immutable :class:`Event`. Any defect raises
:class:`~lineage.InvalidEvent` naming the JSON path of the field at fault.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from openlineage.client import event_v2 as ol

from ._errors import InvalidEvent

RUN_EVENT, DATASET_EVENT, JOB_EVENT = "RunEvent", "DatasetEvent", "JobEvent"
_KIND_IN_URL = re.compile(r"(RunEvent|DatasetEvent|JobEvent)\s*$")
_FRACTION = re.compile(r"(\.\d{1,6})\d*")


@dataclass(frozen=True)
class DatasetRef:
    namespace: str
    name: str
    facets: Mapping[str, Any] = field(default_factory=dict)
    io_facets: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One accepted OpenLineage event, normalised."""

    kind: str
    event_time: str                  # UTC, ISO 8601 with microseconds and 'Z'
    event_type: str | None           # START, RUNNING, COMPLETE, ABORT, FAIL, OTHER or None
    producer: str
    run_id: str | None = None
    run_facets: Mapping[str, Any] = field(default_factory=dict)
    job_namespace: str | None = None
    job_name: str | None = None
    job_facets: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[DatasetRef, ...] = ()
    outputs: tuple[DatasetRef, ...] = ()
    dataset: DatasetRef | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    fingerprint: str = ""


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(obj: Any) -> str:
    """Identity of a raw event: equal JSON values have equal fingerprints."""
    try:
        data = canonical_json(obj).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEvent("$", "contains an unpaired UTF-16 surrogate (a broken \\uD800-\\uDFFF escape)",
                           "Send valid Unicode text; escape characters outside the BMP as a surrogate pair.") from None
    return hashlib.sha256(data).hexdigest()


def normalize_time(value: Any, field_name: str = "eventTime") -> str:
    """An ISO 8601 time as UTC with microseconds; zone-less times are taken as UTC,
    digits past microseconds are dropped."""
    if not isinstance(value, str) or "t" not in value.lower():
        raise InvalidEvent(field_name, f"expected an ISO 8601 date-time, got {value!r}",
                           "Send e.g. '2024-05-01T12:00:00.000Z'.")
    text = _FRACTION.sub(lambda m: m.group(1), value.strip(), count=1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEvent(field_name, f"{value!r} is not an ISO 8601 date-time",
                           "Send e.g. '2024-05-01T12:00:00.000Z'.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _require_str(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(f"{path}.{key}" if path else key,
                           "is required and must be a non-empty string",
                           f"Set '{key}' as the OpenLineage spec requires.")
    return value


def _facets(obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidEvent(f"{path}.{key}", f"must be an object of facets, got {type(value).__name__}",
                           "Send facets as a JSON object keyed by facet name.")
    return value


def _dataset(obj: Any, path: str, io_key: str | None) -> DatasetRef:
    if not isinstance(obj, dict):
        raise InvalidEvent(path, f"must be an object with namespace and name, got {type(obj).__name__}",
                           "Send datasets as {\"namespace\": ..., \"name\": ...}.")
    return DatasetRef(
        namespace=_require_str(obj, "namespace", path),
        name=_require_str(obj, "name", path),
        facets=_facets(obj, "facets", path),
        io_facets=_facets(obj, io_key, path) if io_key else {},
    )


def _datasets(raw: Mapping[str, Any], key: str, io_key: str) -> tuple[DatasetRef, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidEvent(key, f"must be a list of datasets, got {type(value).__name__}",
                           f"Send '{key}' as a JSON array.")
    return tuple(_dataset(item, f"{key}[{i}]", io_key) for i, item in enumerate(value))


def _kind(raw: Mapping[str, Any]) -> str:
    url = raw.get("schemaURL")
    named = _KIND_IN_URL.search(url) if isinstance(url, str) else None
    shape = RUN_EVENT if "run" in raw else DATASET_EVENT if "dataset" in raw and "job" not in raw else JOB_EVENT
    if named and named.group(1) == shape:
        return shape
    if named and named.group(1) == JOB_EVENT and "run" not in raw:
        return JOB_EVENT
    if named and named.group(1) == DATASET_EVENT and "dataset" in raw:
        return DATASET_EVENT
    if "run" not in raw and "job" not in raw and "dataset" not in raw:
        raise InvalidEvent("run", "is required (or 'dataset' for a DatasetEvent, 'job' for a JobEvent)",
                           "Send an OpenLineage RunEvent, DatasetEvent or JobEvent.")
    return shape


def parse_event(raw: Any) -> Event:
    """Validate one decoded JSON event and return its normalised form."""
    if not isinstance(raw, dict):
        raise InvalidEvent("$", f"an event must be a JSON object, got {type(raw).__name__}",
                           "Send one OpenLineage event per object.")
    fp = fingerprint(raw)
    kind = _kind(raw)
    event_time = normalize_time(raw.get("eventTime"))
    producer = raw.get("producer") or ""
    if not isinstance(producer, str):
        raise InvalidEvent("producer", "must be a string URI", "Set producer to your integration's URL.")
    if kind == DATASET_EVENT:
        dataset = _dataset(raw.get("dataset"), "dataset", None)
        ol.DatasetEvent(eventTime=raw["eventTime"], producer=producer,
                        dataset=ol.StaticDataset(namespace=dataset.namespace, name=dataset.name))
        return Event(kind=kind, event_time=event_time, event_type=None, producer=producer,
                     dataset=dataset, raw=raw, fingerprint=fp)

    job = raw.get("job")
    if not isinstance(job, dict):
        raise InvalidEvent("job", "is required and must be an object with namespace and name",
                           "Set job.namespace and job.name.")
    job_ns, job_name = _require_str(job, "namespace", "job"), _require_str(job, "name", "job")
    job_facets = _facets(job, "facets", "job")
    inputs = _datasets(raw, "inputs", "inputFacets")
    outputs = _datasets(raw, "outputs", "outputFacets")
    ol_job = ol.Job(namespace=job_ns, name=job_name)
    if kind == JOB_EVENT:
        ol.JobEvent(eventTime=raw["eventTime"], producer=producer, job=ol_job)
        return Event(kind=kind, event_time=event_time, event_type=None, producer=producer,
                     job_namespace=job_ns, job_name=job_name, job_facets=job_facets,
                     inputs=inputs, outputs=outputs, raw=raw, fingerprint=fp)

    run = raw.get("run")
    if not isinstance(run, dict):
        raise InvalidEvent("run", "must be an object with a runId", "Set run.runId to the run's UUID.")
    run_id = _require_str(run, "runId", "run")
    try:
        ol_run = ol.Run(runId=run_id)
    except ValueError:
        raise InvalidEvent("run.runId", f"{run_id!r} is not a UUID",
                           "Use a UUID per run, e.g. from uuid.uuid4() or openlineage's generate_new_uuid().") from None
    event_type = raw.get("eventType")
    if event_type is not None:
        if not isinstance(event_type, str) or event_type.upper() not in ol.RunState.__members__:
            raise InvalidEvent("eventType", f"{event_type!r} is not a run state",
                               f"Use one of {', '.join(ol.RunState.__members__)} or leave it out.")
        event_type = event_type.upper()
    ol.RunEvent(eventType=ol.RunState(event_type) if event_type else None, eventTime=raw["eventTime"],
                producer=producer, run=ol_run, job=ol_job)
    return Event(kind=kind, event_time=event_time, event_type=event_type, producer=producer,
                 run_id=run_id.lower(), run_facets=_facets(run, "facets", "run"),
                 job_namespace=job_ns, job_name=job_name, job_facets=job_facets,
                 inputs=inputs, outputs=outputs, raw=raw, fingerprint=fp)


def decode_events(text: str | bytes) -> list[Any]:
    """Decode a JSON array, a single JSON object, or NDJSON into a list of raw events."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    stripped = text.strip()
    if not stripped:
        return []
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        events = []
        for number, line in enumerate(stripped.splitlines(), 1):
            if line.strip():
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise InvalidEvent(f"line {number}", f"is not valid JSON ({exc.msg})",
                                       "Send a JSON array or one JSON object per line.") from None
        return events
    return value if isinstance(value, list) else [value]
