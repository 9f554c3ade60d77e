"""OpenLineage events of a small landing -> silver -> gold flow, for provenance tests."""

from __future__ import annotations

import uuid

PRODUCER = "https://example.com/provenance-tests"
SPLIT_PARENT = "550e8400-e29b-41d4-a716-446655440000"


def run_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"provenance-test/{name}"))


def dataset(ident: str) -> dict:
    namespace, _, name = ident.rpartition("|")
    return {"namespace": namespace, "name": name}


def run(name: str, job: str, inputs: list[str], outputs: list[str], end: str, state: str = "COMPLETE",
        start: str | None = None, tags: dict | None = None, parent: str | None = None,
        reported: str | None = None) -> list[dict]:
    """START and a terminal event of one run; datasets are 'namespace|name'."""
    rid = run_id(name)
    namespace, _, job_name = job.partition("/")
    facets: dict = {}
    if tags:
        facets["tags"] = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/TagsRunFacet.json",
                          "tags": [{"key": k, "value": v, "source": "test"} for k, v in tags.items()]}
    if parent:
        facets["parent"] = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json",
                            "run": {"runId": parent}, "job": {"namespace": namespace, "name": "splitter"}}
    end_facets = dict(facets)
    if reported:
        end_facets["provenance"] = {"_producer": PRODUCER, "finalState": reported,
                                    "_schemaURL": "https://github.com/lineage-graph/lineage/blob/main/lineage/facets/"
                                                  "ProvenanceRunFacet.json#/$defs/ProvenanceRunFacet"}
    base = {"producer": PRODUCER, "job": {"namespace": namespace, "name": job_name},
            "inputs": [dataset(i) for i in inputs], "outputs": [dataset(o) for o in outputs]}
    return [
        {**base, "eventType": "START", "eventTime": start or end.replace(":05:", ":01:"),
         "run": {"runId": rid, "facets": facets}},
        {**base, "eventType": state, "eventTime": end, "run": {"runId": rid, "facets": end_facets}},
    ]


LANDING = "s3://landing|orders/2024-05-01.csv"
CRM = "postgres://crm:5432|public.customers"


def flow() -> list[dict]:
    """clean: landing file -> silver; agg: silver -> gold; export fans out to two sinks;
    join reads two sources; broken fails; a splitter and its two children."""
    return [
        *run("clean", "etl/clean", [LANDING], ["silver|orders"], "2024-05-01T10:05:00Z",
             tags={"customer_id": "ABC123", "secret": "do-not-copy"}),
        *run("agg", "etl/agg", ["silver|orders"], ["gold|daily"], "2024-05-01T10:15:00Z"),
        *run("export", "etl/export", ["silver|orders"], ["s3://exports|orders.parquet", "warehouse|orders"],
             "2024-05-01T10:25:00Z"),
        *run("join", "etl/join", ["silver|orders", CRM], ["gold|customer_orders"], "2024-05-01T11:05:00Z"),
        *run("broken", "etl/broken", ["gold|daily"], [], "2024-05-01T11:35:00Z", state="FAIL"),
        *run("split", "etl/splitter", [LANDING], [], "2024-05-01T12:05:00Z", reported="SPLIT"),
        *run("child-a", "etl/part", [LANDING], ["silver|part_a"], "2024-05-01T12:15:00Z", parent=run_id("split")),
        *run("child-b", "etl/part", [LANDING], ["silver|part_b"], "2024-05-01T12:25:00Z", parent=run_id("split")),
    ]
