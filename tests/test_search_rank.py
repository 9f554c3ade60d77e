"""The SQL ranking of search equals the Python one (:func:`lineage.graph.textsearch.rank`)
that the Gremlin implementation uses, for any text, name and id."""

import sqlite3

from hypothesis import given, settings, strategies as st

from lineage.graph.textsearch import PARAMS_SQL, rank, rank_sql, register_rank, sql_rankable

# characters where ranking is delicate: separators, dots, case, non-ASCII letters whose
# casefold differs from SQLite's lower (ß, K-sign, dotted I), whitespace beyond the space
ALPHABET = st.sampled_from(list("abAB._/:@- -xyzXYZ\t\u00df\u212a\u0130\u00e9\u00c9\u00a0") + ["ss", "sS"])
TEXT = st.lists(ALPHABET, min_size=0, max_size=12).map("".join)


def sql_rank(con: sqlite3.Connection, text: str, key: str, name: str | None) -> int | None:
    return con.execute(f"WITH p AS ({PARAMS_SQL}), r(key, name) AS (VALUES (?, ?)) "
                       f"SELECT {rank_sql('r.key', 'r.name')} FROM r CROSS JOIN p", (text, key, name)).fetchone()[0]


@settings(max_examples=400, deadline=None)
@given(text=TEXT.filter(lambda t: len(t.strip()) >= 3), key=TEXT, name=st.none() | TEXT)
def test_sql_ranks_as_python_does(text, key, name):
    con = sqlite3.connect(":memory:")
    register_rank(con)
    if sql_rankable(text):
        assert sql_rank(con, text, key, name) == rank(text, key, name)


def test_the_ranks_of_each_kind():
    con = sqlite3.connect(":memory:")
    register_rank(con)
    name = "warehouse.main.stg_orders"
    key = "duckdb://warehouse.duckdb/" + name
    cases = {"STG_orders": 0, "stg_ord": 1, "orders": 2, "g_ord": 3, "duckdb": 2, "house.du": 4, "missing": None}
    for text, expected in cases.items():
        assert sql_rank(con, text, key, name) == rank(text, key, name) == expected, text
    # a name outside ASCII is ranked by the Python function inside SQL
    assert sql_rank(con, "strasse", "ns/STRASSE", "Straße") == rank("strasse", "ns/STRASSE", "Straße") == 0


def test_bounded_sql_search_returns_what_reading_every_name_returns(tmp_path):
    """The SQL search reads nodes tier by tier and stops early; the Gremlin one reads
    every name and ranks it in Python. Same answers, for texts that hit every rank."""
    from lineage import LineageStore, Settings

    events = []
    for i in range(120):
        event = {"eventType": "COMPLETE", "eventTime": "2026-03-02T06:00:00Z", "producer": "https://x",
                 "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent",
                 "run": {"runId": "3f1c2a9e-0000-4000-8000-%012d" % i},
                 "job": {"namespace": "orders_etl" if i % 3 else "etl", "name": f"load_{i % 7}.orders_{i}"},
                 "inputs": [{"namespace": "postgres://orders-db:5432", "name": f"shop.public.raw_{i}"}],
                 "outputs": [{"namespace": "s3://lake", "name": ["orders", f"orders_{i}", f"daily.orders{i}",
                                                                 f"stg_orders.part_{i}", f"x.reorders_{i}"][i % 5]}]}
        events.append(event)
    db = str(tmp_path / "lineage.db")
    with LineageStore(Settings.from_env({}, db=db)) as store:
        assert store.ingest(events).accepted == len(events)
        sql = store.graph
        with LineageStore(Settings.from_env({}, db=db, embedded_engine="gremlin")) as reference:
            for text in ("orders", "ORDERS_1", "raw", "load_3", "s3:", "orders-db", "part_1", "xyz"):
                for limit in (1, 5, 20, 500):
                    labels = ["Dataset", "Pipeline", "Model", "Feature"]
                    assert sql.match(text, labels, limit) == reference.graph.match(text, labels, limit), (text, limit)
