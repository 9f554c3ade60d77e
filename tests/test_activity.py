"""The home page's activity (totals, latest runs failed first, recently written datasets,
model verdicts) on each backend, through the query layer and through GraphQL, and the
/vendor route that serves the page's browser libraries."""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import DATA
from lineage._activity import activity
from lineage._analysis import LineageAnalysis
from lineage._builders import EventBuilder
from lineage._demo import demo_events
from lineage._server import create_app
from lineage._server.assets import PACKAGES, local_html


def dbt_events() -> list[dict]:
    return [json.loads(line) for line in (DATA / "dbt_jaffle_shop.ndjson").read_text().splitlines() if line]


def test_activity_orders_failures_first_and_reports_verdicts(store):
    store.ingest(demo_events("default") + dbt_events())
    found = activity(LineageAnalysis(store.graph, "default"), runs=5, datasets=4, models=10)
    totals = found["totals"]
    assert totals["Model"] == 3 and totals["Feature"] == 1 and totals["failed_runs"] == 3
    assert totals["Run"] == 15 + 21 and totals["Dataset"] == 15 + 8
    runs = found["runs"]
    assert [r["state"] for r in runs[:3]] == ["FAIL", "FAIL", "FAIL"] and runs[3]["state"] == "COMPLETE"
    assert runs[0]["pipeline_id"] == "jaffle_shop_prod/dbt-run-jaffle_shop"          # newest failure first
    assert "paypal" in runs[1]["error_message"]
    assert len(runs) == 5
    datasets = found["datasets"]
    assert [d["id"].rsplit(".", 1)[-1] for d in datasets] == ["orders", "customers", "stg_payments", "stg_orders"]
    assert datasets[0]["written_by"] == "jaffle_shop_prod/analytics.dbt_prod.jaffle_shop.orders.build.run"
    assert datasets[0]["changed_at"].startswith("2026-03-02T06:00:33")
    verdicts = {m["id"]: (m["reproducible"], m["missing"]) for m in found["models"]}
    assert verdicts["churn_predictor@3"] == (True, [])
    assert verdicts["churn_predictor@2"][0] is False
    assert any("not pinned" in reason for reason in verdicts["churn_predictor@2"][1])
    assert [m["id"] for m in found["models"]][0] == "ltv_model@1"                     # newest first


def test_activity_of_an_empty_graph(store):
    found = activity(LineageAnalysis(store.graph, "default"))
    assert found["runs"] == [] and found["datasets"] == [] and found["models"] == []
    assert set(found["totals"].values()) == {0}


def test_activity_through_graphql(settings, store):
    store.ingest(EventBuilder("default").pipeline_run("etl", inputs=["bronze/a"], outputs=["silver/a"],
                                                      start_time="2026-01-01T00:00:00Z"))
    query = """{ activity(runs: 3) { totals { datasets pipelines runs failedRuns }
      latestRuns { pipelineId state } changedDatasets { id layer writtenBy changedAt } models { id } } }"""

    async def ask() -> dict:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return (await client.post("/graphql", json={"query": query})).json()

    import anyio
    body = anyio.run(ask)
    assert "errors" not in body, body
    a = body["data"]["activity"]
    assert a["totals"] == {"datasets": 2, "pipelines": 1, "runs": 1, "failedRuns": 0}
    assert a["latestRuns"] == [{"pipelineId": "etl", "state": "COMPLETE"}]
    assert a["changedDatasets"][0]["id"] == "silver/a" and a["changedDatasets"][0]["writtenBy"] == "etl"
    assert a["changedDatasets"][0]["layer"] == "silver" and a["models"] == []


@pytest.mark.parametrize("backend_name", ["embedded"])
def test_vendor_route_serves_only_the_listed_packages(settings, tmp_path):
    modules = tmp_path / "node_modules"
    (modules / "elkjs" / "lib").mkdir(parents=True)
    (modules / "elkjs" / "package.json").write_text("{}")
    (modules / "elkjs" / "lib" / "elk.bundled.js").write_text("var ELK;")
    (modules / "left-pad").mkdir()
    (modules / "left-pad" / "index.js").write_text("secret")
    app = create_app(settings.__class__.from_env({}, db=settings["LINEAGE_DB"], web_assets=str(modules)))

    async def get(path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.get(path)

    import anyio
    ok = anyio.run(get, "/vendor/elkjs/lib/elk.bundled.js")
    assert ok.status_code == 200 and ok.text == "var ELK;"
    for path in ("/vendor/left-pad/index.js", "/vendor/elkjs/../left-pad/index.js", "/vendor/elkjs/lib/nope.js"):
        r = anyio.run(get, path)
        assert r.status_code == 404 and r.json()["error"] == "not_found", path
    missing = anyio.run(get, "/vendor/graphiql/graphiql.min.js")
    assert missing.status_code == 404 and "npm ci" in missing.json()["message"]


def test_graphiql_page_points_at_vendor():
    html = local_html('<script src="https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js"></script>'
                      '<link href="https://unpkg.com/graphiql@3.8.3/graphiql.min.css">')
    assert html == ('<script src="/vendor/@graphiql/plugin-explorer/dist/index.umd.js"></script>'
                    '<link href="/vendor/graphiql/graphiql.min.css">')
    assert "@graphiql/plugin-explorer" in PACKAGES
