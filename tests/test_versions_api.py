"""Version history and as-of through GraphQL (a real server), the Python client and
the ``lineage`` command, on each backend."""

from __future__ import annotations

import json

import pytest

from lineage import JanusGraphClient
from lineage._cli import main
from cli_support import cli_reads
from server_fixtures import gql, serve
from versions_events import rewritten_three_times, run_id, stops_reading

VERSIONS = """query($id: String!) { dataset(id: $id) { id versions {
    version source createdAt rowCount run { id state } fields { name type }
    schemaChange { added { name type } removed { name type } retyped { name before after } }
    inputs { datasetId version resolved } } } }"""


@pytest.fixture
def loaded(store, monkeypatch):
    store.ingest(rewritten_three_times() + stops_reading())
    return cli_reads(store, monkeypatch)


def test_graphql_versions_and_as_of(loaded):
    with serve(loaded.settings) as client:
        answer = gql(client, VERSIONS, id="gold/customers")
        assert "errors" not in answer, answer
        versions = answer["data"]["dataset"]["versions"]
        assert [(v["version"], v["rowCount"], v["run"]["id"], v["run"]["state"]) for v in versions] == [
            ("v3", 15, run_id("load-3"), "COMPLETE"), ("v2", 12, run_id("load-2"), "COMPLETE"),
            ("v1", 10, run_id("load-1"), "COMPLETE")]
        assert versions[0]["schemaChange"] == {"added": [], "removed": [{"name": "name", "type": "string"}],
                                               "retyped": [{"name": "id", "before": "int", "after": "bigint"}]}
        assert versions[1]["schemaChange"]["added"] == [{"name": "email", "type": "string"}]
        assert versions[2]["schemaChange"] is None
        assert versions[2]["inputs"] == [{"datasetId": "silver/customers", "version": "s1", "resolved": "recorded"}]
        assert versions[1]["fields"][-1] == {"name": "email", "type": "string"}
        pipeline = gql(client, '{ node(id: "etl/build_report") { versions { version } } }')
        assert pipeline["data"]["node"]["versions"] == []

        graph = """query($at: String) { lineageGraph(nodeId: "mart/report", depth: 1, direction: "upstream",
                   asOf: $at) { nodes { id version } edges { source label target } } }"""
        then = gql(client, graph, at="2024-01-02T00:00:00Z")["data"]["lineageGraph"]
        later = gql(client, graph, at="2024-01-05")["data"]["lineageGraph"]
        assert {"source": "mart/report", "label": "DERIVED_FROM", "target": "raw/refunds"} in then["edges"]
        assert "raw/refunds" not in {n["id"] for n in later["nodes"]}
        assert {n["id"]: n["version"] for n in then["nodes"]}["mart/report"] == "1"
        assert {n["id"]: n["version"] for n in later["nodes"]}["mart/report"] == "2"

        lineage = """query($at: String) { datasetLineage(datasetId: "mart/report", depth: 1, asOf: $at) {
                     version upstreamDatasets { id } consumingPipelines { id } } }"""
        then = gql(client, lineage, at="2024-01-02")["data"]["datasetLineage"]
        assert (then["version"], sorted(d["id"] for d in then["upstreamDatasets"])) == ("1", ["raw/orders", "raw/refunds"])
        impact = gql(client, '{ impactAnalysis(datasetId: "raw/refunds", asOf: "2024-01-05") { totalAffected } }')
        assert impact["data"]["impactAnalysis"]["totalAffected"] == 0

        bad = gql(client, '{ lineageGraph(nodeId: "mart/report", asOf: "soon") { nodeCount } }')
        assert "asOf must be an RFC 3339 date-time" in bad["errors"][0]["message"]
        early = gql(client, '{ lineageGraph(nodeId: "mart/report", asOf: "2020-01-01") { nodeCount } }')
        assert "did not exist as of 2020-01-01" in early["errors"][0]["message"]


def test_python_client(loaded):
    client = JanusGraphClient(store=loaded)
    assert [v["version"] for v in client.get_dataset_versions("gold/customers")] == ["v3", "v2", "v1"]
    assert [n["id"] for n in client.get_upstream_datasets("mart/report", 1, as_of="2024-01-05")] == ["raw/orders"]
    graph = client.lineage_graph("mart/report", depth=1, direction="upstream", as_of="2024-01-02")
    assert {"raw/orders", "raw/refunds"} <= {n["id"] for n in graph["nodes"]}


def test_cli_versions_and_as_of(loaded, capsys):
    assert main(["versions", "gold/customers"]) == 0
    out = capsys.readouterr().out
    assert "versions of gold/customers, newest first: 3" in out
    assert "+email string" in out and "-name" in out and "~id int->bigint" in out
    assert main(["versions", "gold/customers", "--as-of", "2024-01-02T12:00:00Z", "--json"]) == 0
    assert [v["version"] for v in json.loads(capsys.readouterr().out)] == ["v2", "v1"]
    assert main(["versions", "nope/nothing"]) == 1
    assert "no dataset with id 'nope/nothing'" in capsys.readouterr().err
    assert main(["upstream", "mart/report", "--depth", "1", "--as-of", "2024-01-05", "--json"]) == 0
    assert [n["id"] for n in json.loads(capsys.readouterr().out)] == ["raw/orders"]
    assert main(["impact", "raw/refunds", "--as-of", "2024-01-02", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_affected"] == 4   # 2 datasets, 2 pipelines
    assert main(["upstream", "mart/report", "--as-of", "whenever"]) == 1
    assert "asOf must be" in capsys.readouterr().err
