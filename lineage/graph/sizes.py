"""How big the graph is, kept by the writes themselves: vertices per label and events
in the log, for ``/metrics`` (``lineage_graph_vertices``, ``lineage_graph_events``).

On the embedded file the counts live in the file, in ``lineage_sizes(name, n)``,
changed in the transaction that changes the graph, so every process reading the
file sees them exact as of the last commit, with one small query and no count:

* the store's writer adds what each commit created, by label (:func:`add_created`,
  one upsert per label per commit; a trigger on every row written would cost
  ingestion a few percent);
* triggers take one away for each vertex row deleted from gremlite's ``quads``
  (``p = 0``; retention, ``clear_graph``: deletions are rare) and count the
  event log's rows as they are added and removed.

Vertices added by raw Gremlin through gremlite (the ``lineage gremlin`` console),
not through the store, are not counted until the counts are rebuilt
(:func:`recount`, done whenever the table is created).

On a Gremlin Server nothing runs inside the commit: the server adds what each of
its own commits created (:class:`RunningSizes`) to a count it takes again every
``reconcile`` seconds, which also brings in other processes' writes and deletions.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Callable

SIZES = "lineage_sizes"
EVENTS = "events"   # the event log's row; labels are capitalised, so never a label


def has_sizes(con: sqlite3.Connection) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (SIZES,)).fetchone() is not None


def ensure_sizes(con: sqlite3.Connection) -> None:
    """Create the counts and their triggers once, filled by one count of what is there.
    Done in one immediate transaction, so two processes opening a file at once do not
    both fill it."""
    if has_sizes(con):
        return
    in_tx = con.in_transaction
    if not in_tx:
        con.execute("BEGIN IMMEDIATE")
    try:
        if not has_sizes(con):
            _create(con)
    except BaseException:
        if not in_tx:
            con.rollback()
        raise
    if not in_tx:
        con.commit()


def _create(con: sqlite3.Connection) -> None:
    con.execute(f"CREATE TABLE {SIZES} (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
    add = (f"INSERT INTO {SIZES} (name, n) SELECT {{name}}, 1 WHERE true "
           "ON CONFLICT (name) DO UPDATE SET n = n + 1")
    take = f"UPDATE {SIZES} SET n = n - 1 WHERE name = {{name}}"
    con.execute(f"CREATE TRIGGER {SIZES}_vertex_removed AFTER DELETE ON quads WHEN old.p = 0 AND old.g = 0 "
                f"BEGIN {take.format(name='(SELECT v FROM strings WHERE id = old.o)')}; END")
    events = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'lineage_events'").fetchone() is not None
    if events:
        con.execute(f"CREATE TRIGGER {SIZES}_event_added AFTER INSERT ON lineage_events "
                    f"BEGIN {add.format(name=repr(EVENTS))}; END")
        con.execute(f"CREATE TRIGGER {SIZES}_event_removed AFTER DELETE ON lineage_events "
                    f"BEGIN {take.format(name=repr(EVENTS))}; END")
    recount(con)


def recount(con: sqlite3.Connection) -> None:
    """Set the counts from the graph and the log (a scan of every vertex row: for
    creating the table, or after writes that bypassed the store)."""
    con.execute(f"DELETE FROM {SIZES}")
    con.execute(f"INSERT INTO {SIZES} (name, n) SELECT s.v, count(*) FROM quads q JOIN strings s ON s.id = q.o "
                "WHERE q.p = 0 AND q.g = 0 GROUP BY s.v")
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'lineage_events'").fetchone():
        con.execute(f"INSERT INTO {SIZES} (name, n) SELECT ?, count(*) FROM lineage_events", (EVENTS,))


def add_created(con: sqlite3.Connection, created: dict[str, int]) -> None:
    """Add what a commit created ({label: vertices}), inside its transaction."""
    rows = [(label, n) for label, n in created.items() if n]
    if rows:
        con.executemany(f"INSERT INTO {SIZES} (name, n) VALUES (?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET n = n + excluded.n", rows)


def read_sizes(con: sqlite3.Connection) -> dict[str, int] | None:
    """{label: vertices, "events": events} as of the last commit; None when the file has
    no counts yet (one only ever opened for reading)."""
    try:
        return dict(con.execute(f"SELECT name, n FROM {SIZES}"))
    except sqlite3.OperationalError:
        return None


class RunningSizes:
    """Counts that the writer's commits add to, taken again every ``reconcile`` seconds
    (where no trigger can keep them: a Gremlin Server). Between two counts, what other
    processes wrote or deleted is missing, and a commit landing while a count runs may
    be counted twice; the next count sets both right."""

    def __init__(self, count: Callable[[], dict[str, int]], reconcile: float = 300.0) -> None:
        self._count = count
        self._reconcile = reconcile
        self._lock = threading.Lock()
        self._base: dict[str, int] | None = None
        self._added: dict[str, int] = {}
        self._at = 0.0

    def committed(self, created: dict[str, int]) -> None:
        """What one commit created: {label or "events": how many}."""
        with self._lock:
            for name, n in created.items():
                if n:
                    self._added[name] = self._added.get(name, 0) + n

    def current(self) -> dict[str, int]:
        now = time.monotonic()
        if self._base is None or now - self._at > self._reconcile:
            with self._lock:
                self._added = {}
            base = self._count()   # raises to the caller, which reports it
            self._base, self._at = base, now
        with self._lock:
            out = dict(self._base)
            for name, n in self._added.items():
                out[name] = out.get(name, 0) + n
        return out
