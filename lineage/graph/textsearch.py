"""Search by what people type: the ranking every implementation shares, and the
SQL implementation's text index.

A node matches a text when, ignoring case, the text occurs in its name (the
OpenLineage name; a model's name), its short name (the name's last
dot-separated part) or its id. Matches rank, best first:

0. the short name, the name or the id equals the text;
1. the short name or the name starts with it;
2. a word of the name or id starts with it (words split at ``. / : @ _ -`` and spaces);
3. the text occurs elsewhere in the name;
4. the text occurs elsewhere in the id (its namespace: ``stg`` in ``postgres://``);

ties by (length of the id, id, label), so every implementation returns the same
list.

The SQL implementation ranks in SQL (:func:`rank_sql`) and sorts there, so only
the ``limit`` best rows leave SQLite: the rank is a handful of ``instr`` calls on
lower-cased text, exact for printable ASCII; a row with any other character (where
SQLite's ``lower`` and Python's ``casefold`` part ways, and whitespace means more than a
space) is ranked by :func:`rank` itself, registered as the SQL function
``lineage_rank``. Texts shorter than three characters, or outside printable ASCII,
are ranked in Python (:func:`ranked`).

The SQL implementation keeps a trigram index (SQLite FTS5, contentless) over the
strings of the file that can be names: a trigger adds each new string as it is
written (by our writer or gremlite's), so the index never needs a rebuild. A
text of three or more characters is looked up in it; a text of one or two
characters matches only names and ids starting with it (:func:`short_forms`),
found by ranges of the strings' own index.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

TEXT_INDEX = "lineage_text"
_WORDS = re.compile(r"[./:@_\-\s]+")
# strings that can be a name or an id: short, and not a JSON document
_INDEXED = "length({v}) <= 400 AND substr({v}, 1, 1) NOT IN ('{{', '[')"


def short_name(name: str) -> str:
    return name.rsplit(".", 1)[-1] if name else name


def rank(text: str, key: str, name: str | None) -> int | None:
    """The rank of a node (its identity value and name) for ``text``; None when it does not match."""
    t = text.casefold()
    k, n = key.casefold(), (name or "").casefold()
    s = short_name(n)
    if t in (s, n, k):
        return 0
    if (s and s.startswith(t)) or (n and n.startswith(t)):
        return 1
    if any(w.startswith(t) for w in _WORDS.split(n) + _WORDS.split(k) if w):
        return 2
    if t in n:
        return 3
    if t in k:
        return 4
    return None


_SEPARATORS = "./:@_- "


def sql_rankable(text: str) -> bool:
    """Whether :func:`rank_sql` ranks ``text`` exactly: three or more printable ASCII characters."""
    return len(text) >= 3 and all(" " <= c <= "~" for c in text)


def rank_sql(key: str, name: str, params: str = "p") -> str:
    """An SQL expression of the rank (as :func:`rank`) of the row whose identity value is
    ``key`` and name ``name`` (SQL expressions; the name may be NULL). The text comes
    from the row ``params`` with columns ``t`` (as typed), ``lt`` (lower-cased) and
    ``len`` (its length): see :data:`PARAMS_SQL`. Rows with characters outside printable
    ASCII go to the Python ``lineage_rank``, registered by :func:`register_rank`."""
    k, n = f"lower({key})", f"lower(COALESCE({name}, ''))"
    t, size = f"{params}.lt", f"{params}.len"
    short = f"substr({n}, length(rtrim({n}, replace({n}, '.', ''))) + 1)"
    word_start = " OR ".join(
        [f"substr({n}, 1, {size}) = {t}", f"substr({k}, 1, {size}) = {t}"]
        + [f"instr({x}, '{sep}' || {t}) > 0" for x in (n, k) for sep in _SEPARATORS])
    no_separator = " AND ".join(f"instr({t}, '{sep}') = 0" for sep in _SEPARATORS)
    return (f"CASE WHEN {key} GLOB '*[^ -~]*' OR COALESCE({name}, '') GLOB '*[^ -~]*' "
            f"THEN lineage_rank({params}.t, {key}, {name}) "
            f"WHEN {t} IN ({short}, {n}, {k}) THEN 0 "
            f"WHEN substr({short}, 1, {size}) = {t} OR substr({n}, 1, {size}) = {t} THEN 1 "
            f"WHEN ({no_separator}) AND ({word_start}) THEN 2 "
            f"WHEN instr({n}, {t}) > 0 THEN 3 WHEN instr({k}, {t}) > 0 THEN 4 END")


# the text as rank_sql reads it, from one argument
PARAMS_SQL = "SELECT t, lower(t) AS lt, length(t) AS len FROM (SELECT ? AS t)"


def register_rank(con: sqlite3.Connection) -> None:
    """Make :func:`rank` the SQL function ``lineage_rank(text, key, name)`` on ``con``."""
    con.create_function("lineage_rank", 3, rank, deterministic=True)


def short_forms(text: str) -> list[str]:
    """A text of one or two characters matches only names and ids that start with it,
    as typed, in lower or in upper case (substrings that short would read every name)."""
    return sorted({text, text.lower(), text.upper()})


def order(hit: tuple[Any, str, str, str | None, int]) -> tuple[Any, ...]:
    """Where a hit (vid, label, key, name, rank) comes: better rank, then shorter id, then
    id, label and, for two vertices of one label and id (a graph written by hand), the
    vertex id as text, so every engine cuts a tie in one place."""
    return (hit[4], len(hit[2]), hit[2], hit[1], str(hit[0]))


def ranked(text: str, rows: Any, limit: int) -> list[tuple[Any, str, str, str | None, int]]:
    """(vid, label, key, name, rank) of the matching rows (vid, label, key, name), best first."""
    out = []
    starts = tuple(short_forms(text)) if len(text) < 3 else None
    for vid, label, key, name in rows:
        if starts and not (key.startswith(starts) or (name or "").startswith(starts)):
            continue
        r = rank(text, key, name)
        if r is not None:
            out.append((vid, label, key, name, r))
    out.sort(key=order)
    return out[:limit]


def ensure_text_index(con: sqlite3.Connection) -> None:
    """Create the trigram index and its trigger once, filling it from the strings already there."""
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TEXT_INDEX,)).fetchone():
        return
    in_tx = con.in_transaction
    con.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {TEXT_INDEX} USING fts5(v, content='', tokenize='trigram')")
    con.execute(f"CREATE TRIGGER IF NOT EXISTS {TEXT_INDEX}_add AFTER INSERT ON strings "
                f"WHEN {_INDEXED.format(v='new.v')} "
                f"BEGIN INSERT INTO {TEXT_INDEX}(rowid, v) VALUES (new.id, new.v); END")
    con.execute(f"INSERT INTO {TEXT_INDEX}(rowid, v) SELECT id, v FROM strings WHERE {_INDEXED.format(v='v')}")
    if not in_tx:
        con.commit()


def has_text_index(con: sqlite3.Connection) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TEXT_INDEX,)).fetchone() is not None


def string_ids_sql(text: str, indexed: bool) -> tuple[str, list[Any]]:
    """SQL (and its arguments) selecting the ids of strings that contain ``text``, ignoring case."""
    if indexed and len(text) >= 3:
        return f"SELECT rowid AS id FROM {TEXT_INDEX} WHERE {TEXT_INDEX} MATCH ?", ['"' + text.replace('"', '""') + '"']
    if len(text) >= 3:   # the index is missing (a read-only file never opened for writing)
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return "SELECT id FROM strings WHERE v LIKE ? ESCAPE '\\'", [f"%{escaped}%"]
    forms = short_forms(text)
    sql = " UNION ".join("SELECT id FROM strings WHERE v >= ? AND v < ?" for _ in forms)
    return sql, [x for f in forms for x in (f, f[:-1] + chr(ord(f[-1]) + 1))]
