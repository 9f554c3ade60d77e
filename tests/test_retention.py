"""Age-off with controlled clocks: Parquet partitions, Run vertices and event-log rows go;
lineage stays."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from gremlin_python.process.graph_traversal import __

from conftest import make_settings
from lineage import LineageStore
from lineage import _model as m
from lineage.provenance import retention_plan
from lineage.provenance.parquet import write_raw
from lineage.provenance.records import ProvenanceRecord
from provenance_events import flow, run

NOW = datetime(2024, 5, 4, 11, 30, tzinfo=timezone.utc)


@pytest.fixture
def aged(backend_name, tmp_path):
    def make(**kw):
        return make_settings(backend_name, tmp_path, provenance_enabled=True, system_name="prod-east",
                             provenance_dir=str(tmp_path / "provenance"), **kw)
    return make


def lineage_edges(store: LineageStore) -> set[tuple]:
    # run history (a run of a pipeline, a run started by another) ages off with its runs,
    # and so do the dataset versions those runs wrote once the log no longer holds them
    return {(label, out, in_) for label, out, in_, _ in store.snapshot()["edges"]
            if label != m.RUN_OF and m.RUN not in (out[0], in_[0]) and m.DATASET_VERSION != out[0]}


def test_partitions_older_than_the_age_off_go_and_a_dry_run_says_so(aged, tmp_path, store):
    settings = aged()
    directory = tmp_path / "provenance"
    with LineageStore(settings) as s:
        s.ingest(flow())
        s.provenance.flush(datetime(2024, 5, 1, 23, tzinfo=timezone.utc))   # compacted 10, 11, 12 on May 1st
    recent = ProvenanceRecord("r", None, "prod-east", "s3://landing", "x.csv", ("etl/a",), None, "COMPLETE",
                              1714820000000, 1714820000000)             # 2024-05-04 10:53
    write_raw(directory, [recent], "other-instance", 1)

    dry = retention_plan(settings, None, NOW)
    gone = [p.relative_to(directory).as_posix() for p in dry.partitions]
    assert gone == ["compacted/prod-east/20240501/10.parquet"]           # hour 11 ends after May 1st 11:30
    assert "would remove 1 provenance partitions older than 2024-05-01T11:30:00" in dry.describe()
    assert (directory / gone[0]).exists()

    done = retention_plan(settings, None, NOW, apply=True)
    assert done.applied and not (directory / gone[0]).exists()
    left = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.parquet"))
    assert [p for p in left if not p.startswith("lineage_operations/")] == [
        "compacted/prod-east/20240501/11.parquet", "compacted/prod-east/20240501/12.parquet",
        "raw/20240504/10/prod-east--other-instance--00000001.parquet"]
    assert [p.split("/")[1] for p in left if p.startswith("lineage_operations/")] == ["date=2024-05-01"]
    later = retention_plan(settings, None, datetime(2024, 5, 7, 11, 0, tzinfo=timezone.utc), apply=True)
    gone_later = sorted(p.relative_to(directory).as_posix() for p in later.partitions)
    assert gone_later == ["compacted/prod-east/20240501/11.parquet", "compacted/prod-east/20240501/12.parquet",
                          "lineage_operations/date=2024-05-01", "raw/20240504/10"]
    assert not list(directory.rglob("*.parquet"))
    assert not (directory / "raw" / "20240504").exists()                 # emptied partitions are pruned


def test_old_runs_and_events_go_but_lineage_stays(aged, store):
    settings = aged(retention_run_days=2, retention_event_days=2, provenance_age_off_days=0)
    newer = run("agg-later", "etl/agg", ["silver|orders"], ["gold|daily"], "2024-05-04T10:05:00Z")
    store.ingest(flow() + newer)
    before = lineage_edges(store)
    runs_before = store.g.V().has_label(m.RUN).count().next()
    assert runs_before == 9

    dry = retention_plan(settings, store, NOW)
    assert (dry.runs, dry.events, dry.partitions) == (8, 2, [])   # agg's first run; child-a wrote elsewhere
    assert store.g.V().has_label(m.RUN).count().next() == 9 and store.event_count() == 18

    done = retention_plan(settings, store, NOW, apply=True)
    assert (done.runs, done.events) == (8, 2)
    assert store.g.V().has_label(m.RUN).values("run_id").to_list() == [json.loads(json.dumps(newer[0]))["run"]["runId"]]
    assert store.event_count() == 16
    assert lineage_edges(store) == before                                # lineage is never aged off
    store.rebuild()                                                      # each job's latest run per set of datasets is kept
    assert lineage_edges(store) == before


def test_a_job_that_only_reads_keeps_what_each_of_its_runs_read(aged, store):
    settings = aged(retention_run_days=2, retention_event_days=2, provenance_age_off_days=0)
    store.ingest(run("audit-1", "etl/audit", ["silver|orders"], [], "2024-05-01T10:05:00Z")
                 + run("audit-2", "etl/audit", ["gold|daily"], [], "2024-05-04T10:05:00Z")
                 + run("audit-3", "etl/audit", ["gold|daily"], [], "2024-05-04T11:05:00Z"))
    before = lineage_edges(store)
    assert (m.CONSUMES, (m.PIPELINE, "etl/audit"), (m.DATASET, "silver/orders")) in before

    done = retention_plan(settings, store, NOW, apply=True)
    assert (done.runs, done.events) == (1, 0)       # no later run read silver|orders: its events stay
    store.rebuild()
    assert lineage_edges(store) == before


def test_events_logged_without_a_signature_are_indexed_before_the_age_off(aged, store, backend_name):
    if backend_name != "janusgraph":
        pytest.skip("the embedded log indexes signatures in its own side table as it goes")
    settings = aged(retention_event_days=2, provenance_age_off_days=0)
    store.ingest(flow() + run("agg-later", "etl/agg", ["silver|orders"], ["gold|daily"], "2024-05-04T10:05:00Z"))
    store.g.V().has_label("Event").properties("event_signature").drop().iterate()   # as an older version logged them
    assert store.backend.log.index_signatures(limit=10) == 10
    assert retention_plan(settings, store, NOW, apply=True).events == 2
    assert store.g.V().has_label("Event").not_(__.has("event_signature")).count().next() == 0
    assert store.event_count() == 16


def test_retention_zero_keeps_everything_and_the_cli_dry_runs(aged, tmp_path, monkeypatch, capsys, backend_name):
    if backend_name != "embedded":
        pytest.skip("the CLI test reads the embedded file")
    from lineage._cli import main

    settings = aged()
    for key, value in {"LINEAGE_DB": settings.db_path, "LINEAGE_PROVENANCE_DIR": str(tmp_path / "provenance"),
                       "LINEAGE_RETENTION_RUN_DAYS": "1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("LINEAGE_GREMLIN_URL", raising=False)
    with LineageStore(settings, provenance=False) as s:
        s.ingest(flow())
    assert main(["retention", "--now", "2024-05-04T11:30:00Z"]) == 0
    out, err = capsys.readouterr()
    assert "would remove 8 Run vertices older than 2024-05-03T11:30:00" in out
    assert "kept all event-log rows (retention 0: forever)" in out and "dry run" in err
    assert main(["retention", "--apply", "--json", "--now", "2024-05-04T11:30:00Z"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["applied"] and plan["runs"]["count"] == 8
    assert main(["retention", "--now", "yesterday"]) == 1
    assert "--now 'yesterday' is not an ISO 8601 time" in capsys.readouterr().err
