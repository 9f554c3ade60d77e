"""A search table of ours beside gremlite's, so a search reads only the nodes it returns.

``lineage_search(id, label, key, name)`` holds one row per searchable vertex
(:data:`LABELS`): its identity value and its name (a model's ``model_name``, else
``name``), exactly the strings :func:`lineage.graph.textsearch.rank` ranks. Next to
it ``lineage_search_text``, a trigram index (SQLite FTS5, contentless) over those
strings, whose row ids are **ordered like the ranking's ties**: a node's row id
is ``(length of its id + 1) * 2**40 + vertex id``, so reading a match in row-id
order reads the nodes shortest id first, one id length at a time.

Each rank has its own query on the index, with the name and id wrapped in a
mark (``\\x01``) so a phrase can say "starts with" and "equals":

0. ``\\x01text\\x01`` in the short name, name or id;
1. ``\\x01text`` in the short name or name;
2. ``\\x01text`` or a separator and ``text`` in the name or id (a word start);
3. ``text`` in the name; 4. ``text`` in the id.

:func:`match` reads rank by rank, and in each rank id length by id length,
checking each node with :func:`rank` itself; it stops at the end of the first id
length where ``limit`` nodes are known that come before every node not read yet
(a better rank, or the same rank and an id no longer). A common word
that names thousands of pipelines reads the first few id lengths of one rank.

Rows with a character outside printable ASCII (where SQLite's ``lower`` and
Python's ``casefold`` part ways) are indexed apart, as one text, and every match
among them is read and ranked in Python; they are rare.

Who keeps them right: our batched writer rewrites the rows of the vertices it
creates or renames, in one pass per batch (:func:`refresh`; its triggers are off,
see :mod:`lineage.graph.bulk`). For every other writer (gremlite, ``lineage
gremlin``) triggers on ``quads`` mark a vertex stale (``lineage_search_stale``)
whenever its label row, name, model name or identity row is inserted, changed or
deleted: marking only, because a trigger that writes to FTS5 makes SQLite keep a
statement journal for every row written to ``quads``, fired or not. A search reads
and ranks the stale vertices from ``quads`` as they are now and skips their index
entries; our writer brings them up to date first thing in its next batch
(:func:`sync`), as does opening the file for writing. :func:`ensure_search_index`
builds both for a file written before they existed. Vertex ids must stay below
2**40 (gremlite counts them from 1).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Sequence

from .. import _model as m
from . import bulk
from .textsearch import order, rank

SEARCH = "lineage_search"
SEARCH_TEXT = "lineage_search_text"
_ROWS = "lineage_search_rows"
STALE = "lineage_search_stale"
LABELS = (m.DATASET, m.PIPELINE, m.MODEL, m.FEATURE, m.CHECK)
SHIFT = 1 << 40
_LONGEST = (1 << 22) - 1        # id lengths beyond this share one group (row ids stay in 63 bits)
_MARK = "\x01"
_SEPARATORS = "./:@_- "         # the word separators of printable ASCII text (see textsearch)
_PROPS = sorted({"name", "model_name", *(m.IDENTITY[label] for label in LABELS)})


def _quoted(values: Sequence[str]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _rows_sql(among: str | None = None) -> str:
    """SQL selecting the search row (id, label, key, name) of every vertex in ``among``
    (an SQL set; every vertex when None) that has one, from its rows in ``quads``."""
    identity = " ".join(f"WHEN '{label}' THEN '{m.IDENTITY[label]}'" for label in LABELS)

    def prop(name: str) -> str:
        return (f"(SELECT ns.v FROM quads nq CROSS JOIN strings ns ON ns.id = nq.o WHERE nq.s = lq.s "
                f"AND nq.p = (SELECT id FROM strings WHERE v = '{name}'))")

    return (f"SELECT lq.s, ls.v, ks.v, COALESCE({prop('model_name')}, {prop('name')}) "
            "FROM quads lq CROSS JOIN strings ls ON ls.id = lq.o "
            f"CROSS JOIN quads kq ON kq.s = lq.s AND kq.p = (SELECT id FROM strings WHERE v = CASE ls.v {identity} END) "
            "CROSS JOIN strings ks ON ks.id = kq.o "
            f"WHERE {f'lq.s IN {among} AND ' if among else ''}lq.p = 0 AND ls.v IN {_quoted(LABELS)}")


def _row_sql(among: str | None = None) -> str:
    return f"INSERT OR REPLACE INTO {SEARCH} (id, label, key, name) {_rows_sql(among)}"


# a row of a searchable vertex's: its label row, or a name, model name or identity row
_WATCHED = (f"{{r}}.s > 0 AND (({{r}}.p = 0 AND (SELECT v FROM strings WHERE id = {{r}}.o) IN {_quoted(LABELS)}) "
            f"OR ({{r}}.p > 0 AND (SELECT v FROM strings WHERE id = {{r}}.p) IN {_quoted(_PROPS)}))")
_SCHEMA = [
    f"CREATE TABLE IF NOT EXISTS {SEARCH} (id INTEGER PRIMARY KEY, label TEXT NOT NULL, key TEXT NOT NULL, name TEXT)",
    # what the index holds for a row (a 'delete' must name exactly what was inserted)
    f"CREATE VIEW IF NOT EXISTS {_ROWS} AS SELECT id, "
    f"CASE WHEN odd THEN id ELSE (min(length(key), {_LONGEST}) + 1) * {SHIFT} + id END AS ord, "
    "CASE WHEN NOT odd AND short <> name THEN char(1) || short || char(1) END AS short, "
    "CASE WHEN NOT odd AND name IS NOT NULL THEN char(1) || name || char(1) END AS name, "
    "CASE WHEN NOT odd THEN char(1) || key || char(1) END AS key, "
    "CASE WHEN odd THEN key || char(1) || COALESCE(name, '') END AS odd "
    f"FROM (SELECT id, key, name, substr(name, length(rtrim(name, replace(name, '.', ''))) + 1) AS short, "
    f"key GLOB '*[^ -~]*' OR COALESCE(name, '') GLOB '*[^ -~]*' AS odd FROM {SEARCH})",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TEXT} USING fts5(short, name, key, odd, content='', "
    "tokenize='trigram')",
    f"CREATE TABLE IF NOT EXISTS {STALE} (id INTEGER PRIMARY KEY)",
    # abort-free bodies: a trigger that can abort (an FTS5 write, a NOT NULL insert) makes
    # SQLite keep a statement journal for every row written to quads, about 12 us a row
    # even when the trigger's condition is false
    f"CREATE TRIGGER IF NOT EXISTS {SEARCH}_ins AFTER INSERT ON quads "
    f"WHEN {bulk.TRIGGERS_ON} AND {_WATCHED.format(r='new')} "
    f"BEGIN INSERT OR IGNORE INTO {STALE} (id) VALUES (new.s); END",
    f"CREATE TRIGGER IF NOT EXISTS {SEARCH}_upd AFTER UPDATE ON quads "
    f"WHEN {bulk.TRIGGERS_ON} AND (({_WATCHED.format(r='old')}) OR ({_WATCHED.format(r='new')})) "
    f"BEGIN INSERT OR IGNORE INTO {STALE} (id) VALUES (old.s); INSERT OR IGNORE INTO {STALE} (id) VALUES (new.s); END",
    f"CREATE TRIGGER IF NOT EXISTS {SEARCH}_del AFTER DELETE ON quads "
    f"WHEN {bulk.TRIGGERS_ON} AND {_WATCHED.format(r='old')} "
    f"BEGIN INSERT OR IGNORE INTO {STALE} (id) VALUES (old.s); END",
]
_TRIGGERS = (f"{SEARCH}_ins", f"{SEARCH}_upd", f"{SEARCH}_del")
WATCHED_PROPS = frozenset(_PROPS)   # a change to one of these moves a vertex's search row


def has_search_index(con: sqlite3.Connection) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (f"{SEARCH}_del",)).fetchone() is not None


def ensure_search_index(con: sqlite3.Connection) -> None:
    """Create the search table, its index and triggers once, filled from the vertices
    already there; make the triggers of an earlier version again; bring the rows of
    vertices written by others since up to date."""
    bulk.ensure_flag(con)
    in_tx = con.in_transaction
    if has_search_index(con):
        if bulk.outdated(con, _TRIGGERS, STALE):
            bulk.drop(con, _TRIGGERS)
            for statement in _SCHEMA[3:]:
                con.execute(statement)
        sync(con)
    else:
        for statement in _SCHEMA[:3]:
            con.execute(statement)
        con.execute(f"DELETE FROM {SEARCH}")
        con.execute(f"INSERT INTO {SEARCH_TEXT} ({SEARCH_TEXT}) VALUES ('delete-all')")
        con.execute(_row_sql())
        con.execute(f"INSERT INTO {SEARCH_TEXT} (rowid, short, name, key, odd) SELECT ord, short, name, key, odd FROM {_ROWS}")
        for statement in _SCHEMA[3:]:
            con.execute(statement)
    if not in_tx and con.in_transaction:
        con.commit()


def refresh(con: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Write again the search rows and index entries of vertices ``ids`` from their
    rows in ``quads``: one pass for a whole batch, index entries added in ascending
    row id order (FTS5 merges them cheapest so)."""
    if not ids:
        return
    among = "(SELECT value FROM json_each(?1))"
    arg = (json.dumps(sorted(ids)),)
    con.execute(f"INSERT INTO {SEARCH_TEXT} ({SEARCH_TEXT}, rowid, short, name, key, odd) "
                f"SELECT 'delete', ord, short, name, key, odd FROM {_ROWS} WHERE id IN {among}", arg)
    con.execute(f"DELETE FROM {SEARCH} WHERE id IN {among}", arg)
    con.execute(_row_sql(among), arg)
    con.execute(f"INSERT INTO {SEARCH_TEXT} (rowid, short, name, key, odd) "
                f"SELECT ord, short, name, key, odd FROM {_ROWS} WHERE id IN {among} ORDER BY ord", arg)


def sync(con: sqlite3.Connection) -> None:
    """Refresh the vertices the triggers marked stale (written by others: gremlite,
    ``lineage gremlin``); done by our writer inside its write transaction."""
    stale = [r[0] for r in con.execute(f"SELECT id FROM {STALE}")]
    if stale:
        refresh(con, stale)
        con.execute(f"DELETE FROM {STALE}")


def clear(con: sqlite3.Connection) -> None:
    """Empty the search table and its index at once, before every row of the graph is
    deleted."""
    if has_search_index(con):
        con.execute(f"INSERT INTO {SEARCH_TEXT} ({SEARCH_TEXT}) VALUES ('delete-all')")
        con.execute(f"DELETE FROM {SEARCH}")
        con.execute(f"DELETE FROM {STALE}")


def _stale_rows(con: sqlite3.Connection, labels: Sequence[str]) -> tuple[set[Any], list[tuple[Any, str, str, str | None]]]:
    """The vertices whose search rows are stale (written by others since our writer's
    last batch), and their rows as they are now in ``quads``."""
    try:
        stale = {r[0] for r in con.execute(f"SELECT id FROM {STALE}")}
    except sqlite3.OperationalError:   # a file of an earlier version, read before a writer opened it
        return set(), []
    if not stale:
        return stale, []
    rows = con.execute(_rows_sql("(SELECT value FROM json_each(?1))"), (json.dumps(sorted(stale)),)).fetchall()
    return stale, [r for r in rows if r[1] in labels]


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def rank_queries(text: str) -> list[tuple[int, str]]:
    """(rank, index query) for each rank, best first: the query finds every node of that
    rank (and maybe better ones) among the printable ASCII rows."""
    t = text
    queries = [(0, "{short name key} : " + _phrase(_MARK + t + _MARK)),
               (1, "{short name} : " + _phrase(_MARK + t))]
    if not any(sep in t for sep in _SEPARATORS):
        starts = " OR ".join(_phrase(sep + t) for sep in _MARK + _SEPARATORS)
        queries.append((2, "{name key} : (" + starts + ")"))
    queries += [(3, "name : " + _phrase(t)), (4, "key : " + _phrase(t))]
    return queries


def match(con: sqlite3.Connection, text: str, labels: Sequence[str],
          limit: int) -> list[tuple[Any, str, str, str | None, int]]:
    """(vid, label, key, name, rank) of the best ``limit`` nodes of ``labels`` for
    ``text`` (three or more printable ASCII characters), as
    :func:`lineage.graph.textsearch.ranked` orders them."""
    wanted = _quoted(list(labels))
    read = (f"SELECT f.rowid, s.id, s.label, s.key, s.name FROM {SEARCH_TEXT} f "
            f"CROSS JOIN {SEARCH} s ON s.id = f.rowid % {SHIFT} "
            f"WHERE {SEARCH_TEXT} MATCH ? AND s.label IN {wanted} ORDER BY f.rowid")
    known: dict[Any, tuple[Any, str, str, str | None, int]] = {}

    def keep(vid: Any, label: str, key: str, name: str | None) -> None:
        if vid not in known:
            r = rank(text, key, name)
            if r is not None:
                known[vid] = (vid, label, key, name, r)

    def enough(tier: int, length: int) -> bool:
        """Whether ``limit`` known nodes come before every node of rank ``tier`` and an
        id longer than ``length``, and every node of a worse rank."""
        return limit <= sum(1 for r in known.values() if (r[4], min(len(r[2]), _LONGEST)) <= (tier, length))

    if limit <= 0:
        return []
    # rows not in the index as they are now: every one read and ranked here, its index
    # entries (as they were) skipped below, like the rows outside printable ASCII
    stale, current = _stale_rows(con, labels)
    for vid, label, key, name in current:
        keep(vid, label, key, name)
    for _, vid, label, key, name in con.execute(read, ("odd : " + _phrase(text),)):
        if vid not in stale:
            keep(vid, label, key, name)
    for tier, query in rank_queries(text):
        group = None
        rows = con.execute(read, (query,))
        try:
            for ordinal, vid, label, key, name in rows:
                if ordinal // SHIFT != group:
                    if group is not None and enough(tier, group - 1):
                        return _best(known, limit)
                    group = ordinal // SHIFT
                if vid not in stale:
                    keep(vid, label, key, name)
        finally:
            rows.close()
        if enough(tier, _LONGEST):
            break
    return _best(known, limit)


def _best(known: dict[Any, tuple[Any, str, str, str | None, int]], limit: int) -> list[tuple[Any, str, str, str | None, int]]:
    return sorted(known.values(), key=order)[:limit]
