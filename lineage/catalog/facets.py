"""Reading the component, audit and catalog facets back for the translator.

Heartbeats, catalog messages and the audit of each accepted write become
ordinary OpenLineage events carrying the ``component``, ``heartbeat``,
``audit`` and ``catalog`` facets (classes and fields in :mod:`lineage.facets`),
so they take the one road into the graph (log, translator, writer): durable,
deduplicated, and rebuilt by ``lineage rebuild`` like any other event.

The ``*_props`` functions turn them into node properties (pure, no I/O).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

COMPONENT, HEARTBEAT, AUDIT, CATALOG = "component", "heartbeat", "audit", "catalog"


def _facet(facets: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = facets.get(key)
    return value if isinstance(value, dict) and not value.get("_deleted") else {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value) or None


def pipeline_props(job_facets: Mapping[str, Any]) -> dict[str, Any]:
    component = _facet(job_facets, COMPONENT)
    return {"component_type": _text(component.get("componentType")), "component_name": _text(component.get("name"))}


AUDIT_PROPS = {"requestId": "request_id", "httpRequestId": "http_request_id", "principal": "principal",
               "clientAddress": "client_address", "receivedAt": "received_at", "execPath": "exec_path",
               "dataSourceName": "data_source_name", "dataSourceType": "data_source_type"}


def run_props(run_facets: Mapping[str, Any]) -> dict[str, Any]:
    beat = _facet(run_facets, HEARTBEAT)
    audit = _facet(run_facets, AUDIT)
    props: dict[str, Any] = {prop: _text(audit.get(key)) for key, prop in AUDIT_PROPS.items()}
    inputs = audit.get("inputRequestIds")
    props["input_request_ids"] = json.dumps([str(i) for i in inputs]) if isinstance(inputs, list) and inputs else None
    props["instance_id"] = _text(beat.get("instanceId"))
    props["reporting_period"] = _text(beat.get("reportingPeriod"))
    return props


def dataset_props(facets: Mapping[str, Any]) -> dict[str, Any]:
    catalog = _facet(facets, CATALOG)
    fields = catalog.get("fields")
    return {"title": _text(catalog.get("title")), "media_type": _text(catalog.get("sourceMimeType")),
            "last_updated_at": _text(catalog.get("lastUpdatedAt")),
            "registered_at": _text(catalog.get("registeredAt")),
            "catalog_fields": json.dumps(fields, sort_keys=True) if isinstance(fields, dict) and fields else None}
