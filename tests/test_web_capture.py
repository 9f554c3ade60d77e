"""The explorer's run details show what capture recorded: code version, change flag, outputs."""

import pandas as pd

from browser_fixtures import assets_installed, browser, needs_chromium, page  # noqa: F401 (fixtures)
from conftest import make_settings
from lineage import LineageStore, LineageTracker, track_lineage
from server_fixtures import serve

pytestmark = needs_chromium


def test_run_details_show_code_versions_and_outputs(tmp_path, page):
    assets_installed()
    settings = make_settings("embedded", tmp_path)
    with LineageStore(settings) as store, LineageTracker(store=store) as tracker:
        for factor in (2, 2, 3):  # the same step three times; the last with a changed body
            source = tmp_path / "job.py"
            source.write_text(f"def step(frame):\n    return frame * {factor}\n")
            exec(compile(source.read_text(), str(source), "exec"), scope := {})
            track_lineage(scope["step"], tracker=tracker, name="scaled", outputs=["gold/scaled"])(
                pd.DataFrame({"a": [1, 2, 3]}))
        tracker.flush()
    with serve(settings) as client:
        page.goto(str(client.base_url).rstrip("/") + "/#/node/gold%2Fscaled?dir=both&depth=1&view=graph")
        page.wait_for_selector('.node[data-id="scaled"]')
        page.click('.node[data-id="scaled"]', modifiers=["Shift"])
        page.wait_for_selector("#details table .state-COMPLETE")
        details = page.inner_text("#details")
    assert "code" in details and "(changed)" in details and details.count("(changed)") == 1
    assert "gold/scaled · 3 rows · table-v1:" in details
