"""Applying a translated write batch to the embedded file in SQL.

The same merge as the Gremlin writer (the same functions:
:func:`lineage._writer.merge_vertices`, :func:`~lineage._writer.merge_edges` and
:func:`~lineage._writer.features_by_name`, with the rules of :mod:`lineage._model`),
with storage reached in a handful of batched statements per batch instead of a
traversal per element:

1. read the vertices the batch names that are not cached yet (one statement per
   label), and the out-edges of the vertices it writes edges from;
2. fold every assertion into that state in Python;
3. intern the strings the changes need, take ids from gremlite's ``graphelts``
   counter, and write new rows and changed values with ``executemany``.

It runs inside the caller's transaction (``BEGIN IMMEDIATE``, together with the
event log), so ids taken from the counter cannot collide with another writer's.
Cached state is dropped when another connection committed (``fresh``).
"""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from typing import Any

from .. import _model as m
from .._translate import Assertions
from .._writer import _NEW, WriteStats, _Element, features_by_name, merge_edges, merge_vertices
from . import bulk, searchindex
from .records import EDGES, LINEAGE_LABELS, NODES, record
from .sql import FLOAT_BASE, INT_SHIFT, props_sql
from .writecache import ELEMENTS, touch, trim

_CHUNK = 500


class SqlWriter:
    def __init__(self, con: sqlite3.Connection, cache_limit: int = ELEMENTS) -> None:
        self.con = con
        self.cache_limit = cache_limit   # vertices + edges kept between batches (see writecache.py)
        self._strings: dict[str, int] = {}
        self._vertices: OrderedDict[tuple[str, str], _Element] = OrderedDict()   # least recently used first
        self._edges: dict[int, dict[tuple[str, int, str], _Element]] = {}
        self._timed: set[int] = set()  # vertices (and -edge ids) with a prop_times row
        self._unrecorded: set[int] = set()  # vertices with rows the merge state leaves out (rev)
        self._held = 0   # vertices + out-edges cached, kept as they are added (see writecache.trim)

    def invalidate(self) -> None:
        self._strings.clear()
        self._vertices.clear()
        self._edges.clear()
        self._timed.clear()
        self._unrecorded.clear()
        self._held = 0

    # -- strings and ids ---------------------------------------------------------

    def _intern(self, texts: set[str]) -> None:
        missing = [t for t in texts if t not in self._strings]
        if not missing:
            return
        for i in range(0, len(missing), _CHUNK):
            part = json.dumps(missing[i:i + _CHUNK])
            self.con.execute("INSERT OR IGNORE INTO strings (v) SELECT value FROM json_each(?)", (part,))
            for sid, text in self.con.execute(
                    "SELECT id, v FROM strings WHERE v IN (SELECT value FROM json_each(?))", (part,)):
                self._strings[text] = sid

    def _encode(self, value: Any) -> int:
        if value is False or value is True:
            return int(value)
        if value is None:
            return 2
        if isinstance(value, int):
            return value - INT_SHIFT
        if isinstance(value, float):
            return self._strings[str(value)] + FLOAT_BASE
        return self._strings[value]

    def _texts(self, props: dict[str, Any]) -> set[str]:
        out = set(props)
        for v in props.values():
            if isinstance(v, str):
                out.add(v)
            elif isinstance(v, float):
                out.add(str(v))
        return out

    def _take_ids(self, n: int) -> range:
        """``n`` fresh ids from gremlite's element counter (we hold the write lock)."""
        if n == 0:
            return range(0)
        row = self.con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'graphelts'").fetchone()
        top = max(row[0] if row else 0, self.con.execute("SELECT COALESCE(MAX(id), 0) FROM graphelts").fetchone()[0])
        ids = range(top + 1, top + 1 + n)
        self.con.executemany("INSERT INTO graphelts (id) VALUES (?)", ((i,) for i in ids))
        return ids

    # -- reading state -------------------------------------------------------------

    def _load_vertices(self, wanted: set[tuple[str, str]]) -> None:
        by_label: dict[str, list[str]] = {}
        for label, key in wanted:
            if (label, key) not in self._vertices:
                by_label.setdefault(label, []).append(key)
        for label, keys in by_label.items():
            self._intern({label, m.IDENTITY[label]})
            lab, prop = self._strings[label], self._strings[m.IDENTITY[label]]
            for i in range(0, len(keys), _CHUNK):
                rows = self.con.execute(
                    f"SELECT ks.v, q.s, {props_sql('q.s')} FROM strings ks CROSS JOIN quads q ON q.o = ks.id AND q.p = ? "
                    "CROSS JOIN quads lq ON lq.s = q.s AND lq.p = 0 AND lq.o = ? "
                    "WHERE ks.v IN (SELECT value FROM json_each(?))",
                    (prop, lab, json.dumps(keys[i:i + _CHUNK]))).fetchall()
                for key, vid, props in rows:
                    raw = json.loads(props)
                    if "prop_times" in raw:
                        self._timed.add(vid)
                    if m.REV in raw:
                        self._unrecorded.add(vid)
                    self._vertices.setdefault((label, key), _Element.loaded(vid, raw, m.MERGE))
            for key in keys:
                self._vertices.setdefault((label, key), _Element(_NEW, m.MERGE))

    def _load_edges(self, out_ids: list[int]) -> None:
        missing = [vid for vid in out_ids if vid not in self._edges]
        codes = {-self._strings[label] for label in m.EDGE_LABELS if label in self._strings}
        for i in range(0, len(missing), _CHUNK):
            part = missing[i:i + _CHUNK]
            for vid in part:
                self._edges[vid] = {}
            if not codes:
                continue
            rows = self.con.execute(
                f"SELECT q.s, el.v, q.o, -q.g, {props_sql('q.g')} FROM json_each(?) j "
                f"CROSS JOIN quads q ON q.s = j.value AND q.p IN ({','.join(str(c) for c in codes)}) "
                "JOIN strings el ON el.id = -q.p", (json.dumps(part),)).fetchall()
            for out_id, label, in_id, eid, props in rows:
                raw = json.loads(props)
                if "prop_times" in raw:
                    self._timed.add(-eid)
                element = _Element.loaded(eid, raw, m.EDGE_MERGE)
                self._edges[out_id][(label, in_id, str(element.props.get("pipeline_id")))] = element

    # -- writing -------------------------------------------------------------------

    def apply(self, batch: Assertions, *, fresh: bool) -> WriteStats:
        if fresh:
            self.invalidate()
        with bulk.triggers_off(self.con):
            searchindex.sync(self.con)   # vertices others wrote since our last batch
            return self._apply(batch)

    def _apply(self, batch: Assertions) -> WriteStats:
        stats = WriteStats()
        vertices_before = len(self._vertices)
        batch = features_by_name(batch, self._vertices, self._load_vertices)
        wanted = {(a.label, a.key) for a in batch.vertices}
        wanted.update(e.out for e in batch.edges)
        wanted.update(e.in_ for e in batch.edges)
        self._load_vertices(wanted)

        touched = merge_vertices(batch, self._vertices)
        changes = {k: e.changes() for k, e in touched.items()}
        texts = {label for label, _ in touched} | {label for label in m.EDGE_LABELS}
        for diff in changes.values():
            texts |= self._texts(diff)
        self._intern(texts)

        # new vertices: one id for the vertex and one per property
        new = [(k, e) for k, e in touched.items() if e.id is _NEW]
        ids = iter(self._take_ids(sum(1 + len(changes[k]) for k, _ in new)))
        rows: list[tuple[int, int, int, int]] = []
        searched: list[int] = []   # vertices whose search row is (re)written
        for (label, _key), element in new:
            element.id = next(ids)
            rows.append((element.id, 0, self._strings[label], 0))
            rows.extend((element.id, self._strings[k], self._encode(v), next(ids)) for k, v in changes[(label, _key)].items())
            if "prop_times" in changes[(label, _key)]:
                self._timed.add(element.id)
            element.settle()
            self._edges[element.id] = {}
            stats.add_vertex(label)
            if label in searchindex.LABELS:
                searched.append(element.id)
        # changed properties of existing vertices
        updates: list[tuple[int, int, int]] = []
        added: list[tuple[int, str, Any]] = []
        created = {id(e) for _, e in new}
        for key, element in touched.items():
            if id(element) in created or not changes[key]:
                continue
            for k, v in changes[key].items():
                if self._has_row(element.id, k, element):
                    updates.append((self._encode(v), element.id, self._strings[k]))
                else:
                    added.append((element.id, k, v))
            if "prop_times" in changes[key]:
                self._timed.add(element.id)
            if not searchindex.WATCHED_PROPS.isdisjoint(changes[key]):
                searched.append(element.id)
            element.settle()
            stats.vertices_updated += 1
        more = iter(self._take_ids(len(added)))
        rows.extend((vid, self._strings[k], self._encode(v), next(more)) for vid, k, v in added)

        out_ids = {self._vertices[e.out].id for e in batch.edges}
        edges_before = {vid: len(self._edges.get(vid, ())) for vid in out_ids}
        lineage_edges = self._edge_rows(batch, rows, updates, stats)
        self._held += len(self._vertices) - vertices_before + sum(
            len(self._edges[vid]) - n for vid, n in edges_before.items())
        self.con.executemany("INSERT INTO quads (s, p, o, g) VALUES (?, ?, ?, ?)", rows)
        self.con.executemany("UPDATE quads SET o = ? WHERE s = ? AND p = ?", updates)
        # the projections the triggers keep for other writers (see bulk.py), in bulk
        written = [(label, e) for (label, _k), e in touched.items() if changes[(label, _k)] or id(e) in created]
        self.con.executemany(f"INSERT OR REPLACE INTO {NODES} (id, label, key, props) VALUES (?, ?, ?, ?)",
                             [(e.id, label, *record(label, e.props)) for label, e in written
                              if e.id not in self._unrecorded])
        self.con.executemany(f"DELETE FROM {NODES} WHERE id = ?",
                             [(e.id,) for _, e in written if e.id in self._unrecorded])
        self.con.executemany(f"INSERT OR REPLACE INTO {EDGES} (id, src, dst) VALUES (?, ?, ?)", lineage_edges)
        searchindex.refresh(self.con, searched)
        stats.traversals += 3
        # bounded: every run is a new vertex, so an unbounded cache is a leak
        touch(self._vertices, wanted)
        trim(self, self.cache_limit)
        return stats

    def _has_row(self, subject: int, key: str, element: _Element) -> bool:
        """Whether ``key`` is already stored for the vertex (or ``-edge id``) ``subject``.
        ``prop_times`` is kept out of the merge state, so its rows are tracked aside."""
        if key == "prop_times":
            return subject in self._timed
        return key in element.orig_props

    def _edge_rows(self, batch: Assertions, rows: list[tuple[int, int, int, int]],
                   updates: list[tuple[int, int, int]], stats: WriteStats) -> list[tuple[int, int, int]]:
        """Add the rows of new and changed edges to ``rows`` and ``updates``; the new
        lineage edges as ``lineage_edge`` rows."""
        self._load_edges(sorted({self._vertices[e.out].id for e in batch.edges}))  # (as apply counts them)
        state = merge_edges(batch.edges, self._vertices, self._edges)
        diffs = {ident: el.changes() for ident, el in state.items()}
        texts: set[str] = set()
        for diff in diffs.values():
            texts |= self._texts(diff)
        self._intern(texts)
        fresh = [ident for ident, el in state.items() if el.id is _NEW and diffs[ident]]
        ids = iter(self._take_ids(len(fresh)))
        lineage_edges: list[tuple[int, int, int]] = []
        for ident, element in state.items():
            diff = diffs[ident]
            if not diff:
                continue
            out_id, label, in_id, _pipeline = ident
            if element.id is _NEW:
                element.id = next(ids)
                rows.append((out_id, -self._strings[label], in_id, -element.id))
                if label in LINEAGE_LABELS:
                    lineage_edges.append((element.id, out_id, in_id))
                rows.extend((-element.id, self._strings[k], self._encode(v), 0) for k, v in diff.items())
                if "prop_times" in diff:
                    self._timed.add(-element.id)
                stats.edges_created += 1
            else:
                for k, v in diff.items():
                    if self._has_row(-element.id, k, element):
                        updates.append((self._encode(v), -element.id, self._strings[k]))
                    else:
                        rows.append((-element.id, self._strings[k], self._encode(v), 0))
                stats.edges_updated += 1
            element.settle()
        return lineage_edges

