"""The events a captured step becomes: standard facets, and our facets valid against their schemas."""

import json

import jsonschema
from openlineage.client.serde import Serde

from conftest import REPO
from lineage import parse_event
from lineage.capture.record import DataRecord, StepRecord, final_event, start_event
from lineage.facets import SCHEMA_BASE

RECORD = StepRecord(
    run_id="01a200a6-9bb1-7f8e-a957-b2ed62e1b25d", job_namespace="default", job_name="jobs.train",
    operation_type="train", function_id="jobs.train", code_version="sha256:" + "a" * 64, callees=["jobs.helper"],
    source="def train(frame):\n    return fit(frame)\n", source_path="/srv/jobs.py",
    parameters={"alpha": 0.1, "api_key": "***"}, redacted=["api_key"],
    inputs=[DataRecord("gold", "customers", "gold/customers", fingerprint="table-v1:" + "b" * 32, rows=10,
                       bytes=800, order_independent=False)],
    outputs=[DataRecord("default", "churn", "churn", version="3", model_name="churn", framework="sklearn"),
             DataRecord("gold", "scores", "gold/scores", fingerprint="rowset-v1:" + "c" * 32, rows=10, bytes=80,
                        order_independent=True, columns=[("id", "int"), ("score", "float")])],
    started_at="2026-01-01T00:00:00.000000Z", ended_at="2026-01-01T00:00:01.000000Z",
    error_type="ValueError", error_message="bad", stack_trace="Traceback ...",
    parent_run_id="01a200a6-0000-7000-8000-000000000001", parent_job=("default", "nightly"),
    root_run_id="01a200a6-0000-7000-8000-000000000001", root_job=("default", "nightly"))


def facets_of(event: dict) -> list[tuple[str, dict]]:
    found = list(event["run"]["facets"].items()) + list(event["job"]["facets"].items())
    for ds in event["inputs"] + event["outputs"]:
        found += list(ds.get("facets", {}).items()) + list(ds.get("inputFacets", {}).items()) + \
            list(ds.get("outputFacets", {}).items())
    return found


def test_start_and_final_events_carry_the_standard_facets():
    start, final = Serde.to_dict(start_event(RECORD)), Serde.to_dict(final_event(RECORD))
    assert (start["eventType"], final["eventType"]) == ("START", "FAIL")
    assert set(start["job"]["facets"]) == {"jobType", "codeVersion", "sourceCode", "sourceCodeLocation"}
    assert final["job"]["facets"]["jobType"]["jobType"] == "TRAIN"
    assert final["job"]["facets"]["sourceCodeLocation"]["url"] == "file:///srv/jobs.py"
    assert final["run"]["facets"]["errorMessage"] == {
        "_producer": final["producer"], "_schemaURL": final["run"]["facets"]["errorMessage"]["_schemaURL"],
        "message": "ValueError: bad", "programmingLanguage": "python", "stackTrace": "Traceback ..."}
    assert final["run"]["facets"]["parent"]["job"]["name"] == "nightly"
    assert final["run"]["facets"]["parent"]["root"]["run"]["runId"] == RECORD.root_run_id
    assert start["outputs"] == [] and "errorMessage" not in start["run"]["facets"]
    scores = final["outputs"][1]
    assert scores["outputFacets"]["outputStatistics"]["rowCount"] == 10
    assert scores["facets"]["version"]["datasetVersion"] == "rowset-v1:" + "c" * 32
    assert [f["name"] for f in scores["facets"]["schema"]["fields"]] == ["id", "score"]
    model = final["outputs"][0]["facets"]
    assert model["datasetType"]["datasetType"] == "MODEL" and model["mlModel"]["version"] == "3"
    assert final["inputs"][0]["inputFacets"]["inputStatistics"]["size"] == 800
    for event in (start, final):
        parse_event(json.loads(json.dumps(event)))


def test_every_facet_names_its_producer_and_our_facets_match_their_schemas():
    final = Serde.to_dict(final_event(RECORD))
    ours = 0
    for key, facet in facets_of(final):
        assert facet["_producer"] and facet["_schemaURL"], key
        if facet["_schemaURL"].startswith(SCHEMA_BASE):
            path, _, pointer = facet["_schemaURL"][len(SCHEMA_BASE):].partition("#")
            schema = json.loads((REPO / "lineage" / "facets" / path).read_text())
            name = pointer.rsplit("/", 1)[-1]
            assert schema["properties"][key]["$ref"].endswith(name)
            body = schema["$defs"][name]["allOf"][1]
            jsonschema.validate({k: v for k, v in facet.items() if not k.startswith("_")}, body)
            ours += 1
    assert ours == 5  # codeVersion, parameters, mlModel and two dataFingerprint
