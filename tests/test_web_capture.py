"""The explorer's run details show what capture recorded: code version, change flag, outputs."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_settings
from lineage import LineageStore, LineageTracker, track_lineage
from server_fixtures import serve

CHROMIUM = os.environ.get("LINEAGE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="browser tests need Debian's chromium: apt-get install chromium "
                                       "(or LINEAGE_TEST_CHROMIUM=/path/to/chromium)")


def test_run_details_show_code_versions_and_outputs(tmp_path):
    from playwright.sync_api import sync_playwright

    settings = make_settings("embedded", tmp_path)
    with LineageStore(settings) as store, LineageTracker(store=store) as tracker:
        for factor in (2, 2, 3):  # the same step three times; the last with a changed body
            source = tmp_path / "job.py"
            source.write_text(f"def step(frame):\n    return frame * {factor}\n")
            exec(compile(source.read_text(), str(source), "exec"), scope := {})
            track_lineage(scope["step"], tracker=tracker, name="scaled", outputs=["gold/scaled"])(
                pd.DataFrame({"a": [1, 2, 3]}))
        tracker.flush()
    with serve(settings) as client, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(str(client.base_url).rstrip("/") + "/#/node/gold%2Fscaled?dir=both&depth=1&view=graph")
        page.wait_for_selector('.node[data-id="scaled"]')
        page.click('.node[data-id="scaled"]', modifiers=["Shift"])
        page.wait_for_selector("#details table .state-COMPLETE")
        details = page.inner_text("#details")
        browser.close()
    assert "code" in details and "(changed)" in details and details.count("(changed)") == 1
    assert "gold/scaled · 3 rows · table-v1:" in details
    assert errors == []
