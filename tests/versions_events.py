"""OpenLineage events for the version-history and as-of tests: a table rewritten
three times with a changing schema, and a pipeline that stops reading a table."""

from __future__ import annotations

import uuid
from typing import Any

PRODUCER = "https://github.com/example/lineage-tests"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def facet(**fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/Facet.json", **fields}


def dataset(namespace: str, name: str, version: str | None = None, fields: list[tuple[str, str]] | None = None,
            rows: int | None = None, fingerprint: str | None = None) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if version is not None:
        facets["version"] = facet(datasetVersion=version)
    if fields is not None:
        facets["schema"] = facet(fields=[{"name": n, "type": t} for n, t in fields])
    if fingerprint is not None:
        facets["dataFingerprint"] = facet(fingerprint=fingerprint, orderIndependent=True, rowCount=rows)
    out: dict[str, Any] = {"namespace": namespace, "name": name, "facets": facets}
    if rows is not None and fingerprint is None:
        out["outputFacets"] = {"outputStatistics": facet(rowCount=rows)}
    return out


def run_event(job: str, run: str, time: str, inputs: list[dict], outputs: list[dict],
              event_type: str = "COMPLETE", namespace: str = "etl") -> dict[str, Any]:
    return {"eventType": event_type, "eventTime": time, "producer": PRODUCER, "schemaURL": SCHEMA_URL,
            "run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, run)), "facets": {}},
            "job": {"namespace": namespace, "name": job, "facets": {}},
            "inputs": inputs, "outputs": outputs}


def run_id(run: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, run))


V1 = [("id", "int"), ("name", "string")]
V2 = [("id", "int"), ("name", "string"), ("email", "string")]
V3 = [("id", "bigint"), ("email", "string")]


def rewritten_three_times() -> list[dict]:
    """gold/customers written by three runs of load_customers, each a new version and
    schema; the first run names the input's version, the later ones do not."""
    src = lambda version=None: dataset("silver", "customers", version)  # noqa: E731
    out = []
    for i, (version, fields, rows, when, src_version) in enumerate([
            ("v1", V1, 10, "2024-01-01T10:00:00Z", "s1"),
            ("v2", V2, 12, "2024-01-02T10:00:00Z", None),
            ("v3", V3, 15, "2024-01-03T10:00:00Z", None)], start=1):
        start = when.replace("10:00:00", "09:00:00")
        out.append(run_event("load_customers", f"load-{i}", start, [src(src_version)], [], "START"))
        out.append(run_event("load_customers", f"load-{i}", when, [src(src_version)],
                             [dataset("gold", "customers", version, fields, rows)]))
    # the input's own versions, written by another job before each load
    out.append(run_event("clean_customers", "clean-1", "2024-01-01T08:00:00Z", [],
                         [dataset("silver", "customers", "s1")]))
    out.append(run_event("clean_customers", "clean-2", "2024-01-02T08:00:00Z", [],
                         [dataset("silver", "customers", "s2")]))
    return out


def stops_reading() -> list[dict]:
    """report reads orders and refunds on Jan 1, only orders from Jan 3 on."""
    orders, refunds = dataset("raw", "orders"), dataset("raw", "refunds")
    report = lambda v: dataset("mart", "report", v)  # noqa: E731
    return [
        run_event("build_report", "r1", "2024-01-01T00:00:00Z", [orders, refunds], [], "START"),
        run_event("build_report", "r1", "2024-01-01T01:00:00Z", [orders, refunds], [report("1")]),
        run_event("build_report", "r2", "2024-01-03T00:00:00Z", [orders], [], "START"),
        run_event("build_report", "r2", "2024-01-03T01:00:00Z", [orders], [report("2")]),
        # another pipeline reads the report, so impact and downstream have something to show
        run_event("publish", "p1", "2024-01-01T02:00:00Z", [report("1")], [dataset("mart", "published")]),
    ]
