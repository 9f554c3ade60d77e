"""The whole-label reads (the catalog, components, the query engine's and the
visualizer's listings, replay's run lookups) give the same answers on every
implementation as on the SQL reference, ties included."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import food_delivery, make_settings
from lineage import LineageAnalysis, LineageStore
from lineage import _model as m
from lineage._demo import demo_events
from lineage.catalog import liveness, registry
from lineage.catalog.messages import heartbeat_event
from lineage.graph import IN, OUT, node_key
from lineage.query import LineageQueryEngine, LineageVisualizer
from lineage.replay import records as replay_records
from provenance_events import flow, run, run_id
from test_graph import tie_events

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
CLOCK = datetime(2026, 1, 1, 0, 1, tzinfo=timezone.utc)


def beat(component: str, instance: str, at: datetime, status: str = "RUNNING") -> dict:
    return {"id": component, "instance_id": instance, "name": component.title(), "component_type": "mapper",
            "timestamp": at.isoformat(), "reporting_period": 15, "status": status,
            "input": {"name": f"{component}-in", "type": "topic"}, "output": [{"name": "shared", "type": "topic"}]}


# two instances of one component heard at the same moment (a tie on last_seen), a
# second component, and a pipeline whose runs share an end time (a tie on staleness)
BEATS = [beat("mapper", "i-2", T0), beat("mapper", "i-1", T0), beat("joiner", "j-1", T0 + timedelta(seconds=5)),
         beat("joiner", "j-2", T0 - timedelta(hours=1), "TERMINATED")]
EVENTS = (demo_events("default") + food_delivery() + tie_events() + flow()
          + run("twin-a", "etl/twin", ["gold|hourly"], ["gold|twin_a", "gold|twin_b"], "2024-05-01T01:00:00Z"))


def load(store: LineageStore) -> LineageStore:
    store.ingest(EVENTS)
    store.project([heartbeat_event(b) for b in BEATS])
    return store


def answers(graph) -> dict:
    """Every whole-label read, with vertex handles replaced by identity keys."""
    q = LineageAnalysis(graph)
    engine = LineageQueryEngine(q, clock=lambda: CLOCK)
    visualizer = LineageVisualizer(q, engine)

    def key(vids: list) -> list:
        info = graph.describe(vids)
        return [node_key(info[v]) for v in vids]

    datasets = graph.records(m.DATASET)
    pipelines = list(graph.records(m.PIPELINE))
    out = {
        "components": liveness.components(graph, now=T0 + timedelta(seconds=20)),
        "catalog": registry.entries(graph),
        "records": [list(graph.records(label).values()) for label in m.VERTEX_LABELS],
        "runs by request": list(graph.records(m.RUN, "run_id", [run_id("twin-a"), "no-such-run", run_id("agg")]).values()),
        "first": [key(graph.first_vertices(m.VERTEX_LABELS, n)) for n in (0, 3, 40, 10_000)],
        "writers": sorted((node_key(datasets[v]), p) for v, p in
                          graph.neighbor_values(list(datasets), OUT, [m.GENERATED_BY], "pipeline_id")),
        "reads": sorted(v for _, v in graph.neighbor_values(pipelines, OUT, [m.CONSUMES], "dataset_id")),
        "runs": sorted(v for _, v in graph.neighbor_values(pipelines, IN, [m.RUN_OF], "run_id")),
        "sources": engine.find_data_sources(),
        "stale": engine.find_stale_data(hours_threshold=1),
        "performance": engine.get_operation_performance_stats(),
        "flow": engine.trace_data_flow("t/src", "t/x"),
        "graph": [visualizer.generate_graph_data(node_cap=cap) for cap in (5, 2000)],
        "summary": visualizer.summary_data()["sections"],
        "timeline": visualizer.generate_timeline_data(),
        "replay": (replay_records.runs_of(q, "etl/twin"), replay_records.producers(q, "gold/twin_b"),
                   replay_records.children(q, run_id("split"))),
    }
    return out


def test_every_implementation_lists_what_the_sql_reference_lists(store, tmp_path):
    with LineageStore(make_settings("embedded", tmp_path / "reference")) as reference:
        expected = answers(load(reference).graph)
    got = answers(load(store).graph)
    assert expected["components"][0]["instances"][0]["instance_id"] == "j-1"
    assert [i["instance_id"] for i in expected["components"][1]["instances"]] == ["i-1", "i-2"]
    stale = [s["dataset_id"] for s in expected["stale"]]
    assert stale[stale.index("gold/twin_a") + 1] == "gold/twin_b"
    assert len(expected["runs by request"]) == 2 and len(expected["replay"][2]) == 2
    for name in expected:
        assert got[name] == expected[name], name
