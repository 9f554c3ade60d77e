"""Dataset version history on every backend: versions from the version facet,
Iceberg-style snapshot ids and data fingerprints, with their runs, schema changes
and inputs; re-sending and reordering events give the same history."""

from __future__ import annotations

import random

import pytest

from lineage import LineageAnalysis, VersionHistory
from lineage._errors import InvalidArgument
from lineage.versions import schema_change
from versions_events import V1, V2, V3, dataset, rewritten_three_times, run_event, run_id


def history(store, dataset_id, **kw):
    return VersionHistory(LineageAnalysis(store.graph)).versions(dataset_id, **kw)


def test_a_dataset_rewritten_three_times_shows_three_versions_with_the_schema_diff(store):
    store.ingest(rewritten_three_times())
    versions = history(store, "gold/customers")
    assert [v["version"] for v in versions] == ["v3", "v2", "v1"]
    assert [v["source"] for v in versions] == ["version"] * 3
    assert [v["created_at"] for v in versions] == [
        "2024-01-03T10:00:00.000000Z", "2024-01-02T10:00:00.000000Z", "2024-01-01T10:00:00.000000Z"]
    assert [v["run"]["id"] for v in versions] == [run_id("load-3"), run_id("load-2"), run_id("load-1")]
    assert [v["row_count"] for v in versions] == [15, 12, 10]
    assert [[(f["name"], f["type"]) for f in v["fields"]] for v in versions] == [V3, V2, V1]
    v3, v2, v1 = versions
    assert v1["schema_change"] is None
    assert v2["schema_change"] == {"added": [{"name": "email", "type": "string"}], "removed": [], "retyped": []}
    assert v3["schema_change"] == {"added": [], "removed": [{"name": "name", "type": "string"}],
                                   "retyped": [{"name": "id", "before": "int", "after": "bigint"}]}
    # the first load named its input's version; the others read whatever version was newest then
    assert v1["inputs"] == [{"dataset_id": "silver/customers", "version": "s1",
                             "version_id": "silver/customers@s1", "resolved": "recorded"}]
    assert v2["inputs"] == [{"dataset_id": "silver/customers", "version": "s2",
                             "version_id": "silver/customers@s2", "resolved": "latest"}]
    assert v3["inputs"][0]["version"] == "s2"
    # the input's history: its versions written by clean_customers (s1 also seen as read)
    assert [(v["version"], v["run"]["id"]) for v in history(store, "silver/customers")] == [
        ("s2", run_id("clean-2")), ("s1", run_id("clean-1"))]


def test_as_of_and_limit_keep_the_versions_of_then(store):
    store.ingest(rewritten_three_times())
    assert [v["version"] for v in history(store, "gold/customers", as_of="2024-01-02T12:00:00Z")] == ["v2", "v1"]
    assert [v["version"] for v in history(store, "gold/customers", as_of="2024-01-02")] == ["v1"]
    assert [v["version"] for v in history(store, "gold/customers", limit=1)] == ["v3"]
    with pytest.raises(InvalidArgument, match="asOf must be an RFC 3339 date-time"):
        history(store, "gold/customers", as_of="yesterday")


def test_resending_and_reordering_give_the_same_history(store, open_store):
    events = rewritten_three_times()
    store.ingest(events)
    store.ingest(events)
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    other = open_store("shuffled")
    for event in shuffled:
        other.ingest([event])
    assert history(other, "gold/customers") == history(store, "gold/customers")
    assert other.snapshot() == store.snapshot()


def test_versions_from_fingerprints(store):
    """Our capture SDK's data fingerprint is the version when no version facet is sent
    (and the capture SDK sends it as both: the source is still the fingerprint)."""
    events = [
        run_event("capture_job", "c1", "2024-02-01T00:00:00Z", [],
                  [dataset("lake", "scores", fingerprint="sha256:aaa", rows=3)]),
        run_event("capture_job", "c2", "2024-02-02T00:00:00Z", [],
                  [dataset("lake", "scores", version="sha256:bbb", fingerprint="sha256:bbb", rows=4)]),
        # the same data written again is the same version: created by the earlier run
        run_event("capture_job", "c3", "2024-02-03T00:00:00Z", [],
                  [dataset("lake", "scores", fingerprint="sha256:aaa", rows=3)]),
    ]
    store.ingest(events)
    versions = history(store, "lake/scores")
    assert [(v["version"], v["source"], v["row_count"], v["run"]["id"]) for v in versions] == [
        ("sha256:bbb", "fingerprint", 4, run_id("c2")), ("sha256:aaa", "fingerprint", 3, run_id("c1"))]
    assert versions[1]["fingerprint"] == "sha256:aaa"


def test_versions_from_the_capture_sdk(store):
    """The capture SDK fingerprints what a step wrote: each distinct write is a version."""
    import pyarrow as pa

    from lineage import LineageTracker

    tracker = LineageTracker(store=store, background=False)
    try:
        for n in (3, 5):
            table = pa.table({"id": list(range(n)), "score": [i * 2 for i in range(n)]})
            with tracker.operation("score_customers", outputs=[("lake/scores", table)]):
                pass
        assert tracker.flush()
    finally:
        tracker.close()
    versions = history(store, "lake/scores")
    assert len(versions) == 2 and {v["source"] for v in versions} == {"fingerprint"}
    assert [v["row_count"] for v in versions] == [5, 3]
    assert all(v["version"] == v["fingerprint"] for v in versions)
    assert all(v["run"]["state"] == "COMPLETE" for v in versions)


def test_versions_from_iceberg_style_snapshots(store):
    """Snapshot ids arrive as the version facet (lineage.integrations.iceberg): each
    snapshot a new version, created by the run that wrote it."""
    snapshots = [8744736658442914487, 1296416624436357103, 5083823519208574436]
    events = [run_event("iceberg_append", f"snap-{i}", f"2024-03-0{i + 1}T00:00:00Z", [],
                        [dataset("warehouse", "db.events", str(s), [("id", "long"), ("ts", "timestamp")], 100 * (i + 1))])
              for i, s in enumerate(snapshots)]
    store.ingest(events)
    versions = history(store, "warehouse/db.events")
    assert [v["version"] for v in versions] == [str(s) for s in reversed(snapshots)]
    assert [v["row_count"] for v in versions] == [300, 200, 100]
    assert all(v["schema_change"] == {"added": [], "removed": [], "retyped": []} for v in versions[:2])


def test_a_write_with_no_version_is_a_version_of_its_run(store):
    """As in Marquez, a completed run's write is a version even when no facet names one."""
    store.ingest([run_event("plain", "p1", "2024-04-01T00:00:00Z", [], [dataset("lake", "plain")], "START"),
                  run_event("plain", "p1", "2024-04-01T01:00:00Z", [], [dataset("lake", "plain")]),
                  run_event("plain", "p2", "2024-04-02T01:00:00Z", [], [dataset("lake", "plain")], "FAIL")])
    versions = history(store, "lake/plain")
    assert [(v["version"], v["source"], v["created_at"]) for v in versions] == [
        (f"run:{run_id('p1')}", "run", "2024-04-01T01:00:00.000000Z")]


def test_schema_change_rules():
    assert schema_change(None, [{"name": "a", "type": "int"}]) is None
    assert schema_change([{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
                         [{"name": "a", "type": "long"}, {"name": "c", "type": "int"}]) == {
        "added": [{"name": "c", "type": "int"}], "removed": [{"name": "b", "type": "int"}],
        "retyped": [{"name": "a", "before": "int", "after": "long"}]}
