"""Facets that carry components, audit and catalog facts inside OpenLineage events.

Heartbeats, catalog messages and the audit of each accepted write become
ordinary OpenLineage events with these facets, so they take the one road into
the graph (log, translator, writer): durable, deduplicated, and rebuilt by
``lineage rebuild`` like any other event. Schemas ship in ``lineage/facets/``.

==================  ==========  ===============================================
facet key           on          fields
==================  ==========  ===============================================
``component``       job         ``componentType``, ``name``
``heartbeat``       run         ``instanceId``, ``status``, ``reportingPeriod``
``audit``           run, job,   ``requestId``, ``httpRequestId``, ``principal``,
                    dataset     ``clientAddress``, ``receivedAt``, ``execPath``,
                                ``inputRequestIds``, ``dataSourceName``,
                                ``dataSourceType``
``catalog``         dataset     ``title``, ``sourceMimeType``, ``lastUpdatedAt``,
                                ``registeredAt``, ``fields``
==================  ==========  ===============================================

The ``*_props`` functions read them for the translator (pure, no I/O).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import attr
from openlineage.client.generated.base import DatasetFacet, JobFacet, RunFacet

from .._facets import SCHEMA_BASE

COMPONENT, HEARTBEAT, AUDIT, CATALOG = "component", "heartbeat", "audit", "catalog"


@attr.define
class ComponentJobFacet(JobFacet):
    componentType: str  # noqa: N815
    name: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "ComponentJobFacet.json#/$defs/ComponentJobFacet"


@attr.define
class HeartbeatRunFacet(RunFacet):
    instanceId: str  # noqa: N815
    status: str
    reportingPeriod: int  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "HeartbeatRunFacet.json#/$defs/HeartbeatRunFacet"


@attr.define
class AuditFacet(RunFacet):
    """Who wrote a record and from what. The server sets ``httpRequestId``,
    ``principal``, ``clientAddress`` and ``receivedAt``; a producer may set the rest."""

    requestId: str | None = attr.field(default=None)  # noqa: N815
    httpRequestId: str | None = attr.field(default=None)  # noqa: N815
    principal: str | None = attr.field(default=None)
    clientAddress: str | None = attr.field(default=None)  # noqa: N815
    receivedAt: str | None = attr.field(default=None)  # noqa: N815
    execPath: str | None = attr.field(default=None)  # noqa: N815
    inputRequestIds: list[str] = attr.field(factory=list)  # noqa: N815
    dataSourceName: str | None = attr.field(default=None)  # noqa: N815
    dataSourceType: str | None = attr.field(default=None)  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "AuditFacet.json#/$defs/AuditFacet"


@attr.define
class CatalogDatasetFacet(DatasetFacet):
    title: str | None = attr.field(default=None)
    sourceMimeType: str | None = attr.field(default=None)  # noqa: N815
    lastUpdatedAt: str | None = attr.field(default=None)  # noqa: N815
    registeredAt: str | None = attr.field(default=None)  # noqa: N815
    fields: dict[str, Any] = attr.field(factory=dict)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "CatalogDatasetFacet.json#/$defs/CatalogDatasetFacet"


FACET_CLASSES = (ComponentJobFacet, HeartbeatRunFacet, AuditFacet, CatalogDatasetFacet)


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
