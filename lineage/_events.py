"""Parsing and validating OpenLineage events.

:func:`parse_event` accepts the three event kinds of the spec (RunEvent,
DatasetEvent, JobEvent), told apart by ``schemaURL`` where it names one and
by shape otherwise. It checks what the ``openlineage.client`` classes check
(run ids are UUIDs, event types are known, times parse, the producer is a URI)
without building them, which cost a sixth of validating an event (a test pins
that those classes accept every event accepted here), and returns a
normalised, immutable :class:`Event`. Any defect raises
:class:`~lineage.InvalidEvent` naming the JSON path of the field at fault.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from urllib.parse import urlsplit
from uuid import UUID

from openlineage.client import event_v2 as ol

from ._errors import InvalidEvent
from .limits.jsonbounds import LIMITS, check_tree, decode, plainly_within

RUN_EVENT, DATASET_EVENT, JOB_EVENT = "RunEvent", "DatasetEvent", "JobEvent"
_KIND_IN_URL = re.compile(r"(RunEvent|DatasetEvent|JobEvent)\s*$")
# RFC 3339 date-time (the spec's "format": "date-time"); the offset may be left
# out, taken as UTC, as Marquez accepts (its conformance events do it).
_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
                        r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?", re.ASCII)
# An absolute URI (RFC 3986): a scheme, a colon, then no spaces or control characters.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]*")


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
    # Inputs read from the SQL facet (None: not parsed yet) and why there are none.
    sql_inputs: tuple[DatasetRef, ...] | None = field(default=None, compare=False, repr=False)
    sql_error: str | None = field(default=None, compare=False)
    # ``raw`` as canonical JSON, kept with the very mapping it was made from (see :meth:`payload`)
    canonical: tuple[Any, str] | None = field(default=None, compare=False, repr=False)

    def payload(self) -> str:
        """``raw`` as canonical JSON (what the event log stores), made once per event:
        reused unless ``raw`` was replaced since (an audit stamp, for instance)."""
        if self.canonical is not None and self.canonical[0] is self.raw:
            return self.canonical[1]
        return canonical_json(self.raw)


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(obj: Any) -> str:
    """Identity of a raw event: equal JSON values have equal fingerprints."""
    return _digest(canonical_json(obj))


def _digest(text: str) -> str:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEvent("$", "contains an unpaired UTF-16 surrogate (a broken \\uD800-\\uDFFF escape)",
                           "Send valid Unicode text; escape characters outside the BMP as a surrogate pair.") from None
    return hashlib.sha256(data).hexdigest()


def _plain_text(raw: Any) -> str | None:
    """``raw`` as canonical JSON when that alone shows it within the JSON bounds
    (:func:`~lineage.limits.jsonbounds.plainly_within`), else None: then the full
    walk decides and names the problem's path."""
    if type(raw) is not dict:
        return None
    try:
        text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        return None   # a non-JSON value, a non-finite float, a broken surrogate, nesting past the encoder
    return text if plainly_within(raw, text) else None


def normalize_time(value: Any, field_name: str = "eventTime") -> str:
    """An RFC 3339 date-time as UTC with microseconds. Digits past microseconds
    are dropped; a time without an offset is taken as UTC; a leap second (``:60``)
    is the last microsecond of its minute. Anything else is :class:`InvalidEvent`."""
    fix = "Send an RFC 3339 date-time, e.g. '2024-05-01T12:00:00.000Z'."
    if not isinstance(value, str):
        raise InvalidEvent(field_name, f"expected an RFC 3339 date-time string, got {type(value).__name__}", fix)
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise InvalidEvent(field_name, f"{value[:80]!r} is not an RFC 3339 date-time", fix)
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zulu, sign, off_h, off_m = match.groups()[6:]
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    leap = second == 60
    try:
        if leap:
            second, micro = 59, 999_999
        if sign and (int(off_h) > 23 or int(off_m) > 59):
            raise ValueError("the offset is out of range")
        offset = timezone.utc if not sign else timezone(
            (1 if sign == "+" else -1) * timedelta(hours=int(off_h), minutes=int(off_m)))
        parsed = datetime(year, month, day, hour, minute, second, micro, tzinfo=offset)
        utc = parsed.astimezone(timezone.utc)
    except ValueError as exc:
        raise InvalidEvent(field_name, f"{value!r} is not a valid date-time ({exc})", fix) from None
    except OverflowError:
        raise InvalidEvent(field_name, f"{value!r} is outside the years 1 to 9999 in UTC", fix) from None
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"


def _uri(raw: Mapping[str, Any], key: str, required: bool) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    fix = f"Set {key} to an absolute URI, e.g. 'https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client'."
    if not isinstance(value, str):
        raise InvalidEvent(key, f"must be a URI string, got {type(value).__name__}", fix)
    if len(value) > 2048 or not _URI.fullmatch(value):
        raise InvalidEvent(key, f"{value[:80]!r} is not an absolute URI", fix)
    try:
        urlsplit(value)
    except ValueError as exc:
        raise InvalidEvent(key, f"{value[:80]!r} is not a valid URI ({exc})", fix) from None
    return value


def _require_str(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    where = f"{path}.{key}" if path else key
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(where, "is required and must be a non-empty string",
                           f"Set '{key}' as the OpenLineage spec requires.")
    if len(value) > LIMITS.max_id_chars:
        raise InvalidEvent(where, f"is {len(value)} characters long; at most {LIMITS.max_id_chars} are accepted",
                           "Use a shorter namespace or name.")
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
    if len(value) > LIMITS.max_datasets:
        raise InvalidEvent(key, f"lists {len(value)} datasets; at most {LIMITS.max_datasets} are accepted per event",
                           "Split the run's datasets over several events (START, RUNNING, COMPLETE all count).")
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
    if "run" not in raw and (named and named.group(1) == RUN_EVENT or
                             (not named and raw.get("eventType") is not None)):
        raise InvalidEvent("run", "is required in a RunEvent",
                           "Set run.runId to the run's UUID (or send a JobEvent, without eventType).")
    if "run" not in raw and "job" not in raw and "dataset" not in raw:
        raise InvalidEvent("run", "is required (or 'dataset' for a DatasetEvent, 'job' for a JobEvent)",
                           "Send an OpenLineage RunEvent, DatasetEvent or JobEvent.")
    return shape


def parse_event(raw: Any) -> Event:
    """Validate one decoded JSON event and return its normalised form."""
    text = _plain_text(raw)
    if text is None:
        check_tree(raw)
        if not isinstance(raw, dict):
            raise InvalidEvent("$", f"an event must be a JSON object, got {type(raw).__name__}",
                               "Send one OpenLineage event per object.")
        text = canonical_json(raw)
    fp = _digest(text)
    kind = _kind(raw)
    event_time = normalize_time(raw.get("eventTime"))
    try:
        return _parse(raw, fp, kind, event_time, (raw, text))
    except (ValueError, TypeError) as exc:   # what the openlineage classes refuse that we did not
        raise InvalidEvent("$", f"is not a valid OpenLineage event ({exc})",
                           "Check the event against the OpenLineage spec.") from None


def _producer(raw: Mapping[str, Any]) -> str:
    _uri(raw, "schemaURL", required=False)
    return _uri(raw, "producer", required=True)


def _parse(raw: dict[str, Any], fp: str, kind: str, event_time: str, canonical: tuple[Any, str]) -> Event:
    if kind == DATASET_EVENT:
        dataset = _dataset(raw.get("dataset"), "dataset", None)
        producer = _producer(raw)
        return Event(kind=kind, event_time=event_time, event_type=None, producer=producer,
                     dataset=dataset, raw=raw, fingerprint=fp, canonical=canonical)

    job = raw.get("job")
    if not isinstance(job, dict):
        raise InvalidEvent("job", "is required and must be an object with namespace and name",
                           "Set job.namespace and job.name.")
    job_ns, job_name = _require_str(job, "namespace", "job"), _require_str(job, "name", "job")
    job_facets = _facets(job, "facets", "job")
    inputs = _datasets(raw, "inputs", "inputFacets")
    outputs = _datasets(raw, "outputs", "outputFacets")
    if kind == JOB_EVENT:
        producer = _producer(raw)
        return Event(kind=kind, event_time=event_time, event_type=None, producer=producer,
                     job_namespace=job_ns, job_name=job_name, job_facets=job_facets,
                     inputs=inputs, outputs=outputs, raw=raw, fingerprint=fp, canonical=canonical)

    run = raw.get("run")
    if not isinstance(run, dict):
        raise InvalidEvent("run", "must be an object with a runId", "Set run.runId to the run's UUID.")
    run_id = _require_str(run, "runId", "run")
    try:
        UUID(run_id)
    except ValueError:
        raise InvalidEvent("run.runId", f"{run_id!r} is not a UUID",
                           "Use a UUID per run, e.g. from uuid.uuid4() or openlineage's generate_new_uuid().") from None
    event_type = raw.get("eventType")
    if event_type is not None:
        if not isinstance(event_type, str) or event_type.upper() not in ol.RunState.__members__:
            raise InvalidEvent("eventType", f"{event_type!r} is not a run state",
                               f"Use one of {', '.join(ol.RunState.__members__)} or leave it out.")
        event_type = event_type.upper()
    producer = _producer(raw)
    return Event(kind=kind, event_time=event_time, event_type=event_type, producer=producer,
                 run_id=run_id.lower(), run_facets=_facets(run, "facets", "run"),
                 job_namespace=job_ns, job_name=job_name, job_facets=job_facets,
                 inputs=inputs, outputs=outputs, raw=raw, fingerprint=fp, canonical=canonical)


def decode_events(text: str | bytes) -> list[Any]:
    """Decode a JSON array, a single JSON object, or NDJSON into a list of raw events
    (decoded within :data:`~lineage.limits.LIMITS`; :func:`parse_event` checks each)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    stripped = text.strip()
    if not stripped:
        return []
    try:
        value = decode(stripped)
    except InvalidEvent as exc:
        if exc.field != "body":
            raise
        events = []
        for number, line in enumerate(stripped.splitlines(), 1):
            if line.strip():
                try:
                    events.append(decode(line))
                except InvalidEvent as bad:
                    raise InvalidEvent(f"line {number}", f"is not valid JSON ({bad.message})",
                                       "Send a JSON array or one JSON object per line.") from None
        return events
    return value if isinstance(value, list) else [value]
