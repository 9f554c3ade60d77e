"""The page's Versions tab and time control in a real headless Chromium.

Screenshots are saved under the test's tmp path (``screenshots/``)."""

from __future__ import annotations

import pytest

from browser_fixtures import assets_installed, browser, needs_chromium, page  # noqa: F401 (fixtures)
from conftest import make_settings
from lineage import LineageStore
from server_fixtures import serve
from versions_events import rewritten_three_times, stops_reading

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    assets_installed()
    settings = make_settings("embedded", tmp_path_factory.mktemp("web-versions"))
    with LineageStore(settings) as store:
        store.ingest(rewritten_three_times() + stops_reading())
    with serve(settings) as client:
        yield str(client.base_url).rstrip("/")


def node_ids(page):
    return sorted(page.eval_on_selector_all("#graph .node", "els => els.map(e => e.dataset.id)"))


def test_the_versions_tab_shows_each_version_with_its_schema_diff(site, page):
    page.goto(site + "/#/node/gold%2Fcustomers?type=Dataset&dir=both&depth=2&view=graph")
    page.wait_for_selector('.node.center[data-id="gold/customers"]')
    page.click('.node[data-id="gold/customers"]', modifiers=["Shift"])
    page.wait_for_selector("#tab-versions")
    assert page.is_visible("#details-body") and not page.is_visible("#versions-body")
    page.click("#tab-versions")
    page.wait_for_selector("#versions-table tbody tr")
    rows = page.eval_on_selector_all("#versions-table tbody tr", "rs => rs.map(r => r.dataset.version)")
    assert rows == ["v3", "v2", "v1"]
    newest = page.inner_text('#versions-table tr[data-version="v3"]')
    assert "− name string" in newest and "~ id int → bigint" in newest and "15" in newest
    assert "+ email string" in page.inner_text('#versions-table tr[data-version="v2"]')
    assert "silver/customers@s1" in page.inner_text('#versions-table tr[data-version="v1"]')
    assert page.eval_on_selector('#versions-table tr[data-version="v3"]', "r => r.className") == "current"
    page.screenshot(path=page.shots / "versions-tab.png")
    page.click("#tab-details")
    assert page.is_visible("#details-body") and not page.is_visible("#versions-body")


def test_the_time_control_shows_the_graph_as_it_was(site, page):
    page.goto(site + "/#/node/mart%2Freport?type=Dataset&dir=upstream&depth=1&view=graph")
    page.wait_for_selector('.node.center[data-id="mart/report"]')
    assert "raw/refunds" in node_ids(page)            # now: everything ever recorded
    page.fill("#as-of", "2024-01-05T00:00:00")
    page.dispatch_event("#as-of", "change")
    page.wait_for_function("location.hash.includes('at=2024-01-05')")
    page.wait_for_function("!document.querySelector('.node[data-id=\"raw/refunds\"]')")
    assert "raw/orders" in node_ids(page)
    assert "As of 2024-01-05 00:00:00 UTC" in page.inner_text("#as-of-notice")
    page.screenshot(path=page.shots / "as-of-after.png")
    page.fill("#as-of", "2024-01-02T00:00:00")
    page.dispatch_event("#as-of", "change")
    page.wait_for_selector('.node[data-id="raw/refunds"]')
    # the details' versions mark the one current at the time shown
    page.click('.node[data-id="mart/report"]', modifiers=["Shift"])
    page.click("#tab-versions")
    page.wait_for_selector("#versions-table tr.current")
    assert page.eval_on_selector("#versions-table tr.current", "r => r.dataset.version") == "1"
    assert page.eval_on_selector('#versions-table tr[data-version="2"]', "r => r.className") == "later"
    page.screenshot(path=page.shots / "as-of-before.png")
    # the impact view asks as of the same time; Now clears it
    page.goto(site + "/#/node/raw%2Frefunds?type=Dataset&dir=both&depth=3&view=impact&at=2024-01-05T00:00:00Z")
    page.wait_for_selector("#severity")
    assert "0 affected" in page.inner_text("#impact")
    page.click("#as-of-now")
    page.wait_for_function("!location.hash.includes('at=')")
    page.wait_for_function("document.getElementById('impact').innerText.includes('2 affected') || "
                           "document.getElementById('impact').innerText.includes('4 affected')")
