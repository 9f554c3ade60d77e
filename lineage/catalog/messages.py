"""Heartbeat and catalog messages: validated, then turned into OpenLineage events.

A heartbeat (``id``, ``instance_id``, ``name``, ``component_type``,
``timestamp``, ``reporting_period``, ``status``, ``input``, ``output``) becomes
a RunEvent: the component is the job ``components/<id>``, the instance is the
run, and the inputs and outputs (each ``{"name", "type"}``) are datasets named
``<type>/<name>``. A catalog message (``id`` with ``title`` and
``source_mime_type`` and any further fields to register a dataset, or ``id``
with ``last_updated_at`` to say it changed) becomes a DatasetEvent. Both get an
event fingerprint from the message, so a re-sent message is a duplicate.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping

from .._errors import InvalidEvent
from .._events import Event, fingerprint, normalize_time, parse_event
from .._ids import NodeKey
from ..facets import PRODUCER, CatalogDatasetFacet, ComponentJobFacet, HeartbeatRunFacet
from .facets import AUDIT, CATALOG, COMPONENT, HEARTBEAT

COMPONENT_NAMESPACE = "components"
STATUSES = ("REGISTERED", "STARTED", "RUNNING", "COMPLETED", "TERMINATED")
EVENT_TYPE = {"REGISTERED": "START", "STARTED": "START", "RUNNING": "RUNNING", "COMPLETED": "COMPLETE",
              "TERMINATED": "ABORT"}
STATUS_OF_STATE = {"START": "STARTED", "RUNNING": "RUNNING", "COMPLETE": "COMPLETED", "ABORT": "TERMINATED",
                   "FAIL": "TERMINATED", "OTHER": "RUNNING"}
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
DATASET_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent"
CATALOG_KEYS = ("id", "title", "source_mime_type", "last_updated_at", "registered_at")


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _facet(cls: type, **values: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": cls._get_schema(), **values}


def _string(msg: Mapping[str, Any], key: str, example: str) -> str:
    value = msg.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(key, "is required and must be a non-empty string", f"Send e.g. \"{key}\": \"{example}\".")
    return value.strip()


def _endpoints(msg: Mapping[str, Any], key: str) -> list[dict[str, str]]:
    value = msg.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        path = f"{key}[{i}]" if isinstance(value, list) else key
        if not isinstance(item, dict):
            raise InvalidEvent(path, f"must be an object with name and type, got {type(item).__name__}",
                               f"Send \"{key}\": {{\"name\": \"raw-in\", \"type\": \"topic\"}}.")
        name = item.get("name")
        kind = item.get("type")
        if not isinstance(name, str) or not name.strip():
            raise InvalidEvent(f"{path}.name", "is required and must be a non-empty string",
                               "Name the topic, bucket or table, e.g. \"raw-in\".")
        if not isinstance(kind, str) or not kind.strip():
            raise InvalidEvent(f"{path}.type", "is required and must be a non-empty string",
                               "Say what it is, e.g. \"topic\", \"database\" or \"bucket\".")
        out.append({"namespace": kind.strip(), "name": name.strip()})
    return out


def instance_run_id(component_id: str, instance_id: str) -> str:
    """The run id of an instance: its own id when that is a UUID, else one derived from it."""
    try:
        return str(uuid.UUID(instance_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:component:{component_id}:{instance_id}"))


def heartbeat_event(msg: Any) -> Event:
    """Validate a heartbeat message and return it as a parsed RunEvent."""
    if not isinstance(msg, dict):
        raise InvalidEvent("$", f"a heartbeat must be a JSON object, got {type(msg).__name__}",
                           "Send one heartbeat per object (arrays go to /api/v1/heartbeats/batch).")
    component_id = _string(msg, "id", "my-mapper")
    instance_id = _string(msg, "instance_id", str(uuid.uuid4()))
    name = _string(msg, "name", "My Mapper")
    component_type = _string(msg, "component_type", "mapper")
    timestamp = normalize_time(msg.get("timestamp"), "timestamp")
    status = msg.get("status")
    if not isinstance(status, str) or status.upper() not in STATUSES:
        raise InvalidEvent("status", f"{status!r} is not a component status", f"Use one of {', '.join(STATUSES)}.")
    status = status.upper()
    period = msg.get("reporting_period")
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise InvalidEvent("reporting_period", f"must be a whole number of seconds, at least 1; got {period!r}",
                           "Send the heartbeat interval, e.g. \"reporting_period\": 15.")
    inputs, outputs = _endpoints(msg, "input"), _endpoints(msg, "output")
    run_facets: dict[str, Any] = {HEARTBEAT: _facet(HeartbeatRunFacet, instanceId=instance_id, status=status,
                                                    reportingPeriod=period)}
    if isinstance(msg.get(AUDIT), dict):
        run_facets[AUDIT] = msg[AUDIT]
    raw = {
        "eventType": EVENT_TYPE[status], "eventTime": timestamp, "producer": PRODUCER, "schemaURL": RUN_EVENT_SCHEMA,
        "run": {"runId": instance_run_id(component_id, instance_id), "facets": run_facets},
        "job": {"namespace": COMPONENT_NAMESPACE, "name": component_id,
                "facets": {COMPONENT: _facet(ComponentJobFacet, componentType=component_type, name=name)}},
        "inputs": inputs, "outputs": outputs,
    }
    return dataclasses.replace(parse_event(raw), fingerprint=fingerprint({"heartbeat": msg}))


def catalog_event(msg: Any, default_namespace: str, received_at: str | None = None) -> Event:
    """Validate a catalog message (registration or update) and return it as a DatasetEvent."""
    if not isinstance(msg, dict):
        raise InvalidEvent("$", f"a catalog message must be a JSON object, got {type(msg).__name__}",
                           "Send {\"id\": ..., \"title\": ..., \"source_mime_type\": ...} or "
                           "{\"id\": ..., \"last_updated_at\": ...}.")
    dataset_id = _string(msg, "id", "bronze/orders")
    for key in ("title", "source_mime_type"):
        if key in msg and (not isinstance(msg[key], str) or not msg[key].strip()):
            raise InvalidEvent(key, "must be a non-empty string", f"Send e.g. \"{key}\": \"text/csv\" or leave it out.")
    updated = normalize_time(msg["last_updated_at"], "last_updated_at") if msg.get("last_updated_at") is not None \
        else None
    registering = "title" in msg or "source_mime_type" in msg
    if not registering and updated is None:
        raise InvalidEvent("last_updated_at", "is required to update a dataset that this message does not register",
                           "Register with title and source_mime_type, or send \"last_updated_at\": "
                           "\"2024-05-01T12:00:00Z\".")
    registered = normalize_time(msg["registered_at"], "registered_at") if msg.get("registered_at") else None
    time = updated or registered or received_at or now_iso()
    extra = {k: v for k, v in msg.items() if k not in CATALOG_KEYS and k != AUDIT}
    values: dict[str, Any] = {"lastUpdatedAt": updated}
    if registering:
        values.update(title=msg.get("title"), sourceMimeType=msg.get("source_mime_type"),
                      registeredAt=registered or time, fields=extra)
    facets: dict[str, Any] = {CATALOG: _facet(CatalogDatasetFacet, **{k: v for k, v in values.items()
                                                                      if v is not None})}
    if isinstance(msg.get(AUDIT), dict):
        facets[AUDIT] = msg[AUDIT]
    key = NodeKey.parse(dataset_id, default_namespace)
    raw = {"eventTime": time, "producer": PRODUCER, "schemaURL": DATASET_EVENT_SCHEMA,
           "dataset": {"namespace": key.namespace, "name": key.name, "facets": facets}}
    return dataclasses.replace(parse_event(raw), fingerprint=fingerprint({"catalog": msg}))
