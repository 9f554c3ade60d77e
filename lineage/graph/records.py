"""Two tables of ours beside gremlite's, so a traversal reads one row per node.

gremlite keeps a vertex as a label row plus one row per property, every string
behind an id in ``strings``; describing a node means reading and decoding about
seven rows. Next to them the embedded file keeps

* ``lineage_node(id, label, key, props)``: one record per vertex: its label, its
  identity value (the stable sort key, see :func:`lineage.graph.interface.node_key`)
  and its label and properties as one JSON object (``prop_times`` left out), exactly
  what :meth:`lineage.graph.sql.SqlGraph.describe` returns;
* ``lineage_edge(id, src, dst)``: the lineage edges (``DERIVED_FROM``,
  ``TRAINED_ON``) as a plain adjacency table indexed both ways, by edge id.

Who keeps them right:

* triggers on ``quads`` keep ``lineage_edge`` equal to the lineage edge rows, and
  drop a vertex's record whenever any of its rows is inserted, changed or deleted,
  for every writer but ours (gremlite, ``lineage gremlin``);
* our writer (:mod:`lineage.graph.sqlwrite`), with those triggers off in its own
  transaction (:mod:`lineage.graph.bulk`), writes the record of every vertex it
  creates or changes and the ``lineage_edge`` row of every lineage edge it creates,
  a statement each per batch;
* a vertex without a record (written through Gremlin, or before these tables
  existed) is read from ``quads`` as before, and :func:`ensure_records` fills the
  missing records whenever the file is opened for writing.

So a record, when present, is never stale, and gremlite still reads exactly the
rows it wrote or we wrote: the records are a cache it never sees.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .. import _model as m
from . import bulk

NODES = "lineage_node"
EDGES = "lineage_edge"
LINEAGE_LABELS = frozenset({m.DERIVED_FROM, m.TRAINED_ON})
_LINEAGE = "('" + "', '".join(sorted(LINEAGE_LABELS)) + "')"
_ON = bulk.TRIGGERS_ON

_SCHEMA = [
    f"CREATE TABLE IF NOT EXISTS {NODES} (id INTEGER PRIMARY KEY, label TEXT NOT NULL, "
    "key TEXT NOT NULL, props TEXT NOT NULL)",
    # no NOT NULL on the edge table (its rows come from edge rows, never null): a constraint
    # that can fail in a trigger's INSERT makes SQLite open a statement journal for every
    # row inserted into or updated in quads, which doubled the cost of each graph write
    f"CREATE TABLE IF NOT EXISTS {EDGES} (id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER)",
    f"CREATE INDEX IF NOT EXISTS {EDGES}_src ON {EDGES} (src, dst)",
    f"CREATE INDEX IF NOT EXISTS {EDGES}_dst ON {EDGES} (dst, src)",
    # a vertex's rows: s > 0 and p >= 0 (label row p = 0, properties p > 0); an edge row:
    # s > 0 and p < 0 (minus its label's string id), g = minus the edge id
    f"CREATE TRIGGER IF NOT EXISTS {NODES}_ins AFTER INSERT ON quads WHEN {_ON} AND new.s > 0 AND new.p >= 0 "
    f"BEGIN DELETE FROM {NODES} WHERE id = new.s; END",
    f"CREATE TRIGGER IF NOT EXISTS {NODES}_upd AFTER UPDATE ON quads WHEN {_ON} AND old.s > 0 AND old.p >= 0 "
    f"BEGIN DELETE FROM {NODES} WHERE id = old.s OR id = new.s; END",
    f"CREATE TRIGGER IF NOT EXISTS {NODES}_del AFTER DELETE ON quads WHEN {_ON} AND old.s > 0 AND old.p >= 0 "
    f"BEGIN DELETE FROM {NODES} WHERE id = old.s; END",
    f"CREATE TRIGGER IF NOT EXISTS {EDGES}_ins AFTER INSERT ON quads WHEN {_ON} AND new.p < 0 AND new.s > 0 "
    f"AND (SELECT v FROM strings WHERE id = -new.p) IN {_LINEAGE} "
    f"BEGIN INSERT OR REPLACE INTO {EDGES} (id, src, dst) VALUES (-new.g, new.s, new.o); END",
    f"CREATE TRIGGER IF NOT EXISTS {EDGES}_del AFTER DELETE ON quads WHEN {_ON} AND old.p < 0 "
    f"BEGIN DELETE FROM {EDGES} WHERE id = -old.g; END",
    f"CREATE TRIGGER IF NOT EXISTS {EDGES}_upd AFTER UPDATE ON quads WHEN {_ON} AND (old.p < 0 OR new.p < 0) "
    f"BEGIN DELETE FROM {EDGES} WHERE id = -old.g; "
    f"INSERT OR REPLACE INTO {EDGES} (id, src, dst) SELECT -new.g, new.s, new.o WHERE new.p < 0 AND new.s > 0 "
    f"AND (SELECT v FROM strings WHERE id = -new.p) IN {_LINEAGE}; END",
]


_TRIGGERS = tuple(f"{t}_{op}" for t in (NODES, EDGES) for op in ("ins", "upd", "del"))


def has_records(con: sqlite3.Connection) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (NODES,)).fetchone() is not None


def record(label: str, props: dict[str, Any]) -> tuple[str, str]:
    """(key, props JSON) of a vertex's record: ``props`` are its stored properties
    (``prop_times`` left out); the label goes first so a property named ``label``
    wins, as it does when the rows are decoded one by one."""
    return (str(props.get(m.IDENTITY.get(label, ""), "")),
            json.dumps({"label": label, **props}, ensure_ascii=False, separators=(",", ":")))


def ensure_records(con: sqlite3.Connection, graph: Any) -> None:
    """Create the tables and triggers (filling the edge table), and write the record
    of every vertex that has none. ``graph`` is a :class:`lineage.graph.sql.SqlGraph`
    on ``con``, whose row decoding the records copy."""
    in_tx = con.in_transaction
    if not in_tx:   # one transaction: a concurrent opener waits, a reader never sees a half-built table
        con.execute("BEGIN IMMEDIATE")
    created = not has_records(con)
    old = con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (EDGES,)).fetchone()
    if old and "NOT NULL" in old[0]:   # a file from before the constraints were dropped: build it again
        con.execute(f"DROP TABLE {EDGES}")
        created = True
    bulk.ensure_flag(con)
    if bulk.outdated(con, _TRIGGERS):   # triggers of an earlier version, without the bulk gate
        bulk.drop(con, _TRIGGERS)
    for statement in _SCHEMA:
        con.execute(statement)
    if created:
        con.execute(f"INSERT OR REPLACE INTO {EDGES} (id, src, dst) SELECT -q.g, q.s, q.o FROM quads q "
                    f"WHERE q.p IN (SELECT -id FROM strings WHERE v IN {_LINEAGE}) AND q.s > 0")
    missing = [r[0] for r in con.execute(
        f"SELECT q.s FROM quads q WHERE q.p = 0 AND NOT EXISTS (SELECT 1 FROM {NODES} n WHERE n.id = q.s)")]
    for i in range(0, len(missing), 2000):
        rows = [(vid, info["label"], *record(info["label"], {k: v for k, v in info.items() if k != "label"}))
                for vid, info in graph.decoded(missing[i:i + 2000]).items()]
        con.executemany(f"INSERT OR REPLACE INTO {NODES} (id, label, key, props) VALUES (?, ?, ?, ?)", rows)
    if not in_tx:
        con.commit()
