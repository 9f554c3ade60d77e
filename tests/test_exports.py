"""The visual exports: DOT parsed by Graphviz, JSON graph data, the summary report,
and the timeline opened in a real Chromium, from the CLI and over HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import make_settings
from lineage import LineageAnalysis
from lineage._cli import main
from lineage.query import LineageVisualizer
from provenance_events import flow, run_id
from server_fixtures import serve
from browser_fixtures import assets_installed, browser, needs_chromium  # noqa: F401 (fixture)

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(not DOT, reason="DOT rendering needs Graphviz: apt-get install graphviz")


@pytest.fixture
def visualizer(store):
    store.ingest(flow())
    return LineageVisualizer(LineageAnalysis(store.graph, store.settings.default_namespace))


def render_svg(dot_text: str) -> str:
    done = subprocess.run([DOT, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return done.stdout


@needs_dot
def test_dot_of_the_whole_graph_and_of_a_node_renders_with_graphviz(visualizer):
    whole = visualizer.export_to_dot()
    svg = render_svg(whole)
    assert svg.count('class="node"') == 9 + 7                      # datasets and pipelines, no runs
    assert '"s3://landing/orders/2024-05-01.csv" -> "silver/orders" [label="DERIVED_FROM"];' in whole
    assert '"etl/clean" -> "silver/orders" [label="GENERATED_BY"];' in whole
    around = visualizer.export_to_dot("gold/daily", depth=1, direction="upstream")
    svg = render_svg(around)
    assert "<title>silver/orders</title>" in svg and "<title>warehouse/orders</title>" not in svg
    tricky = {"nodes": [{"id": 'odd "name" \\ here', "label": "Dataset"}], "edges": []}
    from lineage.query.render import to_dot
    assert "odd &quot;name&quot;" in render_svg(to_dot(tricky))


def test_json_graph_data(visualizer):
    data = json.loads(visualizer.export_to_json())
    assert (data["node_count"], data["edge_count"], data["truncated"]) == (16, len(data["edges"]), False)
    assert {"source": "gold/daily", "label": "DERIVED_FROM", "target": "silver/orders"} in data["edges"]
    capped = visualizer.generate_graph_data(node_cap=5)
    assert capped["node_count"] == 5 and capped["truncated"]
    impact = visualizer.generate_impact_analysis("silver/orders")
    assert impact["total_downstream_nodes"] == impact["total_affected"] >= 4


def test_summary_report_in_markdown_and_html(visualizer):
    md = visualizer.generate_summary_report()
    assert md.startswith("# Lineage summary report")
    assert "| etl/broken | 1 | 1 | 1.0 |" in md and "| s3://landing/orders/2024-05-01.csv | s3 |" in md
    page = visualizer.generate_summary_report("html")
    assert "<h2>Pipelines</h2>" in page and "<td>etl/broken</td>" in page
    with pytest.raises(Exception, match="format must be one of markdown, html"):
        visualizer.generate_summary_report("pdf")


@needs_dot
def test_the_export_command_writes_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LINEAGE_DB", str(tmp_path / "cli.db"))
    monkeypatch.delenv("LINEAGE_GREMLIN_URL", raising=False)
    events = tmp_path / "flow.json"
    events.write_text(json.dumps(flow()))
    assert main(["ingest", str(events)]) == 0
    assert main(["export", "dot", "--node", "silver/orders", "-o", str(tmp_path / "l.dot")]) == 0
    render_svg((tmp_path / "l.dot").read_text())
    assert main(["export", "timeline", "-o", str(tmp_path / "t.html")]) == 0
    assert (tmp_path / "t.html").read_text().count('<rect class="run"') == 8
    capsys.readouterr()
    assert main(["export", "report", "--format", "markdown"]) == 0
    assert "## Stale datasets" in capsys.readouterr().out
    assert main(["export", "dot", "--node", "nowhere"]) == 1
    assert "'nowhere'" in capsys.readouterr().err


@needs_chromium
def test_the_timeline_in_chromium_has_one_bar_per_run(backend_name, tmp_path, store, browser):
    assets_installed()
    store.ingest(flow())
    settings = make_settings(backend_name, tmp_path)
    with serve(settings) as client:
        base = str(client.base_url).rstrip("/")
        download = client.get("/api/v1/export/dot", params={"node": "silver/orders"})
        assert download.headers["content-disposition"] == 'attachment; filename="lineage.dot"'
        assert client.get("/api/v1/export/pdf").status_code == 400
        assert client.get("/api/v1/export/report", params={"format": "html"}).headers["content-type"].startswith(
            "text/html")
        context = browser.new_context()
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/")                           # the explorer links to the timeline
            with page.expect_popup() as opened:
                page.click('header a[href="/api/v1/export/timeline"]')
            timeline = opened.value
            timeline.on("pageerror", lambda e: errors.append(str(e)))
            timeline.wait_for_selector("svg rect.run")
            page = timeline
            bars = page.eval_on_selector_all("rect.run", "els => els.map(e => [e.dataset.runId, e.dataset.state, "
                                                          "e.getAttribute('fill'), e.getBBox().width])")
            rows = page.eval_on_selector_all("g.pipeline", "els => els.map(e => e.dataset.pipeline)")
            page.screenshot(path=str(tmp_path / "timeline.png"))
            assert errors == []
        finally:
            context.close()
    assert len(bars) == 8 and {b[0] for b in bars} == {run_id(n) for n in (
        "clean", "agg", "export", "join", "broken", "split", "child-a", "child-b")}
    assert rows == ["etl/agg", "etl/broken", "etl/clean", "etl/export", "etl/join", "etl/part", "etl/splitter"]
    colours = {state: fill for _, state, fill, _ in bars}
    assert colours == {"COMPLETE": "#2e7d32", "FAIL": "#c62828"}
    assert all(width >= 3 for *_, width in bars)
