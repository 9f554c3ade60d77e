"""The explorer draws column lineage: opening a dataset's columns draws its field-to-field
derivations as edges between the column rows (routed by ELK like any edge), marks the
masking one, and keeps the graph legible. Real Chromium on the demo lakehouse."""

from __future__ import annotations

import pytest

from browser_fixtures import assets_installed, browser, needs_chromium, page  # noqa: F401 (fixtures)
from conftest import make_settings
from lineage import LineageStore
from lineage._demo import demo_events
from server_fixtures import serve
from test_web_layout import assert_legible

pytestmark = needs_chromium

EDGES = "els => els.map(e => [e.dataset.input, e.dataset.output, e.classList.contains('masking')])"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    assets_installed()
    settings = make_settings("embedded", tmp_path_factory.mktemp("web-columns"))
    with LineageStore(settings) as store:
        store.ingest(demo_events("default"))
    with serve(settings) as client:
        yield str(client.base_url).rstrip("/")


def test_open_columns_draw_field_derivations(site, page):
    page.goto(site + "/#/node/silver%2Fcustomers?type=Dataset&dir=both&depth=1&view=graph")
    page.wait_for_selector("#graph .node.center")
    assert page.locator("#graph .edge.FIELD_DERIVED_FROM").count() == 0   # nothing until columns open
    page.click("#graph .node.center .fields-toggle")
    page.wait_for_selector("#graph .edge.FIELD_DERIVED_FROM")
    page.click('#graph .node[data-id="gold/customers"] .fields-toggle')
    page.wait_for_function("document.querySelectorAll('#graph .node[data-id=\"gold/customers\"] .field').length === 4")
    page.wait_for_selector("#graph .edge.FIELD_DERIVED_FROM.masking")
    edges = page.eval_on_selector_all("#graph .edge.FIELD_DERIVED_FROM", EDGES)
    assert ["silver/customers#email", "gold/customers#email", True] in edges
    assert ["silver/customers#customer_id", "gold/customers#customer_id", False] in edges
    assert ["bronze/customers#email", "silver/customers#email", False] in edges
    # the filter on email (INDIRECT) is not drawn by default: it picks rows, it carries no value
    assert ["silver/customers#email", "gold/customers#country", False] not in edges
    labels = page.eval_on_selector_all("#graph .edge-label.column", "els => els.map(e => e.textContent)")
    assert "masked" in labels and "email" in labels     # bronze is closed: its end says which field
    hover = page.eval_on_selector('#graph .edge.masking', "e => e.querySelector('title').textContent")
    assert "DIRECT TRANSFORMATION, masking (rows whose email fails validation are dropped; sha2(email, 256)) "\
           "by promote_customers" in hover
    # the masked edge ends at gold/customers' email row
    row = page.eval_on_selector_all('#graph .node[data-id="gold/customers"] .field',
                                    "els => els.map(e => e.getBoundingClientRect()).map(r => [r.top, r.bottom])")[1]
    end = page.eval_on_selector("#graph .edge.masking path", """p => { const m = p.getScreenCTM();
        const pts = p.getAttribute('d').slice(1).split(' L').map(s => s.split(',').map(Number));
        const [x, y] = pts[pts.length - 1]; return m.d * y + m.f; }""")
    assert row[0] - 2 <= end <= row[1] + 2
    assert_legible(page, "columns")
    # with every edge label, the indirect derivations appear too
    page.check("#edge-labels")
    page.wait_for_function("[...document.querySelectorAll('#graph .edge.FIELD_DERIVED_FROM')]"
                           ".some(e => e.dataset.output === 'gold/customers#country' && e.dataset.input === 'silver/customers#email')")
    page.screenshot(path=page.shots / "columns-indirect.png")
    # closing the columns removes them
    for node in ("silver/customers", "gold/customers"):   # (the wider graph may put a toggle out of view)
        page.eval_on_selector(f'#graph .node[data-id="{node}"] .fields-toggle',
                              "e => e.dispatchEvent(new MouseEvent('click', { bubbles: true }))")
        page.wait_for_timeout(300)
    page.wait_for_function("document.querySelectorAll('#graph .edge.FIELD_DERIVED_FROM').length === 0")
