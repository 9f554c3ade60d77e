"""The GraphQL contract: the SDL in graphql/, the guide's operations, typed errors."""


import pytest

from conftest import REPO, food_delivery
from lineage._demo import demo_events
from lineage._gql import schema
from server_fixtures import gql, serve

EXAMPLES = sorted((REPO / "graphql" / "examples").glob("*.graphql"))


def test_sdl_matches_the_code():
    committed = (REPO / "graphql" / "schema.graphql").read_text().rstrip()
    assert committed == str(schema).rstrip(), "run: lineage graphql-schema > graphql/schema.graphql"


@pytest.fixture
def seeded(settings, store):
    store.ingest(demo_events(settings.default_namespace) + food_delivery())
    with serve(settings) as client:
        yield client


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_operation_runs(seeded, path):
    answer = gql(seeded, path.read_text())
    assert "errors" not in answer, answer
    data = answer["data"]
    if path.stem == "dataset_lineage":
        lineage = data["datasetLineage"]
        assert (lineage["datasetId"], lineage["layer"], lineage["upstreamCount"]) == ("gold/customers", "gold", 3)
        assert {m["name"] for m in lineage["consumingModels"]} == {"churn_predictor@2", "churn_predictor@3"}
    elif path.stem == "model_reproducibility":
        model = data["modelLineage"]
        assert model["isReproducible"] and model["datasetSnapshots"] == ["snapshot_def456", "snapshot_ghi789"]
    elif path.stem == "lineage_graph":
        graph = data["lineageGraph"]
        assert graph["nodeCount"] == len(graph["nodes"]) and graph["edgeCount"] == len(graph["edges"])
        assert {"label": "TRAINED_ON", "source": "churn_predictor@3", "target": "gold/customers"} in graph["edges"]
    elif path.stem == "impact_analysis":
        impact = data["impactAnalysis"]
        assert impact["severity"] == "HIGH"
        assert {m["name"] for m in impact["affectedModels"]} == {"churn_predictor@2", "churn_predictor@3", "ltv_model@1"}
    elif path.stem.startswith("record_"):
        result = next(iter(data.values()))
        assert result["accepted"] == 2 and result["runId"]
    elif path.stem == "search_and_runs":
        assert [n["id"] for n in data["search"]][:3] == ["spark_aggregate_sales", "spark_clean_customers",
                                                         "spark_clean_transactions"]
        assert data["search"][0]["runs"][0]["state"] == "COMPLETE"


def test_mutations_change_what_queries_see(seeded):
    gql(seeded, (REPO / "graphql/examples/record_model_training.graphql").read_text())
    model = gql(seeded, '{ modelLineage(modelName: "churn_predictor", modelVersion: 4) { isReproducible missing '
                        'trainingDatasets { name version } } }')["data"]["modelLineage"]
    assert model["isReproducible"], model["missing"]
    assert model["trainingDatasets"] == [{"name": "gold/customers", "version": "snapshot_def456"},
                                         {"name": "gold/transactions", "version": "snapshot_ghi789"}]
    gql(seeded, 'mutation { recordPipelineExecution(pipelineId: "nightly", pipelineVersion: "git:1", '
                'inputDatasets: ["gold/customers"], outputDatasets: ["gold/customer_report"]) }')
    lineage = gql(seeded, '{ datasetLineage(datasetId: "gold/customer_report", depth: 1) { upstreamDatasets { name } } }')
    assert lineage["data"]["datasetLineage"]["upstreamDatasets"] == [{"name": "gold/customers"}]


@pytest.mark.parametrize("query,code,text", [
    ('{ datasetLineage(datasetId: "gold/nope") { datasetId } }', "NOT_FOUND", "'gold/nope'"),
    ('{ datasetLineage(datasetId: "gold/customers", depth: 500) { datasetId } }', "INVALID_ARGUMENT",
     "depth must be between 1 and 50; got 500"),
    ('{ impactAnalysis(datasetId: "gold/customers", changeType: "rename") { severity } }', "INVALID_ARGUMENT",
     "change_type must be one of"),
    ('{ modelLineage(modelName: "churn_predictor", modelVersion: 9) { modelName } }', "NOT_FOUND", "churn_predictor@9"),
])
def test_expected_failures_are_typed_errors(seeded, query, code, text):
    error = gql(seeded, query)["errors"][0]
    assert error["extensions"]["code"] == code and text in error["message"]
    assert "Traceback" not in str(error)


def test_oversized_queries_are_refused(seeded):
    # the types are not recursive, so depth is bounded by the schema; the budget's depth
    # check (introspection exempt, for GraphiQL) guards future recursive fields, and a token
    # limit refuses queries padded with aliases
    from strawberry.extensions import AddValidationRules

    from lineage._gql.budget import QueryBudget
    from lineage._gql.schema import EXTENSIONS
    assert any(isinstance(make(), AddValidationRules) and QueryBudget in make().validation_rules
               for make in EXTENSIONS)
    padded = "{ " + " ".join(f"a{i}: orphanedDatasets" for i in range(3000)) + " }"
    answer = gql(seeded, padded)
    assert "errors" in answer and "token" in answer["errors"][0]["message"].lower()
    assert "errors" not in gql(seeded, '{ search(prefix: "gold/") { id runs { runId } } }')
