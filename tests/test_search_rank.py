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
