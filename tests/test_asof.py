"""Lineage as of a time, on every backend: what existed then (first seen by then,
edges not superseded by a later run of their pipeline), with the versions then."""

from __future__ import annotations

import pytest

from lineage import LineageAnalysis
from lineage._errors import InvalidArgument, NotFound
from lineage.versions.asof import as_of_time, edge_live
from versions_events import dataset, facet, run_event, stops_reading

BEFORE, BETWEEN, AFTER = "2024-01-02T00:00:00Z", "2024-01-02T12:00:00Z", "2024-01-04T00:00:00Z"


@pytest.fixture
def q(store):
    store.ingest(stops_reading())
    return LineageAnalysis(store.graph)


def ids(nodes):
    return sorted(n["id"] for n in nodes)


def test_a_pipeline_that_stopped_reading_a_table_shows_the_old_edge_before_and_not_after(q):
    # without as_of: everything ever recorded
    assert ids(q.upstream("mart/report", 1)) == ["raw/orders", "raw/refunds"]
    assert ids(q.upstream("mart/report", 1, as_of=BEFORE)) == ["raw/orders", "raw/refunds"]
    assert ids(q.upstream("mart/report", 1, as_of=BETWEEN)) == ["raw/orders", "raw/refunds"]
    assert ids(q.upstream("mart/report", 1, as_of=AFTER)) == ["raw/orders"]
    # the first run that no longer read it supersedes the edge from its start
    assert ids(q.upstream("mart/report", 1, as_of="2024-01-03T00:00:00Z")) == ["raw/orders"]
    assert ids(q.upstream("mart/report", 1, as_of="2024-01-02T23:59:59.999999Z")) == ["raw/orders", "raw/refunds"]
    assert ids(q.downstream("raw/refunds", 2, as_of=BEFORE)) == ["mart/published", "mart/report"]
    assert q.downstream("raw/refunds", 2, as_of=AFTER) == []


def test_nodes_not_seen_yet_do_not_exist(q):
    with pytest.raises(NotFound, match="did not exist as of 2023-12-31T00:00:00.000000Z"):
        q.upstream("mart/report", 1, as_of="2023-12-31")
    # published was first written at 02:00 on Jan 1: an hour earlier the report had no reader
    assert ids(q.downstream("mart/report", 1, as_of="2024-01-01T01:30:00Z")) == []
    assert ids(q.downstream("mart/report", 1, as_of="2024-01-01T02:00:00Z")) == ["mart/published"]


def test_versions_are_those_current_then(q):
    def version(nodes, node_id):
        return next(n["version"] for n in nodes if n["id"] == node_id)
    assert version(q.downstream("raw/orders", 1), "mart/report") == "2"
    assert version(q.downstream("raw/orders", 1, as_of=BETWEEN), "mart/report") == "1"


def test_impact_and_the_graph_as_of_a_time(q):
    before, after = q.impact("raw/refunds", as_of=BETWEEN), q.impact("raw/refunds", as_of=AFTER)
    assert ids(before["datasets"]) == ["mart/published", "mart/report"]
    assert ids(before["pipelines"]) == ["etl/build_report", "etl/publish"]
    assert after["total_affected"] == 0
    edges = lambda g: sorted((e["source"], e["label"], e["target"]) for e in g.edges)  # noqa: E731
    then = q.lineage_graph("mart/report", depth=2, as_of=BETWEEN)
    now = q.lineage_graph("mart/report", depth=2, as_of=AFTER)
    assert ("etl/build_report", "CONSUMES", "raw/refunds") in edges(then)
    assert ("mart/report", "DERIVED_FROM", "raw/refunds") in edges(then)
    assert not any("raw/refunds" in e for e in edges(now))
    assert "raw/refunds" not in {n["id"] for n in now.nodes}
    assert next(n for n in then.nodes if n["id"] == "mart/report")["version"] == "1"
    assert set(edges(q.lineage_graph("mart/report", depth=2))) == set(edges(then)) | set(edges(now))


def test_consumers_and_model_training_as_of_a_time(store):
    model = {"namespace": "models", "name": "churn", "facets": {"mlModel": facet(modelName="churn", version="1")}}
    events = [
        run_event("train", "t1", "2024-05-01T00:00:00Z", [dataset("gold", "features"), dataset("gold", "labels")],
                  [model]),
        run_event("train", "t2", "2024-05-03T00:00:00Z", [dataset("gold", "features")], [model]),
    ]
    store.ingest(events)
    q = LineageAnalysis(store.graph)
    then = q.model_training_lineage("churn", "1", as_of="2024-05-02")
    now = q.model_training_lineage("churn", "1", as_of="2024-05-04")
    assert ids(then["training_datasets"]) == ["gold/features", "gold/labels"]
    assert ids(now["training_datasets"]) == ["gold/features"]
    assert ids(q.consumers("gold/labels", as_of="2024-05-02")["pipelines"]) == ["etl/train"]
    assert q.consumers("gold/labels", as_of="2024-05-04")["pipelines"] == []


def test_as_of_times_are_checked_and_normalised():
    assert as_of_time("2024-01-02") == "2024-01-02T00:00:00.000000Z"
    assert as_of_time("2024-01-02T01:00:00+01:00") == "2024-01-02T00:00:00.000000Z"
    assert as_of_time(None) is None
    with pytest.raises(InvalidArgument, match="asOf must be"):
        as_of_time("last tuesday")


def test_the_superseding_rule():
    edge = {"first_seen": "2024-01-01T01:00:00.000000Z", "last_seen": "2024-01-01T02:00:00.000000Z"}
    runs = ["2024-01-01T00:00:00.000000Z", "2024-01-03T00:00:00.000000Z"]
    assert not edge_live(edge, runs, "2024-01-01T00:30:00.000000Z")      # not seen yet
    assert edge_live(edge, runs, "2024-01-02T00:00:00.000000Z")
    assert not edge_live(edge, runs, "2024-01-03T00:00:00.000000Z")      # a later run began
    assert edge_live(edge, [], "2030-01-01T00:00:00.000000Z")            # no later run: still there


def test_as_of_reads_use_the_indexes_with_and_without_statistics(tmp_path):
    """The superseding rule adds subqueries to the SQL reads: none may scan a table."""
    from conftest import make_settings
    from lineage import LineageStore

    aliases = {"q", "e", "x", "xs", "ep", "pv", "pl", "ro", "rf", "rs", "quads", "strings"}
    from conftest import food_delivery
    from lineage._demo import demo_events

    with LineageStore(make_settings("embedded", tmp_path)) as store:
        store.ingest(demo_events("default") + food_delivery() + stops_reading())
        graph = store.graph
        statements: set[str] = set()
        graph.con.set_trace_callback(statements.add)
        q = LineageAnalysis(graph)
        q.upstream("mart/report", 3, as_of=BETWEEN)
        q.impact("raw/refunds", as_of=BETWEEN)
        q.lineage_graph("mart/report", depth=2, as_of=BETWEEN)
        graph.con.set_trace_callback(None)
        reads = [sql for sql in statements if "2024-01-02T12:00:00.000000Z" in sql]
        assert any("RECURSIVE" in sql for sql in reads) and len(reads) > 2
        for analyzed in (False, True):
            if analyzed:
                store.backend.con.execute("ANALYZE")
            for sql in reads:
                plan = [row[3] for row in graph.con.execute("EXPLAIN QUERY PLAN " + sql)]
                bad = [step for step in plan if "BLOOM" in step or step.endswith("(p=?)")
                       or (step.startswith("SCAN ") and step.split()[1] in aliases)]
                assert not bad, (analyzed, sql, plan)


def test_the_node_cap_cuts_an_as_of_expansion_like_any_other(store):
    # the cut keeps the nearest nodes by (distance, key), as without as_of
    from lineage.graph.interface import node_key

    store.ingest(stops_reading())
    graph = store.graph
    start = graph.lookup("Dataset", ["mart/published"])["mart/published"]
    then = "2024-01-02T12:00:00.000000Z"
    full = graph.expand(start, "upstream", 3, 50, as_of=then)
    cut = graph.expand(start, "upstream", 3, 1, as_of=then)
    assert len(full.distance) > 3 and not full.truncated   # more than cap + 2: the SQL cuts
    assert cut.truncated and len(cut.distance) == 2
    nearest = sorted(full.distance, key=lambda v: (full.distance[v], node_key(full.info[v])))
    assert sorted(cut.distance, key=nearest.index) == nearest[:2]
