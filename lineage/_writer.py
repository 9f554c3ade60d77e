"""Applying assertions to a graph with portable Gremlin, in few round trips.

For a batch of assertions the writer

1. finds the vertices it does not know yet (one ``has(key, within(...))``
   traversal per label) and the out-edges of those that exist;
2. folds every assertion into that state in Python with the merge rules of
   :mod:`lineage._model`, so a batch that touches a dataset a hundred times
   writes it once;
3. writes only what changed: new vertices in chained ``addV`` traversals that
   return their ids, then property updates and edges as ``sideEffect`` steps of
   one traversal per chunk.

Known state is cached between batches; the backend says when another writer
may have changed the graph, and the cache is dropped then (always, on a remote
server; on SQLite when another connection committed).

On a remote server (``atomic``) step 3 is a single guarded traversal instead,
built by :mod:`lineage._guarded`: one JanusGraph transaction per group that
writes only if nothing it read has changed meanwhile.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import Cardinality, Direction, P, T

from . import _guarded
from . import _model as m
from ._backends import first
from ._eventlog import EVENT
from ._retry import TornRead
from ._translate import Assertions, EdgeAssert, as_features
from .graph.writecache import ELEMENTS, touch, trim

_WITHIN = 200
_CREATE_CHUNK = 60
_CREATE_STEPS = 600
_NEW = object()
EVENT_KEY = "event_fp"


@dataclass
class _Element:
    """A vertex or edge as known to the writer: its properties, the event time
    behind each "latest" property, and what the graph holds (``orig_*``)."""

    id: Any
    rules: dict[str, str]
    props: dict[str, Any] = field(default_factory=dict)
    times: dict[str, str] = field(default_factory=dict)
    orig_props: dict[str, Any] = field(default_factory=dict)
    orig_times: dict[str, str] = field(default_factory=dict)
    rev: str | None = None       # the revision read (remote vertices; see _guarded)

    @classmethod
    def loaded(cls, ident: Any, raw: dict[str, Any], rules: dict[str, str]) -> "_Element":
        props = {k: first(v) for k, v in raw.items()}
        stored = json.loads(props.pop("prop_times", None) or "{}")
        rev = props.pop(m.REV, None)
        last = props.get("last_seen", "")
        times = {k: stored.get(k, last) for k in props if rules.get(k, "latest") == "latest"}
        element = cls(ident, rules, props, times, rev=rev)
        element.settle()
        return element

    def merge(self, props: dict[str, Any], time: str, weak: frozenset[str] = frozenset()) -> None:
        changed, changed_times = m.merge_props(self.props, self.times, props, time, weak, self.rules)
        self.props.update(changed)
        self.times.update(changed_times)

    def _stored_times(self, props: dict[str, Any], times: dict[str, str]) -> str:
        """Per-property times as stored: only those that differ from ``last_seen``.

        In an ordered stream every assertion moves its properties to the new time
        together, so this stays ``{}`` and costs no write."""
        last = props.get("last_seen", "")
        rules = self.rules
        explicit = {k: at for k in props
                    if (at := times.get(k, "")) != last and rules.get(k, "latest") == "latest"}
        # sorted only when there is anything to store (rarely): the key order is the text's
        return json.dumps(dict(sorted(explicit.items())), separators=(",", ":")) if explicit else "{}"

    def changes(self) -> dict[str, Any]:
        diff = {k: v for k, v in self.props.items() if self.orig_props.get(k) != v}
        stored = self._stored_times(self.props, self.times)
        before = self._stored_times(self.orig_props, self.orig_times) if self.orig_props else "{}"
        if stored != before:
            diff["prop_times"] = stored
        return diff

    def settle(self) -> None:
        self.orig_props, self.orig_times = dict(self.props), dict(self.times)


@dataclass
class WriteStats:
    vertices_created: int = 0
    vertices_updated: int = 0
    edges_created: int = 0
    edges_updated: int = 0
    traversals: int = 0
    created: dict[str, int] = field(default_factory=dict)   # vertices created, by label

    def add_vertex(self, label: str) -> None:
        self.vertices_created += 1
        self.created[label] = self.created.get(label, 0) + 1


class GraphWriter:
    def __init__(self, g: GraphTraversalSource, chunk: int = 60, cache_limit: int = ELEMENTS,
                 new_vertex_cardinality: Cardinality | None = None, atomic: bool = False) -> None:
        self.g = g
        self.atomic = atomic
        self.new_vertex_cardinality = new_vertex_cardinality
        self.chunk = chunk
        self.cache_limit = cache_limit
        self._vertices: OrderedDict[tuple[str, str], _Element] = OrderedDict()   # least recently used first
        self._edges: dict[Any, dict[tuple[str, Any, str], _Element]] = {}
        self._prefetched = 0

    def invalidate(self) -> None:
        self._prefetched = 0
        self._vertices.clear()
        self._edges.clear()

    # -- reading state ---------------------------------------------------------

    def _load_vertices(self, wanted: set[tuple[str, str]], stats: WriteStats,
                       fingerprints: list[str] | None = None) -> set[str]:
        """Load the wanted vertices not known yet; with ``fingerprints`` (atomic writers
        only), also say which of those events are logged already, in the same round trip."""
        by_label: dict[str, list[str]] = {}
        for label, key in wanted:
            if (label, key) not in self._vertices:
                by_label.setdefault(label, []).append(key)
        known: set[str] = set()
        if self.atomic and (by_label or fingerprints):
            known = self._load_with_edges(by_label, stats, fingerprints or [])
        for label, keys in by_label.items():
            prop = m.IDENTITY[label]
            for i in range(0, len(keys), _WITHIN) if not self.atomic else ():
                rows = self.g.V().has(prop, P.within(keys[i:i + _WITHIN])).has_label(label).element_map().to_list()
                stats.traversals += 1
                for row in rows:
                    ident = row.pop(T.id)
                    row.pop(T.label, None)
                    element = _Element.loaded(ident, row, m.MERGE)
                    self._vertices[(label, str(element.props[prop]))] = element
            for key in keys:
                self._vertices.setdefault((label, key), _Element(_NEW, m.MERGE))
        return known

    def _load_with_edges(self, by_label: dict[str, list[str]], stats: WriteStats,
                         fingerprints: list[str]) -> set[str]:
        """Every wanted vertex of every label with all its out-edges, and which of
        ``fingerprints`` are logged events, in one round trip."""
        branches = []
        for label, keys in by_label.items():
            prop = m.IDENTITY[label]
            branches.extend(__.V().has(prop, P.within(keys[i:i + _WITHIN])).has_label(label)
                            for i in range(0, len(keys), _WITHIN))
        logged = [__.V().has(EVENT_KEY, P.within(fingerprints[i:i + _WITHIN])).has_label(EVENT)
                  for i in range(0, len(fingerprints), _WITHIN)]
        vertices = __.union(*branches).project("v", "e") \
            .by(__.element_map()).by(__.out_e(*m.EDGE_LABELS).element_map().fold())
        if not logged:
            answer = {"known": [], "rows": self.g.inject(0).flat_map(vertices).to_list()}
        elif not branches:
            answer = {"known": self.g.inject(0).union(*logged).values(EVENT_KEY).to_list(), "rows": []}
        else:
            answer = self.g.inject(0).project("known", "rows") \
                .by(__.union(*logged).values(EVENT_KEY).fold()).by(vertices.fold()).next()
        stats.traversals += 1
        for row in answer["rows"]:
            vrow = row["v"]
            ident, label = vrow.pop(T.id), vrow.pop(T.label)
            if m.IDENTITY[label] not in vrow:
                raise TornRead(f"{label} vertex {ident} was read while another writer was creating it")
            element = _Element.loaded(ident, vrow, m.MERGE)
            self._vertices[(label, str(element.props[m.IDENTITY[label]]))] = element
            edges = self._edges[ident] = {}
            for erow in row["e"]:
                eid, elabel = erow.pop(T.id), erow.pop(T.label)
                erow.pop(Direction.OUT)
                in_id = erow.pop(Direction.IN)[T.id]
                edge = _Element.loaded(eid, erow, m.EDGE_MERGE)
                edges[(elabel, in_id, str(edge.props.get("pipeline_id")))] = edge
        return set(answer["known"])

    def _load_edges(self, out_ids: list[Any], stats: WriteStats) -> None:
        """Every out-edge of each vertex not known yet (all labels: a vertex is then
        known whole, whatever a later batch asserts about it)."""
        missing = [vid for vid in out_ids if vid not in self._edges]
        for i in range(0, len(missing), _WITHIN):
            part = missing[i:i + _WITHIN]
            rows = self.g.V(*part).out_e(*m.EDGE_LABELS).element_map().to_list()
            stats.traversals += 1
            for vid in part:
                self._edges[vid] = {}
            for row in rows:
                ident, label = row.pop(T.id), row.pop(T.label)
                out_id, in_id = row.pop(Direction.OUT)[T.id], row.pop(Direction.IN)[T.id]
                element = _Element.loaded(ident, row, m.EDGE_MERGE)
                self._edges[out_id][(label, in_id, str(element.props.get("pipeline_id")))] = element

    # -- writing ---------------------------------------------------------------

    def _start(self, fresh: bool) -> None:
        if fresh:
            self.invalidate()

    def prefetch(self, batch: Assertions, fingerprints: list[str], *, fresh: bool) -> set[str]:
        """Atomic writers: read, in one round trip, the state of every identity ``batch``
        touches and which of the events (by fingerprint) are logged already; return
        those. A following :meth:`apply` of (part of) ``batch`` with ``fresh=False``
        reads nothing more."""
        self._start(fresh)
        stats = WriteStats()
        known = self._load_vertices(_identities(batch), stats, fingerprints)
        self._prefetched = stats.traversals   # counted with the write that follows
        return known

    def apply(self, batch: Assertions, *, fresh: bool, also: list[Callable[[Any], Any]] | None = None
              ) -> WriteStats:
        """Write ``batch``. ``fresh`` says cached state may be stale and must be reloaded.
        ``also``: further steps (event log entries) for the same transaction; only an
        atomic writer takes them, the embedded log writes through SQL itself."""
        stats = WriteStats(traversals=self._prefetched)
        self._prefetched = 0
        self._start(fresh)
        if self.atomic:   # every identity the group touches, features named like its datasets too: one read
            self._load_vertices(_identities(batch), stats)
        batch = self._features_by_name(batch, stats)
        wanted = {(a.label, a.key) for a in batch.vertices}
        wanted.update(e.out for e in batch.edges)
        wanted.update(e.in_ for e in batch.edges)
        self._load_vertices(wanted, stats)

        touched = merge_vertices(batch, self._vertices)
        if self.atomic:
            _guarded.write(self.g, touched, batch.edges, self._vertices, self._edges, also or [], stats)
            self.invalidate()
            return stats
        self._create_vertices([(k, e) for k, e in touched.items() if e.id is _NEW], stats)

        ops: list[tuple[Any, Callable[[Any], Any]]] = []
        vertex_updates: dict[tuple[tuple[str, Any], ...], list[Any]] = {}
        for element in touched.values():
            diff = element.changes()
            if diff:
                vertex_updates.setdefault(tuple(sorted(diff.items())), []).append(element.id)
                stats.vertices_updated += 1
                element.settle()
        ops.extend(_grouped("V", vertex_updates))

        self._load_edges(sorted({self._vertices[e.out].id for e in batch.edges}, key=str), stats)
        edge_state = merge_edges(batch.edges, self._vertices, self._edges)
        grown: set[Any] = set()
        edge_updates: dict[tuple[tuple[str, Any], ...], list[Any]] = {}
        for (out_id, label, in_id, _pipeline), element in edge_state.items():
            diff = element.changes()
            if not diff:
                continue
            if element.id is _NEW:
                ops.append((out_id, _add_edge(out_id, in_id, label, diff)))
                grown.add(out_id)
                stats.edges_created += 1
            else:
                edge_updates.setdefault(tuple(sorted(diff.items())), []).append(element.id)
                stats.edges_updated += 1
            element.settle()
        anchor = next(iter(touched.values())).id if touched else None
        ops.extend((anchor, op) for _, op in _grouped("E", edge_updates))
        self._run_side_effects(ops, stats)
        for out_id in grown:  # new edges' ids are learnt when next needed
            self._edges.pop(out_id, None)
        # the cache is a speed-up, not a copy of the graph: the least recently used
        # vertices go (with their out-edges) past the limit, so memory stays flat
        touch(self._vertices, wanted)
        trim(self, self.cache_limit)
        return stats

    def _features_by_name(self, batch: Assertions, stats: WriteStats) -> Assertions:
        return features_by_name(batch, self._vertices, lambda wanted: self._load_vertices(wanted, stats))

    def _create_vertices(self, new: list[tuple[tuple[str, str], _Element]], stats: WriteStats) -> None:
        """Chained ``addV`` traversals, then one id lookup per label (``select`` over many
        step labels is quadratic on gremlite; a keyed lookup is cheap on both engines)."""
        card = self.new_vertex_cardinality
        t: Any = None
        vertices = steps = 0
        for (label, _key), element in new:
            changes = element.changes()
            # gremlite evaluates a chained traversal recursively, one frame per step: bound
            # the steps per traversal as well as the vertices
            if t is not None and (vertices == _CREATE_CHUNK or steps + 1 + len(changes) > _CREATE_STEPS):
                t.iterate()
                stats.traversals += 1
                t, vertices, steps = None, 0, 0
            t = (t if t is not None else self.g).add_v(label)
            for k, v in changes.items():
                t = t.property(card, k, v) if card else t.property(k, v)
            vertices += 1
            steps += 1 + len(changes)
        if t is not None:
            t.iterate()
            stats.traversals += 1
        for (label, key), element in new:
            del self._vertices[(label, key)]
        self._load_vertices({k for k, _ in new}, stats)
        for (label, key), element in new:
            loaded = self._vertices[(label, key)]
            if loaded.id is _NEW:
                raise RuntimeError(f"{label} {key!r} was written but cannot be read back")
            element.id = loaded.id
            element.settle()
            self._vertices[(label, key)] = element
            self._edges[element.id] = {}
            stats.add_vertex(label)

    def _run_side_effects(self, ops: list[tuple[Any, Callable[[Any], Any]]], stats: WriteStats) -> None:
        """Run each op once: alone (chunk 1), or as a side effect of one traverser on
        an existing vertex, ``chunk`` ops per traversal (one round trip)."""
        if self.chunk == 1:
            for _anchor, op in ops:
                op(self.g).iterate()
            stats.traversals += len(ops)
            return
        for i in range(0, len(ops), self.chunk):
            part = ops[i:i + self.chunk]
            t = self.g.V(part[0][0])
            for _anchor, op in part:
                t = t.side_effect(op(__))
            t.iterate()
            stats.traversals += 1


# -- the merge, shared with the SQL writer (lineage.graph.sqlwrite) ----------------

def merge_vertices(batch: Assertions, known: dict[tuple[str, str], _Element]) -> dict[tuple[str, str], _Element]:
    """Fold every vertex assertion of ``batch`` into its element in ``known`` (loaded
    or new beforehand) with the merge rules; return the elements touched, by identity."""
    touched: dict[tuple[str, str], _Element] = {}
    for a in batch.vertices:
        element = known[(a.label, a.key)]
        element.merge(a.props, a.time, a.weak)
        touched[(a.label, a.key)] = element
    return touched


def merge_edges(edge_asserts: Iterable[EdgeAssert], vertices: dict[tuple[str, str], _Element],
                edges: dict[Any, dict[tuple[str, Any, str], _Element]]) -> dict[tuple[Any, str, Any, str], _Element]:
    """Fold every one of ``edge_asserts`` into its edge (one per out-vertex, label,
    in-vertex and pipeline) among ``edges``, the known out-edges of each out-vertex (new
    ones are added there); return the edges touched by ``(out id, label, in id, pipeline)``."""
    state: dict[tuple[Any, str, Any, str], _Element] = {}
    for e in edge_asserts:
        out_id, in_id = vertices[e.out].id, vertices[e.in_].id
        ident = (out_id, e.label, in_id, e.pipeline_id)
        element = state.get(ident)
        if element is None:
            element = edges[out_id].setdefault((e.label, in_id, e.pipeline_id), _Element(_NEW, m.EDGE_MERGE))
            state[ident] = element
        element.merge({"pipeline_id": e.pipeline_id, **e.props}, e.time)
    return state


def features_by_name(batch: Assertions, known: dict[tuple[str, str], _Element],
                     load: Callable[[set[tuple[str, str]]], Any]) -> Assertions:
    """A dataset that no facet typed, named like a known feature view, is that Feature
    (a training job reading a feature view rarely says it is one). ``load`` reads the
    wanted Feature identities into ``known``."""
    untyped = {a.key for a in batch.vertices if a.label == m.DATASET and a.untyped}
    if not untyped:
        return batch
    declared = {a.key for a in batch.vertices if a.label == m.FEATURE}
    load({(m.FEATURE, k) for k in untyped - declared})
    features = {k for k in untyped if k in declared or known[(m.FEATURE, k)].id is not _NEW}
    if not features:
        return batch
    return as_features(batch, features)


def _identities(batch: Assertions) -> set[tuple[str, str]]:
    """Every vertex a batch names, and the features named like its untyped datasets."""
    wanted = {(a.label, a.key) for a in batch.vertices}
    wanted.update(e.out for e in batch.edges)
    wanted.update(e.in_ for e in batch.edges)
    wanted.update((m.FEATURE, a.key) for a in batch.vertices if a.label == m.DATASET and a.untyped)
    return wanted


def _grouped(step: str, updates: dict[tuple[tuple[str, Any], ...], list[Any]]
             ) -> list[tuple[Any, Callable[[Any], Any]]]:
    """One op per distinct change, applied to every element that needs it: the
    elements of one run all move ``last_seen`` to the same time, for instance.
    ``fold()`` makes the op one result, so a side effect sees every element."""
    ops = []
    for diff, ids in updates.items():
        for i in range(0, len(ids), _WITHIN):
            part = ids[i:i + _WITHIN]

            def op(source: Any, part: list[Any] = part, diff: tuple[tuple[str, Any], ...] = diff) -> Any:
                t = source.V(*part) if step == "V" else source.E(*part)
                for k, v in diff:
                    t = t.property(Cardinality.single, k, v) if step == "V" else t.property(k, v)
                return t.fold()
            ops.append((part[0], op))
    return ops


def _add_edge(out_id: Any, in_id: Any, label: str, props: dict[str, Any]) -> Callable[[Any], Any]:
    def op(source: Any) -> Any:
        t = source.V(out_id).as_("a").V(in_id).add_e(label).from_("a")
        for k, v in props.items():
            t = t.property(k, v)
        return t
    return op
