"""The search table finds what ranking every node in Python finds (ties included), kept
right by its triggers whoever writes gremlite's rows, and built for a file written before it."""

import sqlite3

import pytest
from hypothesis import given, settings, strategies as st

from lineage import LineageStore, Settings
from lineage import _model as m
from lineage.graph.searchindex import LABELS, ensure_search_index, match, sync
from lineage.graph.textsearch import ranked, sql_rankable

# separators, dots, case and characters outside printable ASCII whose folding SQLite and
# Python agree on (a name that folds to a longer text, like ß, matches as SQLite folds it)
ALPHABET = st.sampled_from(list("abAB._/:@- xX\u00e9\u00c9\t") + ["ab", "ba", "a.b"])
WORD = st.lists(ALPHABET, min_size=0, max_size=8).map("".join)
NODE = st.tuples(st.sampled_from(LABELS + (m.RUN,)), WORD, st.none() | WORD, st.none() | WORD)
TEXT = st.lists(st.sampled_from(list("abAB._/- xX") + ["ab", "a.b"]), min_size=3, max_size=6).map("".join)


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    """gremlite's tables, as a store creates them."""
    db = str(tmp_path_factory.mktemp("schema") / "lineage.db")
    with LineageStore(Settings.from_env({}, db=db)):
        pass
    con = sqlite3.connect(db)
    return [sql for name, sql in con.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name IN "
                                             "('quads', 'strings', 'graphelts') AND sql IS NOT NULL")
            if name in ("quads", "strings", "graphelts") or sql.startswith("CREATE INDEX")]


class Rows:
    """Vertices written as gremlite writes them: a label row and one row per property."""

    def __init__(self, schema):
        self.con = sqlite3.connect(":memory:")
        for sql in schema:
            self.con.execute(sql)
        self.next = 1

    def sid(self, text):
        self.con.execute("INSERT OR IGNORE INTO strings (v) VALUES (?)", (text,))
        return self.con.execute("SELECT id FROM strings WHERE v = ?", (text,)).fetchone()[0]

    def add(self, label, key, name, model_name):
        vid = self.next
        self.next += 10
        rows = [(vid, 0, self.sid(label), 0), (vid, self.sid(m.IDENTITY[label]), self.sid(key), vid + 1)]
        for prop, value, g in (("name", name, 2), ("model_name", model_name, 3)):
            if value is not None:
                rows.append((vid, self.sid(prop), self.sid(value), vid + g))
        self.con.executemany("INSERT INTO quads (s, p, o, g) VALUES (?, ?, ?, ?)", rows)
        return vid

    def everything(self):
        """(vid, label, key, name) of every searchable vertex, read row by row as Gremlin does."""
        out = []
        for vid, label in self.con.execute("SELECT q.s, s.v FROM quads q JOIN strings s ON s.id = q.o WHERE q.p = 0"):
            props = dict(self.con.execute("SELECT ps.v, os.v FROM quads q JOIN strings ps ON ps.id = q.p "
                                          "JOIN strings os ON os.id = q.o WHERE q.s = ? AND q.p > 0", (vid,)))
            if label in LABELS and m.IDENTITY[label] in props:
                out.append((vid, label, props[m.IDENTITY[label]], props.get("model_name", props.get("name"))))
        return out


def agree(rows, text, limit, labels=LABELS):
    assert match(rows.con, text, labels, limit) == ranked(text, [r for r in rows.everything() if r[1] in labels],
                                                          limit), (text, limit)


def texts_of(data, nodes):
    """Texts people would type here: pieces of the names and ids (printable ASCII, three
    characters or more, as the index is asked), and a few others."""
    pieces = [t for node in nodes for s in node[1:] if s for i in range(len(s)) for t in (s[i:i + 3], s[i:i + 5])
              if len(t) >= 3 and sql_rankable(t) and t.strip() == t]
    texts = data.draw(st.lists(TEXT, min_size=1, max_size=2))
    if pieces:
        texts += data.draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=4))
    return [t.upper() if i % 3 == 2 else t for i, t in enumerate(texts)]


@settings(max_examples=200, deadline=None)
@given(before=st.lists(NODE, max_size=12), after=st.lists(NODE, max_size=12),
       limit=st.sampled_from([1, 2, 3, 5, 50]), data=st.data())
def test_the_index_ranks_as_python_does(schema, before, after, limit, data):
    texts = texts_of(data, before + after)
    rows = Rows(schema)
    made = [rows.add(*node) for node in before]
    ensure_search_index(rows.con)          # built from the rows already there
    made += [rows.add(*node) for node in after]   # then kept by the triggers
    for text in texts:
        agree(rows, text, limit)
        agree(rows, text, limit, (m.DATASET, m.MODEL))
    if made:
        gone = data.draw(st.sampled_from(made))
        rows.con.execute("DELETE FROM quads WHERE s = ?", (gone,))
        renamed = data.draw(st.sampled_from(made))
        rows.con.execute("UPDATE quads SET o = ? WHERE s = ? AND p = ?",
                         (rows.sid(data.draw(WORD)), renamed, rows.sid("name")))
        for text in texts:
            agree(rows, text, limit)
    sync(rows.con)   # what our writer does first in each batch: the stale rows written again
    assert rows.con.execute("SELECT count(*) FROM lineage_search_stale").fetchone()[0] == 0
    for text in texts:
        agree(rows, text, limit)


def test_many_ties_are_cut_where_python_cuts_them(schema):
    """Thousands of name-prefix matches of a few id lengths: the best ``limit`` in (rank,
    id length, id, label) order, whatever the order of writing."""
    rows = Rows(schema)
    for i in reversed(range(3000)):
        rows.add(m.PIPELINE, f"job_{i % 7}_{i}", f"job_{i % 7}_{i}", None)
        rows.add(m.DATASET, f"ns/job_{i % 7}_{i}", f"db.job_{i % 7}_{i}", None)
    ensure_search_index(rows.con)
    rows.add(m.MODEL, "job_3", "job_3", None)
    for text in ("job_3", "JOB_3_1", "ob_3_2", "ns/job", "b_3_29"):
        for limit in (1, 20, 200):
            agree(rows, text, limit)


def test_two_vertices_of_one_label_and_id_tie_on_their_vertex_id(schema):
    """A graph written by hand can hold two datasets with one id; the one kept at a cut is
    the same for the index and for Python, whichever was read first (here the one whose
    name is outside printable ASCII, which the index reads before the rest)."""
    rows = Rows(schema)
    rows.add(m.DATASET, "aaa", None, None)
    rows.add(m.DATASET, "aaa", None, "\u00e9")
    ensure_search_index(rows.con)
    for limit in (1, 2):
        agree(rows, "aaa", limit)


def test_gremlin_writes_are_searchable(tmp_path):
    """A vertex added and renamed through gremlite (as ``lineage gremlin`` writes) is
    found under its new name at once."""
    db = str(tmp_path / "lineage.db")
    with LineageStore(Settings.from_env({}, db=db)) as store:
        g, backend = store.backend.g, store.backend
        backend.begin()
        g.add_v(m.DATASET).property("dataset_id", "pg/sales.orders_raw").property("name", "sales.orders_raw").iterate()
        backend.commit()
        assert [(r[2], r[4]) for r in store.graph.match("orders_raw", [m.DATASET], 5)] == [("pg/sales.orders_raw", 0)]
        backend.begin()
        g.V().has(m.DATASET, "dataset_id", "pg/sales.orders_raw").property("name", "sales.daily").iterate()
        backend.commit()
        # still in its id (rank 4), and found by its new name
        assert [(r[2], r[4]) for r in store.graph.match("orders_raw", [m.DATASET], 5)] == [("pg/sales.orders_raw", 4)]
        assert [(r[2], r[4]) for r in store.graph.match("DAILY", [m.DATASET], 5)] == [("pg/sales.orders_raw", 0)]
        backend.begin()
        g.V().has(m.DATASET, "dataset_id", "pg/sales.orders_raw").drop().iterate()
        backend.commit()
        assert store.graph.match("daily", [m.DATASET], 5) == []


def test_a_rebuilt_graph_searches_as_before(tmp_path):
    """Rebuilding deletes every row and writes the graph again from the event log: the
    search table follows, with nothing left of the old rows."""
    from conftest import food_delivery

    db = str(tmp_path / "lineage.db")
    with LineageStore(Settings.from_env({}, db=db)) as store:
        store.ingest(food_delivery())
        labels = [m.DATASET, m.PIPELINE, m.MODEL, m.FEATURE]
        texts = ("orders", "etl", "food", "ategor")
        before = {t: [r[1:] for r in store.graph.match(t, labels, 50)] for t in texts}
        assert all(before.values())
        store.rebuild()
        assert {t: [r[1:] for r in store.graph.match(t, labels, 50)] for t in texts} == before
        con = store.backend.con
        assert con.execute("SELECT count(*) FROM lineage_search").fetchone()[0] == \
            con.execute("SELECT count(*) FROM quads q JOIN strings s ON s.id = q.o WHERE q.p = 0 AND s.v IN "
                        "('Dataset', 'Pipeline', 'Model', 'Feature', 'Check')").fetchone()[0]


def search_rows(con):
    return sorted(con.execute("SELECT id, label, key, name FROM lineage_search"))


def test_the_writer_keeps_the_search_rows_as_the_triggers_would(tmp_path):
    """Our batched writer writes the search rows itself (the triggers are off inside its
    transaction); mixed with Gremlin writes between batches, the table and its index end
    as a build from scratch makes them."""
    from conftest import food_delivery

    db = str(tmp_path / "lineage.db")
    events = food_delivery()
    with LineageStore(Settings.from_env({}, db=db)) as store:
        store.ingest(events[: len(events) // 2])
        g, backend = store.backend.g, store.backend
        backend.begin()
        g.add_v(m.DATASET).property("dataset_id", "pg/extra.orders_copy").property("name", "extra.orders_copy").iterate()
        g.V().has_label(m.PIPELINE).limit(1).property("name", "renamed_by_hand").iterate()
        backend.commit()
        store.ingest(events[len(events) // 2:])
        con = store.backend.con
        assert con.execute("SELECT count(*) FROM lineage_search_stale").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM lineage_bulk").fetchone()[0] == 0
        labels = [m.DATASET, m.PIPELINE, m.MODEL, m.FEATURE]
        texts = ("orders", "renamed_by", "extra.orders_copy", "food", "ategor", "etl")
        found = {t: store.graph.match(t, labels, 50) for t in texts}
        kept = search_rows(con)
    copy = sqlite3.connect(db)
    copy.execute("DROP TABLE lineage_search")
    copy.execute("DROP TABLE lineage_search_text")
    copy.execute("DROP TRIGGER lineage_search_del")
    copy.commit()
    ensure_search_index(copy)   # from scratch, from gremlite's rows
    assert search_rows(copy) == kept
    assert {t: match(copy, t, labels, 50) for t in texts} == found
    assert [r[2] for r in found["renamed_by"]] and found["extra.orders_copy"][0][2] == "pg/extra.orders_copy"


def test_triggers_of_an_earlier_version_are_made_again(tmp_path):
    """A file whose triggers refresh the index row by row (no bulk gate) gets the gated,
    abort-free triggers when it is opened for writing, and searches as before."""
    db = str(tmp_path / "lineage.db")
    with LineageStore(Settings.from_env({}, db=db)) as store:
        store.ingest([EVENT])
    con = sqlite3.connect(db)
    for name in ("lineage_search_ins", "lineage_node_ins"):
        con.execute(f"DROP TRIGGER {name}")
        con.execute(f"CREATE TRIGGER {name} AFTER INSERT ON quads BEGIN SELECT 1; END")
    con.commit()
    with LineageStore(Settings.from_env({}, db=db)) as store:
        sql = dict(store.backend.con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        assert "lineage_bulk" in sql["lineage_node_ins"] and "lineage_search_stale" in sql["lineage_search_ins"]
        assert [r[2] for r in store.graph.match("orders_raw", [m.DATASET], 5)] == ["pg/sales.orders_raw"]


EVENT = {"eventType": "COMPLETE", "eventTime": "2026-01-01T00:00:00Z", "producer": "https://example.com/t",
         "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
         "run": {"runId": "0190a0a0-0000-7000-8000-000000000001"}, "job": {"namespace": "t", "name": "load"},
         "inputs": [], "outputs": [{"namespace": "pg", "name": "sales.orders_raw"}]}
