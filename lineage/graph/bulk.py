"""Our batched writer keeps the projections itself; triggers keep them for everyone else.

The tables of ours beside gremlite's (``lineage_node``, ``lineage_edge``, the search
table and its index) are kept right by triggers on ``quads``, whoever writes:
gremlite, ``lineage gremlin``, our own code. Row by row that is most of the cost of
a batch: a new dataset fires the search refresh once for its label row and once
more for each of its identity and name rows, and every row evaluates each
trigger's condition.

Our batched writer (:mod:`lineage.graph.sqlwrite`) knows which vertices and edges
it created and changed, so it keeps the projections in a few set-based statements
per batch instead. While it writes, the one-row table ``lineage_bulk`` holds a row
**inside its own transaction**: every projection trigger starts its condition
with :data:`TRIGGERS_ON`, so it is off for that connection only. The row is
deleted before the transaction commits, so no other connection ever sees it, and
a crash rolls it back with everything else. The triggers stay in force for every
other writer.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator, Sequence

FLAG = "lineage_bulk"
TRIGGERS_ON = f"NOT EXISTS (SELECT 1 FROM {FLAG})"


def ensure_flag(con: sqlite3.Connection) -> None:
    """Create the flag table (empty); clear a row that must never have been committed."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {FLAG} (on_ INTEGER)")
    if con.execute(f"SELECT 1 FROM {FLAG} LIMIT 1").fetchone() is not None:
        con.execute(f"DELETE FROM {FLAG}")


def outdated(con: sqlite3.Connection, triggers: Sequence[str], marker: str = FLAG) -> bool:
    """Whether any of the named triggers exists without ``marker`` (by default the gate:
    a file written by an earlier version), so they have to be made again."""
    rows = con.execute(f"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
                       f"({','.join('?' * len(triggers))})", tuple(triggers)).fetchall()
    return any(marker not in sql for (sql,) in rows)


def drop(con: sqlite3.Connection, triggers: Sequence[str]) -> None:
    for name in triggers:
        con.execute(f"DROP TRIGGER IF EXISTS {name}")


@contextmanager
def triggers_off(con: sqlite3.Connection) -> Iterator[None]:
    """The projection triggers off for ``con`` within its open write transaction; the
    caller keeps the projections right itself."""
    if not con.in_transaction:
        raise RuntimeError("bulk writes run inside the caller's write transaction")
    con.execute(f"INSERT INTO {FLAG} (on_) VALUES (1)")
    try:
        yield
    finally:
        if con.in_transaction:
            con.execute(f"DELETE FROM {FLAG}")
