"""Lineage for the explorer's root cause, checks and parent/child views, made the way a
user makes it: dbt-ol's events (checks, a dbt run and its model jobs), a captured
three-step pipeline run before and after a code change and with other input data
(replay folder kept), an update in place, and a child job that reads and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from lineage import LineageStore, LineageTracker, set_global_tracker
from lineage._builders import EventBuilder
from test_replay import RAW, STEPS, Pipeline

DATA = Path(__file__).parent / "data"
DBT_NS = "postgres://warehouse.internal:5432"
DBT = DBT_NS + "/analytics.dbt_prod."
CHANGED = STEPS.replace("* _rate(base)\n    return out", "* _rate(base) + 1\n    return out", 1)


def dbt_events() -> list[dict]:
    return [json.loads(line) for line in (DATA / "dbt_jaffle_shop.ndjson").read_text().splitlines() if line]


def in_place() -> list[dict]:
    """bronze/clicks loaded, then deduplicated in place by a job that reads and writes it."""
    b = EventBuilder("default")
    return (b.pipeline_run("load_clicks", inputs=["landing/clicks.json"], outputs=["bronze/clicks"],
                           start_time="2026-03-01T00:00:00Z")
            + b.pipeline_run("dedupe_clicks", inputs=["bronze/clicks"], outputs=["bronze/clicks"],
                             start_time="2026-03-01T01:00:00Z")
            + b.pipeline_run("sessionize", inputs=["bronze/clicks"], outputs=["silver/sessions"],
                             start_time="2026-03-01T02:00:00Z"))


def quiet_child() -> list[dict]:
    """A nightly job with two children: one loads orders, one runs a statement that names no dataset."""
    b = EventBuilder("default")
    parent = b.pipeline_run("etl_nightly", start_time="2026-03-02T00:00:00Z")
    run_id = parent[0]["run"]["runId"]
    facet = {"_producer": "https://example.com/producer", "_schemaURL": "https://openlineage.io/spec/facets/"
             "1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet",
             "run": {"runId": run_id}, "job": {"namespace": "default", "name": "etl_nightly"}}
    kids = (b.pipeline_run("etl_nightly.load_orders", inputs=["landing/orders.csv"], outputs=["bronze/orders_raw"],
                           start_time="2026-03-02T00:01:00Z")
            + b.pipeline_run("etl_nightly.vacuum", start_time="2026-03-02T00:02:00Z", final_state="FAIL"))
    for event in kids:
        event["run"].setdefault("facets", {})["parent"] = facet
    return parent + kids


def warned_check() -> list[dict]:
    """bronze/returns loaded, then tested twice: a not_null that passes and a relationships
    test of severity warn that fails (a warning, as dbt sees it)."""
    b = EventBuilder("default")
    events = b.pipeline_run("load_returns", inputs=["landing/returns.csv"], outputs=["bronze/returns"],
                            start_time="2026-03-03T00:00:00Z")
    meta = {"_producer": "https://example.com/producer", "_schemaURL": "https://openlineage.io/spec/facets/"}
    for name, success, severity in (("not_null_returns_id", True, "error"), ("relationships_returns_order", False, "warn")):
        for event in b.pipeline_run(name, inputs=["bronze/returns"], start_time="2026-03-03T01:00:00Z"):
            event["job"]["facets"] = {"jobType": {**meta, "_schemaURL": meta["_schemaURL"] + "2-0-3/JobTypeJobFacet.json"
                                                  "#/$defs/JobTypeJobFacet", "processingType": "BATCH",
                                                  "integration": "DBT", "jobType": "TEST"}}
            if event["eventType"] == "COMPLETE":
                event["inputs"][0]["inputFacets"] = {"dataQualityAssertions": {
                    **meta, "_schemaURL": meta["_schemaURL"] + "1-0-1/DataQualityAssertionsDatasetFacet.json"
                    "#/$defs/DataQualityAssertionsDatasetFacet",
                    "assertions": [{"assertion": name.split("_returns")[0], "success": success, "column": "id",
                                    "severity": severity}]}}
            events.append(event)
    return events


def captured(store: LineageStore, folder: Path, replay_dir: Path) -> SimpleNamespace:
    """nightly_revenue three times: good, after price's body changed (bad), then on other data."""
    code = folder / "code"
    code.mkdir()
    pipeline = Pipeline(code, f"steps_page_{abs(hash(str(folder))) % 10**8}")
    tracker = LineageTracker(store=store, replay_dir=replay_dir)
    set_global_tracker(tracker)
    try:
        good = pipeline.run(tracker)
        pipeline.write(CHANGED)
        bad = pipeline.run(tracker)
        other_data = pipeline.run(tracker, RAW.assign(qty=[1, 0, 4, 2]))
    finally:
        set_global_tracker(None)
        tracker.close()
        pipeline.close()
    return SimpleNamespace(good=good, bad=bad, other_data=other_data, module=pipeline.name)


def build(store: LineageStore, folder: Path, replay_dir: Path) -> SimpleNamespace:
    result = store.ingest(dbt_events() + in_place() + quiet_child() + warned_check())
    assert not result.rejected, result.rejected
    return captured(store, folder, replay_dir)

