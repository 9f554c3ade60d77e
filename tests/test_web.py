"""The lineage explorer in a real headless Chromium against a real server.

Screenshots of the main views are saved under the test's tmp path
(``screenshots/``) for a person to look at.
"""

from pathlib import Path

import pytest

from browser_fixtures import assets_installed, browser, needs_chromium, watched_page  # noqa: F401 (fixture)
from conftest import food_delivery, make_settings
from lineage import LineageStore
from lineage._builders import EventBuilder
from lineage._demo import demo_events
from server_fixtures import serve

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    assets_installed()
    tmp = tmp_path_factory.mktemp("web")
    settings = make_settings("embedded", tmp)
    with LineageStore(settings) as store:
        hub = EventBuilder("default")
        fan = [e for i in range(240) for e in hub.pipeline_run(
            f"fan_{i}", inputs=["gold/hub"], outputs=[f"gold/hub_out_{i}"], start_time="2026-01-02T00:00:00Z")]
        store.ingest(demo_events("default") + food_delivery() + fan)
    with serve(settings) as client:
        yield str(client.base_url).rstrip("/")


@pytest.fixture
def page(browser, tmp_path):
    with watched_page(browser, tmp_path, viewport={"width": 1280, "height": 800}, accept_downloads=True) as pg:
        yield pg


def node_ids(page):
    return sorted(page.eval_on_selector_all("#graph .node", "els => els.map(e => e.dataset.id)"))


def test_search_finds_a_table_and_shows_its_upstream(site, page):
    page.goto(site + "/")
    page.fill("#search", "public.orders_7")
    page.wait_for_selector('#results li[data-id="food_delivery/public.orders_7_days"]')
    page.screenshot(path=page.shots / "search.png")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector(".node.center")
    assert page.inner_text("#title") == "food_delivery/public.orders_7_days"
    page.select_option("#direction", "upstream")
    page.fill("#depth", "1")
    page.dispatch_event("#depth", "change")
    page.wait_for_function("location.hash.includes('dir=upstream') && location.hash.includes('depth=1')")
    page.wait_for_function("document.querySelectorAll('#graph .node').length === 6")
    assert node_ids(page) == ["food_delivery/etl_orders_7_days", "food_delivery/public.categories",
                              "food_delivery/public.menu_items", "food_delivery/public.menus",
                              "food_delivery/public.orders", "food_delivery/public.orders_7_days"]
    page.screenshot(path=page.shots / "upstream.png")


def test_clicking_a_node_recentres_and_the_details_show_runs(site, page):
    page.goto(site + "/#/node/food_delivery%2Fpublic.orders_7_days?dir=upstream&depth=1&view=graph")
    page.wait_for_selector(".node.center")
    page.click('.node[data-id="food_delivery/public.menus"]')
    page.wait_for_function("document.getElementById('title').textContent === 'food_delivery/public.menus'")
    page.wait_for_selector('.node.center[data-id="food_delivery/public.menus"]')
    assert "public.menus" in page.evaluate("decodeURIComponent(location.hash)")
    page.click('.node[data-id="food_delivery/etl_menus"]', modifiers=["Shift"])
    page.wait_for_selector("#details table .state-COMPLETE")
    assert "Recent runs" in page.inner_text("#details")
    page.screenshot(path=page.shots / "details.png")


def test_impact_view_lists_models_and_exports_csv(site, page):
    page.goto(site + "/#/node/silver%2Fcustomers?type=Dataset&dir=both&depth=3&view=impact")
    page.wait_for_selector("#severity")
    assert page.inner_text("#severity") == "HIGH"
    models = page.eval_on_selector_all('section[data-kind="Models"] tbody tr td:first-child', "els => els.map(e => e.textContent)")
    assert models == ["churn_predictor@2", "churn_predictor@3", "ltv_model@1"]
    page.screenshot(path=page.shots / "impact.png")
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text()
    assert text.splitlines()[0] == '"kind","id","distance","path"'
    assert '"Model","ltv_model@1","3","silver/customers > gold/customers > features/customer_features > ltv_model@1"' in text


def test_model_view_gives_the_verdict_and_reasons(site, page):
    page.goto(site + "/#/node/churn_predictor%402?type=Model&dir=both&depth=3&view=model")
    page.wait_for_selector("#verdict")
    assert page.inner_text("#verdict") == "Not reproducible"
    assert "gold/customers is not pinned" in page.inner_text("#missing")
    page.screenshot(path=page.shots / "model.png")
    page.goto(site + "/#/node/churn_predictor%403?type=Model&dir=both&depth=3&view=model")
    page.wait_for_function("document.getElementById('verdict')?.textContent === 'Reproducible'")
    assert "snapshot_def456" in page.inner_text("#model")
    assert "null" not in page.inner_text("#model") and not page.locator("#missing").count()
    # a model named without its version: its versions, as links, said once
    page.goto(site + "/#/node/churn_predictor?type=Model&dir=both&depth=3&view=model")
    page.wait_for_selector("#model .choices a")
    body = page.inner_text("body")
    assert "Something went wrong" not in body and body.count("Which version?") == 1
    assert page.eval_on_selector_all("#model .choices a", "els => els.map(e => e.textContent)") == \
        ["churn_predictor@2", "churn_predictor@3"]
    page.click("#model .choices a >> text=churn_predictor@3")
    page.wait_for_function("document.getElementById('verdict')?.textContent === 'Reproducible'")


def test_a_deep_link_reopens_the_same_view(site, page, browser):
    link = site + "/#/node/gold%2Fcustomers?type=Dataset&dir=downstream&depth=2&view=graph"
    page.goto(link)
    page.wait_for_selector(".node.center")
    first = node_ids(page)
    other = browser.new_page(viewport={"width": 1280, "height": 800})
    other.goto(link)
    other.wait_for_selector(".node.center")
    assert node_ids(other) == first and other.input_value("#direction") == "downstream"
    assert "churn_predictor@3" in first and "silver/customers" not in first
    other.close()
    page.screenshot(path=page.shots / "graph.png")


def test_truncation_unknown_nodes_and_keyboard(site, page):
    page.goto(site + "/#/node/gold%2Fhub?dir=downstream&depth=2&view=graph")
    page.wait_for_selector("#truncated")
    page.wait_for_selector("#graph .node.more")
    assert "of 200 nodes folded" in page.inner_text("#fold-notice")
    page.screenshot(path=page.shots / "truncated.png")
    page.goto(site + "/#/node/gold%2Fnope?dir=both&depth=3&view=graph")
    page.wait_for_selector("#canvas-message [role=alert]")
    # said once, and the legend stays above the canvas
    assert page.inner_text("body").count("Unknown node") == 1
    assert page.locator("#legend").bounding_box()["y"] < page.locator("#canvas-message").bounding_box()["y"]
    page.goto(site + "/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("churn")
    page.wait_for_selector("#results li[data-id]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#verdict")


def test_narrow_window(site, browser, tmp_path):
    narrow = browser.new_page(viewport={"width": 420, "height": 860})
    narrow.goto(site + "/#/node/gold%2Fcustomers?dir=both&depth=2&view=graph")
    narrow.wait_for_selector(".node.center")
    assert narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    narrow.screenshot(path=tmp_path / "narrow.png", full_page=True)
    narrow.close()


def test_empty_and_unreachable_states(browser, tmp_path):
    with serve(make_settings("embedded", tmp_path)) as client:
        page = browser.new_page()
        page.goto(str(client.base_url).rstrip("/") + "/")
        page.wait_for_selector("#empty")
        text = page.inner_text("#empty")
        assert "No lineage yet" in text and "lineage demo" in text and "/api/v1/lineage" in text
        page.screenshot(path=tmp_path / "empty.png")
        base = str(client.base_url).rstrip("/")
    page.goto("about:blank")
    page.set_content("<p>offline</p>")
    page.route("**/graphql", lambda route: route.abort())
    with serve(make_settings("embedded", tmp_path / "again")) as client:
        page.goto(str(client.base_url).rstrip("/") + "/")
        page.wait_for_selector("#home-status [role=alert]")
        assert "cannot be reached" in page.inner_text("#home-status")
    page.close()
    assert base
