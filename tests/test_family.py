"""Parents and children: OpenLineage's parent facet links runs to their parent run
and jobs to their parent job; children that read and write nothing fold under it."""


from lineage import JanusGraphClient
from test_checks import dbt_events, run_event

PARENT_JOB = "jaffle_shop_prod/dbt-run-jaffle_shop"
PARENT_RUN = "f44159f0-82b1-5774-bafd-55dcac4f06e1"


def child(job: str, run: str, parent_job: str, parent_run: str, root: tuple[str, str] | None = None) -> dict:
    event = run_event("etl", job, run=run)
    facet = {"_producer": "https://x", "_schemaURL": "https://x#/Parent",
             "run": {"runId": parent_run}, "job": {"namespace": "etl", "name": parent_job}}
    if root:
        facet["root"] = {"run": {"runId": root[1]}, "job": {"namespace": "etl", "name": root[0]}}
    event["run"]["facets"] = {"parent": facet}
    return event


def test_dbt_models_are_children_of_the_dbt_run(store):
    store.ingest(dbt_events())
    with JanusGraphClient(store=store) as c:
        q = c.queries
        family = q.family(PARENT_JOB, "Pipeline")
        kids = family["children"]
        assert family["parent"] is None and kids
        assert all(k["label"] == "Pipeline" and k["parent_pipeline_id"] == PARENT_JOB for k in kids)
        assert any(k["id"].endswith("stg_orders.build.run") for k in kids)
        assert not [k for k in kids if k["id"].endswith(".test")]   # tests are checks, not jobs
        assert {k["latest_state"] for k in kids} <= {"COMPLETE", "FAIL", "START"}
        runs = q.family(PARENT_RUN, "Run")["children"]
        assert len(runs) > len(kids)   # the test runs are children of the dbt run too
        one = runs[0]
        assert q.family(one["id"], "Run")["parent"]["id"] == PARENT_RUN


def test_children_without_inputs_or_outputs_fold_under_the_parent(store):
    ids = ["3f1c2a9e-0000-4000-8000-0000000000%02d" % i for i in range(1, 5)]
    parent = run_event("etl", "etl_nightly", run=ids[0])
    busy = child("etl_nightly.load", ids[1], "etl_nightly", ids[0], root=("scheduler", ids[3]))
    busy["outputs"] = [{"namespace": "etl", "name": "orders"}]
    quiet = child("etl_nightly.statement_1", ids[2], "etl_nightly", ids[0], root=("scheduler", ids[3]))
    store.ingest([parent, busy, quiet])
    with JanusGraphClient(store=store) as c:
        q = c.queries
        found = [n["id"] for n in q.search("etl_nightly")]
        assert found == ["etl/etl_nightly", "etl/etl_nightly.load"]
        assert [n["id"] for n in q.family("etl/etl_nightly", "Pipeline")["children"]] == [
            "etl/etl_nightly.load", "etl/etl_nightly.statement_1"]
        run = q.node(ids[2], "Run")
        assert (run["parent_run_id"], run["root_run_id"], run["root_pipeline_id"]) == (
            ids[0], ids[3], "etl/scheduler")
        graph = q.lineage_graph("etl/orders")
        assert "etl/etl_nightly.statement_1" not in {n["id"] for n in graph.nodes}


def test_graphql_parent_and_children(settings, store):
    from server_fixtures import gql, serve

    store.ingest(dbt_events())
    with serve(settings) as http:
        answer = gql(http, """query($id: String!) { pipeline(id: $id) { id parent { id }
            children { id properties } } }""", id=PARENT_JOB)
        assert "errors" not in answer, answer
        kids = answer["data"]["pipeline"]["children"]
        assert answer["data"]["pipeline"]["parent"] is None and kids
        back = gql(http, """query($id: String!) { pipeline(id: $id) { parent { id children { id } } } }""",
                   id=kids[0]["id"])
        assert back["data"]["pipeline"]["parent"]["id"] == PARENT_JOB
        assert kids[0]["id"] in [k["id"] for k in back["data"]["pipeline"]["parent"]["children"]]
