"""The graph interface in SQL, on the embedded SQLite file.

The file keeps gremlite's own storage layout (gremlite ==0.1.2, pinned), so
``lineage gremlin`` and any gremlite traversal read and write the same graph:

* ``strings(id, v)``: every label, property name and string value, once;
* ``graphelts(id)``: the id counter shared by vertices, edges and vertex properties;
* ``quads(s, p, o, g)``, indexed on (o,p,s), (s,p), (p,g) and (g):

  ======================  ===========  ==============  ==================  ===========
  row                     s            p               o                   g
  ======================  ===========  ==============  ==================  ===========
  vertex                  vertex id    0               label string id     0
  edge                    out vertex   -label str. id  in vertex           -edge id
  vertex property         vertex id    name string id  encoded value       property id
  edge property           -edge id     name string id  encoded value       0
  ======================  ===========  ==============  ==================  ===========

  Encoded values: 0/1 false/true, 2 null, a string's id, ``int - 2**62``
  (negative), ``2**62 - 1 + id`` of a float's text.

Every query is one statement: an expansion is a recursive CTE over the edge
rows (``sp`` index upstream, ``ops`` downstream) that also returns each kept
node's label and properties as JSON. Writes are :mod:`lineage.graph.sqlwrite`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable, Sequence

from .. import _model as m
from .interface import DOWN, IN, LINEAGE_EDGES, OUT, UP, Expansion, Graph, Hop, node_key, snapshot_of

INT_SHIFT = 2 ** 62
FLOAT_BASE = 2 ** 62 - 1


def _value(o: str) -> str:
    return (f"CASE WHEN {o} < 0 THEN {o} + {INT_SHIFT} WHEN {o} = 2 THEN NULL "
            f"WHEN {o} = 0 THEN json('false') WHEN {o} = 1 THEN json('true') "
            f"WHEN {o} > {FLOAT_BASE} THEN (SELECT CAST(v AS REAL) FROM strings WHERE id = {o} - {FLOAT_BASE}) "
            f"ELSE (SELECT v FROM strings WHERE id = {o}) END")


def props_sql(subject: str) -> str:
    """A JSON object of the properties of the vertex (or ``-edge id``) ``subject``."""
    return (f"(SELECT json_group_object(pn.v, {_value('pq.o')}) FROM quads pq "
            f"JOIN strings pn ON pn.id = pq.p WHERE pq.s = {subject} AND pq.p > 0)")


def _props(text: str | None) -> dict[str, Any]:
    props = json.loads(text) if text else {}
    props.pop("prop_times", None)
    return props


class SqlGraph(Graph):
    kind = "sql"

    def __init__(self, con: sqlite3.Connection, writer: Any = None) -> None:
        self.con = con
        self.writer = writer
        self._sids: dict[str, int] = {}

    def sid(self, text: str) -> int | None:
        """The id of a string, when the graph has it (cached: strings are never deleted)."""
        found = self._sids.get(text)
        if found is None:
            row = self.con.execute("SELECT id FROM strings WHERE v = ?", (text,)).fetchone()
            if row is None:
                return None
            found = self._sids[text] = row[0]
        return found

    def _edge_codes(self, labels: Sequence[str]) -> list[int]:
        return [-s for s in (self.sid(label) for label in labels) if s is not None]

    def _identity_map(self) -> str:
        """A VALUES list of (label string id, identity key string id) for the labels present."""
        pairs = [(self.sid(label), self.sid(key)) for label, key in m.IDENTITY.items()]
        return ", ".join(f"({a}, {b})" for a, b in pairs if a is not None and b is not None) or "(NULL, NULL)"

    # -- identities ------------------------------------------------------------

    def lookup(self, label: str, keys: Sequence[str]) -> dict[str, Any]:
        lab, prop = self.sid(label), self.sid(m.IDENTITY[label])
        if lab is None or prop is None or not keys:
            return {}
        rows = self.con.execute(
            "SELECT ks.v, q.s FROM strings ks CROSS JOIN quads q ON q.o = ks.id AND q.p = ? "
            "CROSS JOIN quads lq ON lq.s = q.s AND lq.p = 0 AND lq.o = ? "
            "WHERE ks.v IN (SELECT value FROM json_each(?)) ORDER BY q.s",
            (prop, lab, json.dumps(list(keys)))).fetchall()
        out: dict[str, Any] = {}
        for key, vid in rows:
            out.setdefault(key, vid)
        return out

    def find(self, prop: str, value: str, labels: Sequence[str]) -> list[tuple[Any, str, str]]:
        p, v = self.sid(prop), self.sid(value)
        if p is None or v is None:
            return []
        rows = self.con.execute(
            f"WITH idmap(l, p) AS (VALUES {self._identity_map()}) "
            "SELECT q.s, ls.v, ks.v FROM quads q CROSS JOIN quads lq ON lq.s = q.s AND lq.p = 0 "
            "CROSS JOIN strings ls ON ls.id = lq.o CROSS JOIN idmap ON idmap.l = lq.o "
            "CROSS JOIN quads kq ON kq.s = q.s AND kq.p = idmap.p CROSS JOIN strings ks ON ks.id = kq.o "
            "WHERE q.o = ? AND q.p = ? AND q.g > 0", (v, p)).fetchall()
        return sorted(((s, lab, key) for s, lab, key in rows if lab in labels), key=lambda r: (r[2], r[1]))

    def search(self, prop: str, prefix: str, label: str | None, limit: int) -> list[Any]:
        p = self.sid(prop)
        lab = self.sid(label) if label else None
        if p is None or (label and lab is None) or not prefix:
            return []
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        sql = ("SELECT q.s FROM strings ks CROSS JOIN quads q ON q.o = ks.id AND q.p = ? AND q.g > 0 "
               "WHERE ks.v >= ? AND ks.v < ?")
        args: list[Any] = [p, prefix, upper]
        if lab is not None:
            sql += " AND EXISTS (SELECT 1 FROM quads lq WHERE lq.s = q.s AND lq.p = 0 AND lq.o = ?)"
            args.append(lab)
        sql += " ORDER BY ks.v, q.s LIMIT ?"
        return [r[0] for r in self.con.execute(sql, (*args, limit))]

    # -- reading ---------------------------------------------------------------

    def describe(self, vids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        ids = list(dict.fromkeys(vids))
        if not ids:
            return {}
        rows = self.con.execute(
            f"SELECT q.s, ls.v, {props_sql('q.s')} FROM json_each(?) j "
            "CROSS JOIN quads q ON q.s = j.value AND q.p = 0 JOIN strings ls ON ls.id = q.o",
            (json.dumps(ids),)).fetchall()
        return {s: {"label": label, **_props(props)} for s, label, props in rows}

    def hops(self, vids: Iterable[Any], direction: str, labels: Sequence[str]) -> list[Hop]:
        ids = list(dict.fromkeys(vids))
        codes = self._edge_codes(labels)
        if not ids or not codes:
            return []
        here, there = ("q.s", "q.o") if direction == OUT else ("q.o", "q.s")
        rows = self.con.execute(
            f"SELECT {here}, el.v, {there}, {props_sql('q.g')} FROM json_each(?) j "
            f"CROSS JOIN quads q ON {here} = j.value AND q.p IN ({','.join('?' * len(codes))}) "
            "JOIN strings el ON el.id = -q.p", (json.dumps(ids), *codes)).fetchall()
        return [Hop(s, label, t, _props(props)) for s, label, t, props in rows]

    def expand(self, start: Any, direction: str, max_depth: int, node_cap: int,
               paths: bool = True) -> Expansion:
        if direction not in (UP, DOWN):
            raise ValueError(f"direction must be {UP!r} or {DOWN!r}")
        codes = self._edge_codes(LINEAGE_EDGES) or [0]
        marks = ",".join(str(c) for c in codes)
        near, far = ("s", "o") if direction == UP else ("o", "s")
        # A node's predecessors: the vertices one step before it (their distance is checked below).
        preds = (f", (SELECT json_group_array(e.{near}) FROM quads e WHERE e.{far} = k.v AND e.p IN ({marks}))"
                 if paths else ", NULL")
        sql = (
            "WITH RECURSIVE r(v, d) AS (SELECT ?, 0 UNION "
            # each step reads a node's edges in a subquery (an index search per node): as a join,
            # ANALYZE statistics lead the planner to a Bloom filter that scans every quad
            f"SELECT j.value, r.d + 1 FROM r, json_each((SELECT json_group_array(q.{far}) FROM quads q "
            f"WHERE q.{near} = r.v AND q.p IN ({marks}))) j WHERE r.d < ?), "
            f"idmap(l, p) AS (VALUES {self._identity_map()}), "
            "best(v, d) AS (SELECT v, MIN(d) FROM r GROUP BY v), "
            # CROSS JOIN fixes the loop order: from the nodes reached outwards, never
            # from every identity value in the graph (which statistics can make look cheap)
            "k(v, d, key, lab) AS (SELECT b.v, b.d, ks.v, ls.v FROM best b "
            "CROSS JOIN quads lq ON lq.s = b.v AND lq.p = 0 CROSS JOIN idmap ON idmap.l = lq.o "
            "CROSS JOIN quads kq ON kq.s = b.v AND kq.p = idmap.p "
            "CROSS JOIN strings ls ON ls.id = lq.o CROSS JOIN strings ks ON ks.id = kq.o "
            "ORDER BY b.d, ks.v, ls.v LIMIT ?) "
            f"SELECT k.v, k.d, k.lab, {props_sql('k.v')}{preds} FROM k ORDER BY k.d, k.key, k.lab")
        rows = self.con.execute(sql, (start, max_depth, node_cap + 2)).fetchall()
        result = Expansion(start)
        if rows and rows[0][0] != start:
            return result  # the start is not a vertex of this graph
        if len(rows) > node_cap + 1:
            rows, result.truncated = rows[:node_cap + 1], True
        before: dict[Any, list[Any]] = {}
        for vid, d, label, props, pred in rows:
            result.distance[vid] = d
            result.info[vid] = {"label": label, **_props(props)}
            if pred:
                before[vid] = json.loads(pred)
        if paths:
            for vid, d in result.distance.items():
                if d:
                    near_ones = [p for p in before.get(vid, ()) if result.distance.get(p) == d - 1]
                    result.parent[vid] = min(near_ones, key=lambda p: node_key(result.info[p]))
        return result

    def vertices(self, label: str, prop: str | None = None, value: str | None = None) -> list[Any]:
        lab = self.sid(label)
        if lab is None:
            return []
        if prop is None:
            return [r[0] for r in self.con.execute("SELECT s FROM quads WHERE o = ? AND p = 0", (lab,))]
        p, v = self.sid(prop), self.sid(value) if value is not None else None
        if p is None or v is None:
            return []
        return [r[0] for r in self.con.execute(
            "SELECT q.s FROM quads q CROSS JOIN quads lq ON lq.s = q.s AND lq.p = 0 AND lq.o = ? "
            "WHERE q.o = ? AND q.p = ? AND q.g > 0", (lab, v, p))]

    def unread(self, label: str, edge_labels: Sequence[str], limit: int) -> list[str]:
        lab, key = self.sid(label), self.sid(m.IDENTITY[label])
        if lab is None or key is None:
            return []
        codes = self._edge_codes(edge_labels) or [0]
        return [r[0] for r in self.con.execute(
            "SELECT ks.v FROM quads lq CROSS JOIN quads kq ON kq.s = lq.s AND kq.p = ? CROSS JOIN strings ks ON ks.id = kq.o "
            "WHERE lq.o = ? AND lq.p = 0 AND NOT EXISTS (SELECT 1 FROM quads e WHERE e.o = lq.s "
            f"AND e.p IN ({','.join(str(c) for c in codes)})) ORDER BY ks.v LIMIT ?", (key, lab, limit))]

    def count(self, label: str | None = None) -> int:
        if label is None:
            return self.con.execute("SELECT COUNT(*) FROM quads WHERE p = 0").fetchone()[0]
        lab = self.sid(label)
        if lab is None:
            return 0
        return self.con.execute("SELECT COUNT(*) FROM quads WHERE o = ? AND p = 0", (lab,)).fetchone()[0]

    def has_vertices(self) -> bool:
        return self.con.execute("SELECT 1 FROM quads WHERE p = 0 LIMIT 1").fetchone() is not None

    # -- writing and maintenance -------------------------------------------------

    def apply(self, batch: Any, *, fresh: bool) -> Any:
        if self.writer is None:
            raise RuntimeError("this graph was opened for reading only")
        return self.writer.apply(batch, fresh=fresh)

    def invalidate(self) -> None:
        self._sids.clear()
        if self.writer is not None:
            self.writer.invalidate()

    def snapshot(self) -> dict[str, Any]:
        vertices = self.con.execute(
            f"SELECT q.s, ls.v, {props_sql('q.s')} FROM quads q JOIN strings ls ON ls.id = q.o WHERE q.p = 0")
        out_v = [(s, label, json.loads(p) if p else {}) for s, label, p in vertices]
        edges = self.con.execute(
            f"SELECT q.s, el.v, q.o, {props_sql('q.g')} FROM quads q JOIN strings el ON el.id = -q.p WHERE q.p < 0")
        return snapshot_of(out_v, [(s, label, o, json.loads(p) if p else {}) for s, label, o, p in edges])

    def clear(self) -> None:
        self.con.execute("DELETE FROM quads")
        self.con.execute("DELETE FROM graphelts")
        self.invalidate()
