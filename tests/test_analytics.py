"""LineageQueryEngine on every backend: data sources, lineage, data flow, volume,
freshness and performance, with a controlled clock."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from conftest import make_settings
from lineage import InvalidArgument, LineageAnalysis, LineageStore
from lineage.provenance import LineageMetadataRepository
from lineage.query import LineageQueryEngine
from provenance_events import flow, run, run_id

CLOCK = datetime(2024, 5, 1, 7, 0, tzinfo=timezone.utc)


def hourly(hour: int, minutes: int, state: str = "COMPLETE", rows: tuple[int, int] = (100, 90)) -> list[dict]:
    """A run of etl/hourly at ``hour`` lasting ``minutes``, with statistics facets."""
    start = f"2024-05-01T{hour:02d}:00:00Z"
    events = run(f"hourly-{hour}", "etl/hourly", ["s3://landing|events"], ["gold|hourly"],
                 f"2024-05-01T{hour:02d}:{minutes:02d}:00Z", state=state, start=start)
    end = events[1]
    end["inputs"][0]["inputFacets"] = {"inputStatistics": {
        "_producer": "https://example.com", "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/"
        "InputStatisticsInputDatasetFacet.json", "rowCount": rows[0], "size": rows[0] * 10}}
    end["outputs"][0]["outputFacets"] = {"outputStatistics": {
        "_producer": "https://example.com", "_schemaURL": "https://openlineage.io/spec/facets/1-0-2/"
        "OutputStatisticsOutputDatasetFacet.json", "rowCount": rows[1], "size": rows[1] * 10}}
    return events


def daily(day: int) -> list[dict]:
    return run(f"daily-{day}", "etl/daily", ["gold|hourly"], ["gold|daily_rollup"], f"2024-04-{day:02d}T01:05:00Z",
               start=f"2024-04-{day:02d}T01:00:00Z")


EVENTS = (flow() + hourly(0, 1) + hourly(1, 2) + hourly(2, 3) + hourly(3, 4, state="FAIL") + hourly(4, 10)
          + daily(28) + daily(29) + daily(30))


@pytest.fixture
def engine(backend_name, tmp_path, store):
    settings = make_settings(backend_name, tmp_path, provenance_enabled=True,
                             provenance_dir=str(tmp_path / "provenance"))
    with LineageStore(settings) as writer:
        writer.ingest(EVENTS)
        writer.provenance.flush()
    q = LineageAnalysis(store.graph, store.settings.default_namespace)
    return LineageQueryEngine(q, LineageMetadataRepository(tmp_path / "provenance"), clock=lambda: CLOCK)


def test_data_sources_by_type(engine):
    assert [s["dataset_id"] for s in engine.find_data_sources()] == [
        "postgres://crm:5432/public.customers", "s3://landing/events", "s3://landing/orders/2024-05-01.csv"]
    assert [s["name"] for s in engine.find_data_sources("S3")] == ["events", "orders/2024-05-01.csv"]
    assert engine.find_data_sources("kafka") == []


def test_lineage_and_the_flow_between_two_nodes(engine):
    lineage = engine.get_data_lineage("silver/orders", 2)
    assert lineage["upstream_count"] == 1 and lineage["upstream"][0]["id"] == "s3://landing/orders/2024-05-01.csv"
    assert {n["id"] for n in lineage["downstream"]} == {"gold/daily", "gold/customer_orders",
                                                         "s3://exports/orders.parquet", "warehouse/orders"}
    flow_ = engine.trace_data_flow("s3://landing/orders/2024-05-01.csv", "gold/customer_orders")
    assert flow_["connected"] and flow_["paths"] == [{
        "nodes": ["s3://landing/orders/2024-05-01.csv", "silver/orders", "gold/customer_orders"],
        "steps": [{"from": "s3://landing/orders/2024-05-01.csv", "to": "silver/orders", "pipelines": ["etl/clean"]},
                  {"from": "silver/orders", "to": "gold/customer_orders", "pipelines": ["etl/join"]}]}]
    assert engine.trace_data_flow("gold/daily", "silver/orders")["connected"] is False


def test_volume_flow_from_statistics_facets(engine):
    volume = {v["pipeline_id"]: v for v in engine.analyze_data_volume_flow()}
    assert volume["etl/hourly"] == {"pipeline_id": "etl/hourly", "runs": 5, "rows_in": 500, "rows_out": 450,
                                    "bytes_in": 5000, "bytes_out": 4500, "row_ratio": 0.9}
    assert volume["etl/clean"]["rows_in"] is None and volume["etl/clean"]["runs"] == 1
    recent = {v["pipeline_id"]: v["runs"] for v in engine.analyze_data_volume_flow(hours_back=4)}
    assert recent["etl/hourly"] == 2                                    # the runs that ended after 03:00
    with pytest.raises(InvalidArgument, match="LINEAGE_PROVENANCE_ENABLED"):
        LineageQueryEngine(engine.q).analyze_data_volume_flow()


def test_freshness_measured_from_run_history(engine):
    stale = engine.find_stale_data()
    # hourly: completed writes at 00:01, 01:02, 02:03 and 04:10 (the 03:00 run failed): a usual gap of
    # 1h01, and 2h50 since the last > 2 x 1h01; the daily rollup is 30h old, within 2 x 24h
    assert [(s["dataset_id"], s["usual_interval_hours"]) for s in stale] == [("gold/hourly", 1.02)]
    assert stale[0]["last_updated"] == "2024-05-01T04:10:00Z" and stale[0]["hours_since_update"] == 2.83
    # a fixed threshold: only the rollup is older than a day (the flow's datasets are written after CLOCK)
    assert [s["dataset_id"] for s in engine.find_stale_data(hours_threshold=24)] == ["gold/daily_rollup"]
    with pytest.raises(InvalidArgument, match="hours_threshold must be positive"):
        engine.find_stale_data(hours_threshold=0)


def test_performance_per_pipeline(engine):
    stats = engine.get_operation_performance_stats()
    hourly_ = next(p for p in stats["pipelines"] if p["pipeline_id"] == "etl/hourly")
    minute = 60_000
    assert hourly_["runs"] == 5 and hourly_["failed"] == 1 and hourly_["failure_rate"] == 0.2
    assert hourly_["p50_duration_ms"] == 3 * minute
    assert hourly_["p95_duration_ms"] == pytest.approx(8.8 * minute)
    assert hourly_["avg_duration_ms"] == 4 * minute
    assert stats["slowest_runs"][0]["run_id"] == run_id("hourly-4")
    only = engine.get_operation_performance_stats("etl/daily")
    assert [p["pipeline_id"] for p in only["pipelines"]] == ["etl/daily"]
