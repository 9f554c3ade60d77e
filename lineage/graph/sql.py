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

Beside them, one record per vertex and a lineage edge table of ours
(:mod:`lineage.graph.records`), so every query is one statement reading one row
per node: an expansion is a recursive CTE over the edge table that returns each
kept node's record (:mod:`lineage.graph.sqlexpand`); the query layer's composite
reads (an expansion as finished nodes, with its readers, the pipelines around
nodes) are one statement each too (:mod:`lineage.graph.sqlreads`). Writes are
:mod:`lineage.graph.sqlwrite`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable, Sequence

from .. import _model as m
from .interface import DOWN, LINEAGE_EDGES, OUT, UP, Expansion, Graph, Hop, snapshot_of
from . import bulk, sqlaffected, sqlcatalog, sqlreads, sqlsearch
from .records import EDGES, NODES, has_records
from .sqlexpand import from_quads, from_records, loads, quads_sql, records_sql
from ..versions.asof import STORED

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


_IDENTITY_MAP = ", ".join(f"((SELECT id FROM strings WHERE v = '{label}'), (SELECT id FROM strings WHERE v = '{key}'))"
                          for label, key in m.IDENTITY.items())

COVERING_INDEX = "lineage_spog"
# Strings remembered per connection (each request thread has one): bounded, since
# every run adds new ones (its id, its times) and threads are many.
_CACHE_LIMIT = 100_000
_NAMES = sorted({*m.VERTEX_LABELS, *m.EDGE_LABELS, *m.IDENTITY.values()})


# A traversal reads pages all over the file (the edges, then each node's record): through
# a memory map they come from the OS page cache that every connection and process
# shares, without a read() and a copy into each connection's own small page cache.
# Address space only: nothing is read until touched, and a file larger than the map
# is read as usual beyond it.
MMAP_BYTES = 1 << 30


def tune_reads(con: sqlite3.Connection) -> None:
    """Set up a connection to the embedded file for traversals (see ``MMAP_BYTES``)."""
    con.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")


def ensure_index(con: sqlite3.Connection) -> None:
    """Add our one index to gremlite's tables: (s, p, o, g) covers every read by
    subject (a node's edges and properties, an edge's properties) without touching
    the table. gremlite keeps it up to date like its own four."""
    if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (COVERING_INDEX,)).fetchone():
        return
    in_tx = con.in_transaction
    con.execute(f"CREATE INDEX IF NOT EXISTS {COVERING_INDEX} ON quads (s, p, o, g)")
    if not in_tx:
        con.commit()


class SqlGraph(Graph):
    kind = "sql"

    def __init__(self, con: sqlite3.Connection, writer: Any = None, g: Any = None) -> None:
        self.con = con
        self.writer = writer
        self.g = g  # gremlite over the same file, for code that still speaks Gremlin
        self._sids: dict[str, int] = {}
        self._texts: dict[int, str] = {}
        self._names: dict[str, int] | None = None  # the model's names, as of data_version _names_at
        self._names_at = -1
        self._has_records = False
        self._ranks = False  # lineage_rank registered on the connection
        self._search_index = False  # the file keeps the search table of lineage.graph.searchindex

    def sid(self, text: str) -> int | None:
        """The id of a string, when the graph has it. Cached: strings are never deleted.
        The model's names (labels, keys) are read together, and read again when one
        is missing and another connection has committed since."""
        if text in _NAMES:
            return self._schema((text,)).get(text)
        found = self._sids.get(text)
        if found is None:
            row = self.con.execute("SELECT id FROM strings WHERE v = ?", (text,)).fetchone()
            if row is None:
                return None
            if len(self._sids) > _CACHE_LIMIT:
                self._sids.clear()
            found = self._sids[text] = row[0]
        return found

    def _schema(self, needed: Iterable[str] = _NAMES) -> dict[str, int]:
        """The model's names the graph has, by string id: read again (when another
        connection has committed since) only when one of ``needed`` is missing, since a
        string, once written, keeps its id."""
        names = self._names
        if names is not None and all(name in names for name in needed):
            return names
        version = self.con.execute("PRAGMA data_version").fetchone()[0]
        if names is None or version != self._names_at:
            self._names_at = version
            names = self._names = dict(self.con.execute(
                "SELECT v, id FROM strings WHERE v IN (SELECT value FROM json_each(?))", (json.dumps(_NAMES),)))
        return names

    def _fill(self, codes: Iterable[int]) -> None:
        """Read the strings behind ``codes`` (names and encoded values) not cached yet.
        Strings never change once written, so the cache only needs dropping after a
        rollback of our own writes (:meth:`invalidate`)."""
        cache = self._texts
        codes = set(codes)
        missing = {c - FLOAT_BASE if c > FLOAT_BASE else c for c in codes - cache.keys() if c > 2} - cache.keys()
        if not missing:
            return
        if len(cache) > _CACHE_LIMIT:   # dropped whole, then everything this call needs is read
            cache.clear()
            missing = {c - FLOAT_BASE if c > FLOAT_BASE else c for c in codes if c > 2}
        for sid, text in self.con.execute("SELECT id, v FROM strings WHERE id IN (SELECT value FROM json_each(?))",
                                          (json.dumps(list(missing)),)):
            cache[sid] = text

    def _decode(self, o: int) -> Any:
        if o > 2:
            return self._texts[o] if o <= FLOAT_BASE else float(self._texts[o - FLOAT_BASE])
        if o < 0:
            return o + INT_SHIFT
        return None if o == 2 else bool(o)

    def _nodes(self, rows: list[tuple[Any, ...]]) -> dict[Any, dict[str, Any]]:
        """Vertices from rows starting (vertex, p, o), grouped by vertex: the label row
        (p = 0) and the properties (p > 0; other rows are skipped)."""
        self._fill({r[2] for r in rows if r[1] >= 0} | {r[1] for r in rows if r[1] > 0})
        texts, decode = self._texts, self._decode
        out: dict[Any, dict[str, Any]] = {}
        last, node = None, {}
        for row in rows:
            s, p, o = row[0], row[1], row[2]
            if s != last:
                node = out.get(s)
                if node is None:
                    node = out[s] = {}
                last = s
            if p > 0:
                node[texts[p]] = texts[o] if 2 < o <= FLOAT_BASE else decode(o)
            elif p == 0:
                node["label"] = texts[o]
        for node in out.values():
            node.pop("prop_times", None)
        return out

    def _edge_codes(self, labels: Sequence[str]) -> list[int]:
        names = self._schema(labels)
        return [-names[label] for label in labels if label in names]

    def _identity_map(self) -> str:
        """A VALUES list of (label string id, identity key string id), the ids read by the
        statement itself (NULL for a name the graph does not have yet, which matches nothing)."""
        return _IDENTITY_MAP

    # -- identities ------------------------------------------------------------

    def lookup(self, label: str, keys: Sequence[str]) -> dict[str, Any]:
        lab, prop = self.sid(label), self.sid(m.IDENTITY[label])
        if lab is None or prop is None or not keys:
            return {}
        keys = list(keys)
        # one key (every query's start) is compared directly: no JSON to build and walk
        one = len(keys) == 1
        rows = self.con.execute(
            "SELECT ks.v, q.s FROM strings ks CROSS JOIN quads q ON q.o = ks.id AND q.p = ? "
            "CROSS JOIN quads lq ON lq.s = q.s AND lq.p = 0 AND lq.o = ? "
            f"WHERE ks.v {'= ?' if one else 'IN (SELECT value FROM json_each(?))'} ORDER BY q.s",
            (prop, lab, keys[0] if one else json.dumps(keys))).fetchall()
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

    def match(self, text: str, labels: Sequence[str], limit: int) -> list[tuple[Any, str, str, str | None, int]]:
        return sqlsearch.match(self, text, labels, limit)

    # -- reading ---------------------------------------------------------------

    def _records(self) -> bool:
        """Whether the file keeps the records of :mod:`lineage.graph.records` (asked
        again until it does: a writer may add them to a file we read)."""
        if not self._has_records:
            self._has_records = has_records(self.con)
        return self._has_records

    def describe(self, vids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        ids = list(dict.fromkeys(vids))
        if not ids or not self._records():
            return self.decoded(ids)
        rows = self.con.execute(f"SELECT j.value, n.props FROM json_each(?) j LEFT JOIN {NODES} n ON n.id = j.value",
                                (json.dumps(ids),)).fetchall()
        missing = [v for v, props in rows if props is None]
        if not missing:
            return dict(zip(ids, loads("[" + ",".join(r[1] for r in rows) + "]")))
        decoded = self.decoded(missing)
        return {v: loads(props) if props is not None else decoded[v]
                for v, props in rows if props is not None or v in decoded}

    def decoded(self, vids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        """:meth:`describe` from gremlite's own rows, for vertices without a record."""
        ids = list(dict.fromkeys(vids))
        if not ids:
            return {}
        rows = self.con.execute(
            "SELECT q.s, q.p, q.o FROM json_each(?) j CROSS JOIN quads q ON q.s = j.value AND q.p >= 0",
            (json.dumps(ids),)).fetchall()
        return {s: node for s, node in self._nodes(rows).items() if "label" in node}

    def _live(self, e: str, as_of: str | None) -> str:
        """SQL: the edge row ``e`` existed at ``as_of`` (the rule of
        :mod:`lineage.versions.asof`); empty without ``as_of``."""
        if as_of is None:
            return ""
        if not STORED.fullmatch(as_of):
            raise ValueError(f"as_of must be stored UTC text, e.g. 2024-05-01T00:00:00.000000Z; got {as_of!r}")
        names = self._schema((m.PIPELINE, m.RUN_OF))
        fs, ls, pk = (self.sid(k) or 0 for k in ("first_seen", "last_seen", "pipeline_id"))
        pipeline, run_of = names.get(m.PIPELINE, 0), -names.get(m.RUN_OF, 0)
        at = f"'{as_of}'"
        first = f"(SELECT xs.v FROM quads x CROSS JOIN strings xs ON xs.id = x.o WHERE x.s = {e}.g AND x.p = {fs})"
        last = f"(SELECT xs.v FROM quads x CROSS JOIN strings xs ON xs.id = x.o WHERE x.s = {e}.g AND x.p = {ls})"
        # a run of the edge's pipeline that began after the edge was last named, by as_of
        later = ("SELECT 1 FROM quads ep CROSS JOIN quads pv ON pv.o = ep.o AND pv.p = ep.p AND pv.s > 0 "
                 f"CROSS JOIN quads pl ON pl.s = pv.s AND pl.p = 0 AND pl.o = {pipeline} "
                 f"CROSS JOIN quads ro ON ro.o = pv.s AND ro.p = {run_of} "
                 f"CROSS JOIN quads rf ON rf.s = ro.s AND rf.p = {fs} CROSS JOIN strings rs ON rs.id = rf.o "
                 f"WHERE ep.s = {e}.g AND ep.p = {pk} AND rs.v <= {at} AND rs.v > COALESCE({last}, {first})")
        return f" AND {first} <= {at} AND NOT EXISTS ({later})"

    def _edges_of(self, vids: Iterable[Any], direction: str, labels: Sequence[str],
                  as_of: str | None = None) -> tuple[str, str, str, tuple[Any, ...]] | None:
        """SQL over the ``labels`` edges of ``vids`` in ``direction`` (alias ``q``):
        (near end, far end, FROM clause, its parameters); None when none can match."""
        ids = list(dict.fromkeys(vids))
        codes = self._edge_codes(labels)
        if not ids or not codes:
            return None
        here, there = ("q.s", "q.o") if direction == OUT else ("q.o", "q.s")
        return (here, there, f"FROM json_each(?) j CROSS JOIN quads q ON {here} = j.value "
                f"AND q.p IN ({','.join('?' * len(codes))}){self._live('q', as_of)}", (json.dumps(ids), *codes))

    def hops(self, vids: Iterable[Any], direction: str, labels: Sequence[str],
             as_of: str | None = None) -> list[Hop]:
        scan = self._edges_of(vids, direction, labels, as_of)
        if scan is None:
            return []
        here, there, edges_sql, params = scan
        # edge rows (g < 0), each followed by its property rows (s = g)
        rows = self.con.execute(f"SELECT {here}, q.p, {there}, q.g, pq.p, pq.o {edges_sql} "
                                "LEFT JOIN quads pq ON pq.s = q.g AND pq.p > 0", params).fetchall()
        self._fill(c for r in rows for c in (-r[1], r[4] or 0, r[5] or 0))
        texts, decode = self._texts, self._decode
        edges: dict[Any, tuple[Any, str, Any, dict[str, Any]]] = {}
        for source, p, target, g, name, value in rows:
            edge = edges.get(g)
            if edge is None:
                edge = edges[g] = (source, texts[-p], target, {})
            if name is not None:
                edge[3][texts[name]] = decode(value)
        hops = []
        for source, label, target, props in edges.values():
            props.pop("prop_times", None)
            hops.append(Hop(source, label, target, props))
        return hops

    def hop_values(self, vids: Iterable[Any], direction: str, labels: Sequence[str], prop: str,
                   as_of: str | None = None) -> list[tuple[Any, str, Any, Any]]:
        return sqlreads.hop_values(self, vids, direction, labels, prop, as_of)

    def neighbors(self, vids: Iterable[Any], direction: str, labels: Sequence[str],
                  as_of: str | None = None) -> list[tuple[Any, Any]]:
        if as_of is not None:   # which edges existed then depends on their properties
            return super().neighbors(vids, direction, labels, as_of)
        scan = self._edges_of(vids, direction, labels)
        if scan is None:
            return []
        here, there, edges_sql, params = scan
        return self.con.execute(f"SELECT {here}, {there} {edges_sql}", params).fetchall()

    def expand(self, start: Any, direction: str, max_depth: int, node_cap: int,
               paths: bool = True, as_of: str | None = None) -> Expansion:
        if direction not in (UP, DOWN):
            raise ValueError(f"direction must be {UP!r} or {DOWN!r}")
        if as_of is not None:
            return self._expand_as_of(start, direction, max_depth, node_cap, paths, as_of)
        if self._records():
            rows = self.con.execute(records_sql(direction, self._identity_map(), paths),
                                    (node_cap + 2, start, max_depth)).fetchall()
            if len(rows) > node_cap + 1:   # more than kept: which ones, SQL decides in order
                rows = self.con.execute(records_sql(direction, self._identity_map(), paths, cut=True),
                                        (node_cap + 2, start, max_depth)).fetchall()
            return from_records(self, rows, start, node_cap, paths)
        codes = self._edge_codes(LINEAGE_EDGES) or [0]
        rows = self.con.execute(quads_sql(codes, direction, self._identity_map(), paths),
                                (node_cap + 2, start, max_depth)).fetchall()
        return from_quads(self, rows, start, node_cap, paths)

    def expand_nodes(self, start: Any, direction: str, max_depth: int,
                     node_cap: int) -> tuple[list[dict[str, Any]], bool]:
        found = sqlreads.expand_nodes(self, start, direction, max_depth, node_cap)
        return found if found is not None else super().expand_nodes(start, direction, max_depth, node_cap)

    def expand_readers(self, start: Any, max_depth: int, node_cap: int, as_of: str | None = None
                       ) -> tuple[Expansion, dict[Any, set[Any]], dict[Any, dict[str, Any]]]:
        found = sqlreads.expand_readers(self, start, max_depth, node_cap, as_of)
        return found if found is not None else super().expand_readers(start, max_depth, node_cap, as_of)

    def pipelines(self, wrote: Sequence[Any], read: Sequence[Any], as_of: str | None = None) -> sqlreads.Pipelines:
        found = sqlreads.pipelines(self, wrote, read, as_of)
        return found if found is not None else super().pipelines(wrote, read, as_of)

    def _expand_as_of(self, start: Any, direction: str, max_depth: int, node_cap: int,
                      paths: bool, as_of: str) -> Expansion:
        """:meth:`expand` along the edges that existed at ``as_of``: over gremlite's rows, where
        each edge's first and last sighting and its pipeline's runs are (the records and the
        edge table hold no times)."""
        codes = self._edge_codes(LINEAGE_EDGES) or [0]
        live = (self._live("q", as_of), self._live("e", as_of))
        rows = self.con.execute(quads_sql(codes, direction, self._identity_map(), paths, live),
                                (node_cap + 2, start, max_depth)).fetchall()
        return from_quads(self, rows, start, node_cap, paths)

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

    def first_vertices(self, labels: Sequence[str], limit: int) -> list[Any]:
        return sqlcatalog.first_vertices(self, labels, limit)

    # -- writing and maintenance -------------------------------------------------

    def apply(self, batch: Any, *, fresh: bool, also: list[Any] | None = None) -> Any:
        if self.writer is None:
            raise RuntimeError("this graph was opened for reading only")
        if also:
            raise ValueError("the embedded event log writes its rows itself; it stages no graph steps")
        self._names = None  # our own writes do not move data_version
        return self.writer.apply(batch, fresh=fresh)

    def invalidate(self) -> None:
        self._names = None
        self._sids.clear()
        self._texts.clear()
        if self.writer is not None:
            self.writer.invalidate()

    def snapshot(self) -> dict[str, Any]:
        rows = self.con.execute("SELECT s, p, o FROM quads WHERE s > 0 AND p >= 0 AND g >= 0").fetchall()
        self._fill(c for _, p, o in rows for c in (p, o))
        vertices: dict[Any, dict[str, Any]] = {}
        for s, p, o in rows:
            node = vertices.setdefault(s, {})
            node["\0label" if p == 0 else self._texts[p]] = self._decode(o) if p else self._texts[o]
        edges = self.con.execute("SELECT q.s, -q.p, q.o, q.g, pq.p, pq.o FROM quads q "
                                 "LEFT JOIN quads pq ON pq.s = q.g AND pq.p > 0 WHERE q.p < 0").fetchall()
        self._fill(c for r in edges for c in (r[1], r[4] or 0, r[5] or 0))
        by_edge: dict[tuple[Any, int, Any, int], dict[str, Any]] = {}
        for s, label, o, g, name, value in edges:
            props = by_edge.setdefault((s, label, o, g), {})
            if name is not None:
                props[self._texts[name]] = self._decode(value)
        return snapshot_of(((v, props.pop("\0label"), props) for v, props in vertices.items()),
                           ((s, self._texts[label], o, props) for (s, label, o, _), props in by_edge.items()))

    def clear(self) -> None:
        if self.con.in_transaction and has_records(self.con):
            # every projection emptied at once, not row by row through the triggers
            with bulk.triggers_off(self.con):
                self.con.execute("DELETE FROM quads")
                self.con.execute(f"DELETE FROM {NODES}")
                self.con.execute(f"DELETE FROM {EDGES}")
                sqlsearch.searchindex.clear(self.con)
        else:
            sqlsearch.searchindex.clear(self.con)
            self.con.execute("DELETE FROM quads")
        self.con.execute("DELETE FROM graphelts")
        self.invalidate()

    # -- composite reads ---------------------------------------------------------

    def affected(self, start: Any, max_depth: int, node_cap: int) -> tuple[list[dict[str, Any]], bool]:
        found = sqlaffected.affected(self, start, max_depth, node_cap)
        return found if found is not None else super().affected(start, max_depth, node_cap)
