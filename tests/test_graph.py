"""The graph interface: every implementation gives the same answers, ties included,
and the SQL path writes exactly what gremlite reads."""

import json
import multiprocessing
import random
from pathlib import Path

import pytest

from conftest import food_delivery, make_settings
from lineage import LineageAnalysis, LineageStore
from lineage._builders import DatasetSpec, EventBuilder
from lineage._demo import demo_events
from lineage.graph import GremlinGraph, SqlGraph, node_key

T0 = "2026-01-01T00:00:00Z"


def tie_events() -> list[dict]:
    """A graph full of ties: t/a and t/b both derive from t/src and both feed t/x;
    t/src fans out to six more datasets at the same distance; a model trains on t/x."""
    b = EventBuilder("default")
    events = []
    for name in ("b", "a"):  # sent in the opposite order to the expected tie-break
        events += b.pipeline_run(f"job_{name}", inputs=["t/src"], outputs=[f"t/{name}"], start_time=T0)
    events += b.pipeline_run("job_x", inputs=["t/b", "t/a"], outputs=["t/x"], start_time=T0)
    events += b.pipeline_run("fan", inputs=["t/src"], outputs=[f"t/f_{i}" for i in (5, 3, 0, 4, 1, 2)],
                             start_time=T0)
    events += b.pipeline_run("train", inputs=["t/x", "t/b"], start_time=T0,
                             outputs=[DatasetSpec("tie_model", "1", kind="MODEL", framework="sklearn")])
    return events


def battery(q: LineageAnalysis) -> dict:
    """Every query kind, on ids that exercise ties, caps and distances."""
    out = {}
    for node in ("t/src", "t/x", "gold/customers", "silver/transactions", "food_delivery/public.orders_7_days"):
        for depth in (1, 10):
            for cap in (3, 10_000):
                out[("up", node, depth, cap)] = q.upstream(node, depth, node_cap=cap)
                out[("down", node, depth, cap)] = q.downstream(node, depth, node_cap=cap)
        out[("impact", node)] = q.impact(node)
        out[("impact3", node)] = q.impact(node, "data", 2, node_cap=3)
        out[("consumers", node)] = q.consumers(node)
        for direction in ("both", "upstream", "downstream"):
            for cap in (4, 200):
                out[("graph", node, direction, cap)] = q.lineage_graph(node, depth=2, direction=direction,
                                                                       node_cap=cap).to_dict()
    out["paths"] = q.paths("t/src", "tie_model")
    out["paths2"] = q.paths("bronze/customers", "gold/customers")
    out["pipeline graph"] = q.lineage_graph("job_x", "Pipeline", depth=1).to_dict()
    for name, version in (("churn_predictor", 3), ("tie_model", 1)):
        out[("training", name)] = q.model_training_lineage(name, version)
        out[("repro", name)] = q.reproducibility(name, version)
    out["search"] = q.search("t/")
    out["search name"] = q.search("f_", limit=3)
    out["orphans"] = q.orphaned_datasets(limit=5)
    out["unreproducible"] = q.unreproducible_models()
    out["bronze"] = q.bronze_to_model_paths()
    out["runs"] = q.runs("job_x")
    return out


EVENTS = demo_events("default") + food_delivery() + tie_events()


@pytest.fixture
def loaded(store):
    store.ingest(EVENTS)
    return store


def test_ties_are_broken_by_identity(loaded):
    q = LineageAnalysis(loaded.graph)
    assert [n["id"] for n in q.downstream("t/src", 5, node_cap=3)] == ["t/a", "t/b", "t/f_0"]
    impact = q.impact("t/src")
    x = next(n for n in impact["datasets"] if n["id"] == "t/x")
    assert x["distance"] == 2 and x["path"] == ["t/src", "t/a", "t/x"]
    job_x = next(n for n in impact["pipelines"] if n["id"] == "job_x")
    assert job_x["path"] == ["t/src", "t/a", "job_x"]
    assert [n["id"] for n in impact["datasets"]][:3] == ["t/a", "t/b", "t/f_0"]
    graph = q.lineage_graph("t/src", depth=1, direction="downstream", node_cap=4)
    assert graph.truncated and [n["id"] for n in graph.nodes] == ["t/src", "fan", "job_a", "job_b"]
    assert q.paths("t/src", "tie_model") == [["t/src", "t/b", "tie_model@1"], ["t/src", "t/a", "t/x", "tie_model@1"],
                                             ["t/src", "t/b", "t/x", "tie_model@1"]]


def test_every_implementation_agrees_with_the_sql_reference(loaded, tmp_path):
    with LineageStore(make_settings("embedded", tmp_path / "reference")) as reference:
        reference.ingest(EVENTS)
        expected = battery(LineageAnalysis(reference.graph))
    got = battery(LineageAnalysis(loaded.graph))
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == expected[key], key


def test_sql_and_gremlin_read_the_same_file_alike(tmp_path):
    with LineageStore(make_settings("embedded", tmp_path)) as store:
        store.ingest(EVENTS)
        sql = battery(LineageAnalysis(SqlGraph(store.backend.con)))
        gremlin = battery(LineageAnalysis(GremlinGraph(store.g)))
    for key in sql:
        assert sql[key] == gremlin[key], key


@pytest.mark.parametrize("seed", [None, 3])
def test_gremlite_reads_exactly_what_the_sql_path_wrote(tmp_path, seed):
    events = list(EVENTS)
    if seed is not None:  # out of order: per-property times get stored and updated
        random.Random(seed).shuffle(events)
    with LineageStore(make_settings("embedded", tmp_path / "sql")) as sql:
        for i in range(0, len(events), 7):
            sql.ingest(events[i:i + 7])
        written = sql.graph.snapshot()
        assert written == GremlinGraph(sql.g).snapshot()
        assert_records_match(sql.graph)
        if seed is not None:
            assert any(k == "prop_times" for _, props in written["vertices"] for k, _ in props)
    with LineageStore(make_settings("gremlite", tmp_path / "gremlin")) as gremlin:
        for i in range(0, len(events), 7):
            gremlin.ingest(events[i:i + 7])
        assert gremlin.snapshot() == written


def test_gremlin_shell_writes_are_seen_by_the_sql_path(tmp_path):
    with LineageStore(make_settings("embedded", tmp_path)) as store:
        store.ingest(tie_events())
        store.backend.begin()
        a = store.g.V().has("dataset_id", "t/a").has_label("Dataset").id_().next()
        new = store.g.add_v("Dataset").property("dataset_id", "t/extra").property("layer", "gold").id_().next()
        store.g.V(new).as_("n").V(a).add_e("DERIVED_FROM").from_("n").property("pipeline_id", "shell").iterate()
        store.backend.commit()
        store.graph.invalidate()
        q = LineageAnalysis(store.graph)
        assert [(n["id"], n["distance"]) for n in q.upstream("t/extra", 2)] == [("t/a", 1), ("t/src", 2)]
        # a property changed through Gremlin drops the node's record: reads decode its rows
        store.backend.begin()
        store.g.V(a).property("layer", "platinum").iterate()
        store.backend.commit()
        assert store.backend.con.execute("SELECT 1 FROM lineage_node WHERE id = ?", (a,)).fetchone() is None
        assert q.node("t/a")["layer"] == "platinum"
        assert [n["layer"] for n in q.downstream("t/src", 1) if n["id"] == "t/a"] == ["platinum"]
        assert_records_match(store.graph, complete=False)
        store.ingest(EventBuilder("default").pipeline_run("later", inputs=["t/extra"], outputs=["t/y"],
                                                          start_time=T0))
        assert store.graph.snapshot() == GremlinGraph(store.g).snapshot()
        assert_records_match(store.graph, complete=False)
        # removed through Gremlin: its record and its lineage edges go with it
        assert "t/extra" in [n["id"] for n in q.downstream("t/a", 1)]
        store.backend.begin()
        store.g.V(new).drop().iterate()
        store.backend.commit()
        assert "t/extra" not in [n["id"] for n in q.downstream("t/a", 1)]
        assert_records_match(store.graph, complete=False)
    with LineageStore(make_settings("embedded", tmp_path)) as store:  # opened for writing: records filled
        assert_records_match(store.graph)
        assert LineageAnalysis(store.graph).node("t/a")["layer"] == "platinum"


def test_an_edge_table_with_the_old_constraints_is_built_again(tmp_path):
    """Files written before the edge table lost its NOT NULL constraints (which made
    every quads write open a statement journal) get the new table, same rows."""
    with LineageStore(make_settings("embedded", tmp_path)) as store:
        store.ingest(tie_events())
        con = store.backend.con
        before = sorted(con.execute("SELECT id, src, dst FROM lineage_edge"))
        assert before
        con.execute("BEGIN IMMEDIATE")
        con.execute("DROP TABLE lineage_edge")
        con.execute("CREATE TABLE lineage_edge (id INTEGER PRIMARY KEY, src INTEGER NOT NULL, dst INTEGER NOT NULL)")
        con.commit()
    with LineageStore(make_settings("embedded", tmp_path)) as store:
        con = store.backend.con
        sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'lineage_edge'").fetchone()[0]
        assert "NOT NULL" not in sql
        assert sorted(con.execute("SELECT id, src, dst FROM lineage_edge")) == before
        assert {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'lineage_edge'")} \
            >= {"lineage_edge", "lineage_edge_src", "lineage_edge_dst"}
        store.ingest(EventBuilder("default").pipeline_run("later", inputs=["t/a"], outputs=["t/z"], start_time=T0))
        assert_records_match(store.graph)


def assert_records_match(graph: SqlGraph, complete: bool = True) -> None:
    """The per-node records and the lineage edge table say exactly what gremlite's rows say."""
    con = graph.con
    vertices = [r[0] for r in con.execute("SELECT s FROM quads WHERE p = 0")]
    records = dict(con.execute("SELECT id, props FROM lineage_node"))
    decoded = graph.decoded(vertices)
    assert set(records) <= set(decoded)
    if complete:
        assert set(records) == set(decoded)
    for vid, props in records.items():
        assert json.loads(props) == decoded[vid], vid
    assert graph.describe(vertices) == decoded
    keys = dict((r[0], (r[1], r[2])) for r in con.execute("SELECT id, key, label FROM lineage_node"))
    assert all(keys[v] == node_key(decoded[v]) for v in keys)
    lineage = sorted(con.execute(
        "SELECT -q.g, q.s, q.o FROM quads q JOIN strings l ON l.id = -q.p "
        "WHERE q.p < 0 AND l.v IN ('DERIVED_FROM', 'TRAINED_ON')"))
    assert sorted(con.execute("SELECT id, src, dst FROM lineage_edge")) == lineage


QUAD_ALIASES = {"q", "lq", "kq", "pq", "e", "quads", "strings", "ks", "ls", "pn", "el", "graphelts",
                "n", "lineage_node", "lineage_edge"}


def bad_steps(plan: list[str]) -> list[str]:
    """Plan steps that read a whole table: a scan of quads or strings, a Bloom filter
    (built by scanning the table), or a search on a property name alone."""
    return [step for step in plan if "BLOOM" in step
            or (step.startswith("SCAN ") and step.split()[1] in QUAD_ALIASES)
            or step.endswith("(p=?)")]


def test_every_read_statement_uses_the_indexes_with_and_without_statistics(tmp_path):
    with LineageStore(make_settings("embedded", tmp_path)) as store:
        graph = store.graph
        statements: set[str] = set()
        graph.con.set_trace_callback(statements.add)
        store.ingest(EVENTS[:40])  # the writer's reads too
        store.ingest(EVENTS[40:])
        battery(LineageAnalysis(graph))
        graph.con.set_trace_callback(None)
        reads = [sql for sql in statements if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
        assert any("RECURSIVE" in sql for sql in reads)
        for analyzed in (False, True):
            if analyzed:
                store.backend.con.execute("ANALYZE")
            for sql in reads:
                plan = [row[3] for row in graph.con.execute("EXPLAIN QUERY PLAN " + sql)]
                assert not bad_steps(plan), (analyzed, sql, plan)


def _ingest_in_process(db: str, events: list[dict], rounds: int) -> None:
    with LineageStore(make_settings("embedded", Path(db).parent)) as store:
        for i in range(rounds):
            for j in range(0, len(events), 5):
                store.ingest(events[j:j + 5])


def test_two_processes_on_one_file_serialise_writes_without_duplicates(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    events = list(EVENTS)  # both send everything, in the same order (a dataset named like a
    # feature view becomes that Feature only once the view is known: order matters there)
    db = str(tmp_path / "lineage.db")
    workers = [ctx.Process(target=_ingest_in_process, args=(db, events, 2)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    with LineageStore(make_settings("embedded", tmp_path)) as both, \
            LineageStore(make_settings("embedded", tmp_path / "single")) as single:
        single.ingest(events)
        assert both.event_count() == len({json.dumps(e, sort_keys=True) for e in events})
        assert both.graph.snapshot() == single.graph.snapshot()
        assert both.graph.snapshot() == GremlinGraph(both.g).snapshot()
