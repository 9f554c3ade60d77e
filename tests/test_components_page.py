"""The Components page in a real headless Chromium against a real server."""

from datetime import datetime, timedelta, timezone

from browser_fixtures import assets_installed, browser, needs_chromium, watched_page  # noqa: F401 (fixture)
from conftest import make_settings
from lineage._builders import EventBuilder
from server_fixtures import serve

pytestmark = needs_chromium


def test_components_page_shows_liveness_links_and_who_wrote_a_run(tmp_path, browser):
    from playwright.sync_api import expect

    assets_installed()
    now = datetime.now(timezone.utc)
    beat = {"id": "orders-mapper", "instance_id": "i-1", "name": "Orders mapper", "component_type": "mapper",
            "timestamp": now.isoformat(), "reporting_period": 15, "status": "RUNNING",
            "input": {"name": "raw-orders", "type": "topic"}, "output": {"name": "orders", "type": "topic"}}
    late = {**beat, "id": "old-projector", "name": "Old projector", "instance_id": "i-2",
            "timestamp": (now - timedelta(minutes=2)).isoformat()}
    builder = EventBuilder("default")
    first = builder.pipeline_run("ingest", outputs=["bronze/a"])[-1]
    first["run"]["facets"] = {"audit": {"requestId": "a:1"}}
    second = builder.pipeline_run("clean", inputs=["bronze/a"], outputs=["silver/a"])[-1]
    second["run"]["facets"] = {"audit": {"requestId": "b:1", "inputRequestIds": ["a:1"], "execPath": "cleaner"}}
    with serve(make_settings("embedded", tmp_path, api_tokens="carol:c-token")) as client:
        auth = {"Authorization": "Bearer c-token"}
        for body in (beat, late):
            assert client.post("/api/v1/heartbeats", json=body, headers=auth).status_code == 201
        for event in (first, second):
            assert client.post("/api/v1/lineage", json=event, headers=auth).status_code == 201
        base = str(client.base_url).rstrip("/")
        with watched_page(browser, tmp_path, viewport={"width": 1280, "height": 800}) as page:
            page.goto(base + "/")
            page.get_by_role("link", name="Components", exact=True).click()
            expect(page.locator("#summary")).to_have_text("2 components: 1 live, 1 late, 0 gone.")
            live = page.locator('tr[data-component="orders-mapper"]')
            expect(live.locator(".state").first).to_have_text("live")
            expect(page.locator('tr[data-component="old-projector"] .state').first).to_have_text("late")
            expect(live).to_contain_text("(by carol)")
            live.get_by_role("link", name="topic/raw-orders").click()
            expect(page).to_have_url(f"{base}/#/node/topic%2Fraw-orders?type=Dataset&dir=both&depth=3&view=graph")
            page.goto(f"{base}/static/components.html#run={second['run']['runId']}")
            trace = page.locator("#trace")
            expect(trace).to_contain_text("written bycarol")
            expect(trace).to_contain_text("componentcleaner")
            expect(trace.locator(".trace-step .trace-step")).to_contain_text(first["run"]["runId"])
            page.screenshot(path=str(page.shots / "components.png"), full_page=True)
