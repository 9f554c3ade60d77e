"""The explorer's Root cause tab, check status, child lists and in-place updates, in a
real headless Chromium against a real server over captured and dbt-ol events.

Screenshots land in the test's tmp path (``screenshots/``) for a person to look at.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

import pytest

from browser_fixtures import assets_installed, browser, needs_chromium, page  # noqa: F401 (fixtures)
from conftest import make_settings
from lineage import LineageStore
from page_scenes import DBT, build
from server_fixtures import gql, serve

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    assets_installed()
    tmp = tmp_path_factory.mktemp("web-rootcause")
    replay_dir = tmp / "replay"
    settings = make_settings("embedded", tmp, replay_dir=str(replay_dir))
    with LineageStore(settings) as store:
        runs = build(store, tmp, replay_dir)
    with serve(settings) as client:
        written = gql(client, """query($good: String!, $bad: String!) {
            good: run(runId: $good) { outputs { datasetId fingerprint } }
            bad: run(runId: $bad) { outputs { datasetId fingerprint } } }""", good=runs.good, bad=runs.bad)["data"]
        yield SimpleNamespace(url=str(client.base_url).rstrip("/"), runs=runs,
                              bad_revenue=written["bad"]["outputs"][0]["fingerprint"],
                              good_revenue=written["good"]["outputs"][0]["fingerprint"])


def node_view(site, node_id, view="graph", **params):
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in {"dir": "both", "depth": 3, "view": view, **params}.items())
    return f"{site.url}/#/node/{quote(node_id, safe='')}?{query}"


def texts(page, selector):
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent.trim())")


def test_root_cause_of_two_runs_names_the_changed_step_with_its_diff(site, page):
    page.goto(node_view(site, "nightly_revenue", "rootcause", type="Pipeline"))
    page.wait_for_selector("#rootcause-form")
    assert len(texts(page, "#rootcause-form tbody tr")) == 3
    assert not page.query_selector("#rootcause-answer")          # nothing is walked before the user asks
    # the newest run is the bad one by default and the good one the run before that wrote something else
    assert page.eval_on_selector("input[name=bad]:checked", "e => e.value") == site.runs.other_data
    assert page.eval_on_selector("input[name=good]:checked", "e => e.value") == site.runs.bad
    page.check(f'input[name=good][value="{site.runs.good}"]')
    page.check(f'input[name=bad][value="{site.runs.bad}"]')
    page.click("#find-cause")
    page.wait_for_selector("#rootcause-verdict")
    assert f"good={site.runs.good}" in page.url and f"bad={site.runs.bad}" in page.url   # the answer is a link
    assert page.inner_text("#rootcause-verdict") == "Code change"
    assert "ran different code on the same inputs" in page.inner_text("#rootcause-explanation")
    step = page.inner_text("#rootcause-step")
    assert f"{site.runs.module}.price" in step
    old, new = page.inner_text("#old-version"), page.inner_text("#new-version")
    assert old.startswith("sha256:") and new.startswith("sha256:") and old != new
    removed, added = texts(page, "#source-diff tr.del .code"), texts(page, "#source-diff tr.add .code")
    assert removed == ['-    out["amount"] = out["qty"] * _rate(base)']
    assert added == ['+    out["amount"] = out["qty"] * _rate(base) + 1']
    assert texts(page, "#source-diff tr.file td") == [f"good  {old}", f"bad   {new}"]
    path = page.eval_on_selector_all("#rootcause-path li", "els => els.map(e => [e.dataset.pipeline, e.className])")
    assert path == [[f"{site.runs.module}.clean", ""], [f"{site.runs.module}.price", "cause"]]
    assert "inputs same · outputs differ" in texts(page, "#rootcause-path li.cause .step-facts")[0]
    page.screenshot(path=page.shots / "rootcause-code-change.png", full_page=True)

    # the default pair: the last run read other data, so the walk ends where it entered
    page.goto(node_view(site, "nightly_revenue", "rootcause", type="Pipeline"))
    page.click("#find-cause")
    page.wait_for_selector("#rootcause-verdict")
    assert page.inner_text("#rootcause-verdict") == "Input data changed"
    good_read, bad_read = texts(page, "#changed-inputs tbody td.mono")
    assert good_read != bad_read and good_read.startswith("table-v1:")
    assert not page.query_selector("#source-diff")


def test_root_cause_of_a_wrong_dataset_version_walks_upstream(site, page):
    page.goto(node_view(site, "gold/revenue", "rootcause", type="Dataset"))
    page.wait_for_selector("#rootcause-form")
    versions = page.eval_on_selector_all("#rootcause-form tr[data-version]", "els => els.map(e => e.dataset.version)")
    assert len(versions) == 3 and site.bad_revenue in versions and site.good_revenue in versions
    page.check(f'input[name=bad][value="{site.bad_revenue}"]')
    page.check(f'input[name=good][value="{site.good_revenue}"]')
    page.click("#find-cause")
    page.wait_for_selector("#rootcause-verdict")
    assert page.inner_text("#rootcause-verdict") == "Code change"
    assert f"{site.runs.module}.price" in page.inner_text("#rootcause-step")
    path = page.eval_on_selector_all("#rootcause-path li", "els => els.map(e => e.dataset.pipeline)")
    assert path[0] == f"{site.runs.module}.aggregate" and path[-1] == f"{site.runs.module}.price"
    assert texts(page, "#source-diff tr.add .code") == ['+    out["amount"] = out["qty"] * _rate(base) + 1']
    page.screenshot(path=page.shots / "rootcause-dataset.png", full_page=True)

    # a run id in the answer opens that run beside it, and the run offers its own root cause
    page.click("#rootcause-step a.panel-link >> nth=1")
    page.wait_for_selector("#details #run-root-cause")
    assert f"Run of {site.runs.module}.price" in page.inner_text("#details")
    assert page.inner_text("#parent").startswith("Started by run nightly_revenue (run ")


def test_check_status_on_nodes_and_in_the_dataset_panel(site, page):
    payments = DBT + "stg_payments"
    page.goto(node_view(site, payments, depth=1))
    page.wait_for_selector(".node.center .check-badge")
    badge = page.query_selector(".node.center .check-badge")
    assert badge.get_attribute("data-status") == "FAIL" and page.text_content(".node.center .check-badge .badge-text") == "✗ 1/3"
    assert "checks FAIL: 1 of 3 failing (accepted_values_stg_payments_payment_method" in \
        page.get_attribute(".node.center", "aria-label")
    drawn = page.eval_on_selector_all("#graph .node", "els => els.map(e => e.dataset.id)")
    assert not [n for n in drawn if n.endswith(".test") or "dbt_test__audit" in n]   # checks are not lineage
    page.click(".node.center", modifiers=["Shift"])
    page.wait_for_selector("#checks-status")
    assert page.inner_text("#checks-status") == "FAIL 1 of 3 failing"
    checks = page.query_selector_all("#checks > li")
    assert [c.get_attribute("class") for c in checks] == ["check FAIL", "check PASS", "check PASS"]
    failing = checks[0].inner_text()
    assert "accepted_values_stg_payments_payment_method" in failing and "✗ accepted_values on payment_method" in failing
    page.screenshot(path=page.shots / "checks-failing.png")

    orders = DBT + "stg_orders"
    page.goto(node_view(site, orders, depth=1))
    page.wait_for_selector(f'.node.center[data-id="{orders}"] .check-badge')
    assert page.text_content(".node.center .check-badge .badge-text") == "✓ 3"
    page.click(".node.center", modifiers=["Shift"])
    page.wait_for_selector("#checks-status")
    assert page.inner_text("#checks-status") == "PASS all 3 passed"
    assert len(page.query_selector_all("#checks > li.check.PASS")) == 3
    unchecked = page.query_selector_all('.node.Dataset:not(.center) .check-badge')
    assert all(b.get_attribute("data-status") in ("PASS", "FAIL") for b in unchecked)


def test_a_warning_is_neither_a_pass_nor_a_failure(site, page):
    page.goto(node_view(site, "bronze/returns", depth=1))
    page.wait_for_selector(".node.center .check-badge")
    badge = page.query_selector(".node.center .check-badge")
    assert badge.get_attribute("data-status") == "WARN" and page.text_content(".node.center .check-badge .badge-text") == "! 1/2"
    assert "checks WARN: 1 of 2 warning (relationships_returns_order), none failing" in \
        page.get_attribute(".node.center", "aria-label")
    page.click(".node.center", modifiers=["Shift"])
    page.wait_for_selector("#checks-status")
    assert page.inner_text("#checks-status") == "WARN 1 of 2 warning, none failing"
    checks = page.query_selector_all("#checks > li")
    assert [c.get_attribute("class") for c in checks] == ["check WARN", "check PASS"]
    assert "! relationships on id (severity warn)" in checks[0].inner_text()
    page.screenshot(path=page.shots / "checks-warning.png")


def test_children_are_listed_with_state_and_link_to_their_parent(site, page):
    page.goto(node_view(site, "bronze/orders_raw"))
    page.wait_for_selector('.node[data-id="etl_nightly.load_orders"]')
    drawn = page.eval_on_selector_all("#graph .node", "els => els.map(e => e.dataset.id)")
    assert "etl_nightly.vacuum" not in drawn and "etl_nightly" not in drawn   # reads and writes nothing: not drawn
    page.click('.node[data-id="etl_nightly.load_orders"]', modifiers=["Shift"])
    page.wait_for_selector("#parent")
    assert page.inner_text("#parent") == "Started by job etl_nightly"
    page.click("#parent a")
    page.wait_for_selector("#children")
    assert page.inner_text("#details h2") == "etl_nightly"
    rows = page.eval_on_selector_all("#children tbody tr", "els => els.map(e => [e.dataset.child, e.cells[0].textContent])")
    assert rows == [["etl_nightly.load_orders", "COMPLETE"], ["etl_nightly.vacuum", "FAIL"]]
    assert "Child jobs (2, 1 failed)" in page.inner_text("#details")
    page.screenshot(path=page.shots / "children-of-a-job.png")

    page.click("#details .runs tbody tr a")                     # the parent's run lists its child runs
    page.wait_for_selector("#details #children")
    runs = page.eval_on_selector_all("#children tbody tr", "els => els.map(e => e.cells[0].textContent)")
    assert sorted(runs) == ["COMPLETE", "FAIL"]
    assert "Run of etl_nightly" in page.inner_text("#details")
    page.click('#children a:has-text("etl_nightly.vacuum")')     # a child run links back to its parent run
    page.wait_for_selector("#details #parent")
    assert page.inner_text("#parent").startswith("Started by run etl_nightly (run ")
    page.screenshot(path=page.shots / "child-run.png")


def test_an_update_in_place_draws_as_a_loop(site, page):
    page.goto(node_view(site, "bronze/clicks"))
    page.wait_for_selector(".node.center")
    loop = page.query_selector('.edge.DERIVED_FROM[data-from="bronze/clicks"][data-to="bronze/clicks"]')
    assert loop is not None
    assert "updated in place" in texts(page, ".edge-label text")
    # the loop sits on the dataset's box: its path starts and ends on the node
    box = page.eval_on_selector(".node.center", "g => g.getBBox && g.getBoundingClientRect().toJSON()")
    path = loop.query_selector("path").bounding_box()
    assert box["left"] - 1 <= path["x"] and path["x"] + path["width"] <= box["right"] + 1
    assert path["y"] + path["height"] <= box["top"] + 6 and path["height"] >= 12
    edges = page.eval_on_selector_all(".edge", "els => els.map(e => [e.dataset.label, e.dataset.from, e.dataset.to])")
    assert ["CONSUMES", "bronze/clicks", "dedupe_clicks"] in edges and ["GENERATED_BY", "dedupe_clicks", "bronze/clicks"] in edges
    page.click(".node.center", modifiers=["Shift"])
    page.wait_for_selector("#in-place")
    assert page.inner_text("#in-place") == "Updated in place: derived from itself by dedupe_clicks."
    page.screenshot(path=page.shots / "in-place.png")
