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
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import Cardinality, P

from . import _model as m
from ._backends import first
from ._translate import Assertions

_WITHIN = 200
_NEW = object()


@dataclass
class _Element:
    id: Any
    props: dict[str, Any]
    times: dict[str, str]
    orig_props: dict[str, Any] = field(default_factory=dict)
    orig_times: dict[str, str] = field(default_factory=dict)

    @classmethod
    def loaded(cls, ident: Any, raw: dict[str, Any]) -> "_Element":
        props = {k: first(v) for k, v in raw.items()}
        times = json.loads(props.pop("prop_times", None) or "{}")
        return cls(ident, props, times, dict(props), dict(times))

    def merge(self, props: dict[str, Any], time: str, weak: frozenset[str] = frozenset(),
              rules: dict[str, str] = m.MERGE) -> None:
        changed, changed_times = m.merge_props(self.props, self.times, props, time, weak, rules)
        self.props.update(changed)
        self.times.update(changed_times)

    def changes(self) -> dict[str, Any]:
        diff = {k: v for k, v in self.props.items() if self.orig_props.get(k) != v}
        if self.times != self.orig_times:
            diff["prop_times"] = json.dumps(self.times, sort_keys=True)
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


class GraphWriter:
    def __init__(self, g: GraphTraversalSource, chunk: int = 60, cache_limit: int = 200_000) -> None:
        self.g = g
        self.chunk = chunk
        self.cache_limit = cache_limit
        self._vertices: dict[tuple[str, str], _Element] = {}
        self._edges: dict[Any, dict[tuple[str, Any, str], _Element]] = {}

    def invalidate(self) -> None:
        self._vertices.clear()
        self._edges.clear()

    # -- reading state ---------------------------------------------------------

    def _load_vertices(self, wanted: set[tuple[str, str]], stats: WriteStats) -> None:
        by_label: dict[str, list[str]] = {}
        for label, key in wanted:
            if (label, key) not in self._vertices:
                by_label.setdefault(label, []).append(key)
        for label, keys in by_label.items():
            prop = m.IDENTITY[label]
            for i in range(0, len(keys), _WITHIN):
                rows = (self.g.V().has(prop, P.within(keys[i:i + _WITHIN])).has_label(label)
                        .project("id", "p").by(__.id_()).by(__.value_map()).to_list())
                stats.traversals += 1
                for row in rows:
                    element = _Element.loaded(row["id"], row["p"])
                    self._vertices[(label, str(element.props[prop]))] = element
            for key in keys:
                self._vertices.setdefault((label, key), _Element(_NEW, {}, {}))

    def _load_edges(self, out_ids: list[Any], labels: list[str], stats: WriteStats) -> None:
        missing = [vid for vid in out_ids if vid not in self._edges]
        for i in range(0, len(missing), _WITHIN):
            part = missing[i:i + _WITHIN]
            rows = (self.g.V(*part).out_e(*labels)
                    .project("o", "l", "i", "p").by(__.out_v().id_()).by(__.label()).by(__.in_v().id_())
                    .by(__.value_map()).to_list())
            stats.traversals += 1
            for vid in part:
                self._edges[vid] = {}
            for row in rows:
                element = _Element.loaded(None, row["p"])
                self._edges[row["o"]][(row["l"], row["i"], str(element.props.get("pipeline_id")))] = element

    # -- writing ---------------------------------------------------------------

    def apply(self, batch: Assertions, *, fresh: bool) -> WriteStats:
        """Write ``batch``. ``fresh`` says cached state may be stale and must be reloaded."""
        stats = WriteStats()
        if fresh or len(self._vertices) > self.cache_limit:
            self.invalidate()
        wanted = {(a.label, a.key) for a in batch.vertices}
        wanted.update(e.out for e in batch.edges)
        wanted.update(e.in_ for e in batch.edges)
        self._load_vertices(wanted, stats)

        touched: dict[tuple[str, str], _Element] = {}
        for a in batch.vertices:
            element = self._vertices[(a.label, a.key)]
            element.merge(a.props, a.time, a.weak)
            touched[(a.label, a.key)] = element
        for (label, key), element in touched.items():
            element.props.setdefault(m.IDENTITY[label], key)
        self._create_vertices([(k, e) for k, e in touched.items() if e.id is _NEW], stats)

        existing_out = sorted({self._vertices[e.out].id for e in batch.edges
                               if self._vertices[e.out].orig_props}, key=str)
        self._load_edges(existing_out, sorted({e.label for e in batch.edges}), stats)
        ops: list[tuple[Any, Any]] = []
        for (label, key), element in touched.items():
            if element.orig_props:
                diff = element.changes()
                if diff:
                    step = __.V(element.id)
                    for k, v in diff.items():
                        step = step.property(Cardinality.single, k, v)
                    ops.append((element.id, step))
                    stats.vertices_updated += 1
            element.settle()

        edge_state: dict[tuple[Any, str, Any, str], _Element] = {}
        for e in batch.edges:
            out_id, in_id = self._vertices[e.out].id, self._vertices[e.in_].id
            ident = (out_id, e.label, in_id, e.pipeline_id)
            element = edge_state.get(ident)
            if element is None:
                known = self._edges.setdefault(out_id, {})
                element = known.get((e.label, in_id, e.pipeline_id))
                if element is None:
                    element = _Element(_NEW, {}, {})
                    known[(e.label, in_id, e.pipeline_id)] = element
                edge_state[ident] = element
            element.merge({"pipeline_id": e.pipeline_id, **e.props}, e.time, rules=m.EDGE_MERGE)
        for (out_id, label, in_id, pipeline_id), element in edge_state.items():
            if element.id is _NEW and not element.orig_props:
                step = __.V(out_id).as_("a").V(in_id).add_e(label).from_("a")
                for k, v in element.changes().items():
                    step = step.property(k, v)
                ops.append((out_id, step))
                stats.edges_created += 1
            else:
                diff = element.changes()
                if diff:
                    step = (__.V(in_id).as_("b").V(out_id).out_e(label).has("pipeline_id", pipeline_id)
                            .where(__.in_v().as_("b")))
                    for k, v in diff.items():
                        step = step.property(k, v)
                    ops.append((out_id, step))
                    stats.edges_updated += 1
            element.id = None
            element.settle()
        self._run_side_effects(ops, stats)
        return stats

    def _create_vertices(self, new: list[tuple[tuple[str, str], _Element]], stats: WriteStats) -> None:
        for i in range(0, len(new), self.chunk):
            part = new[i:i + self.chunk]
            t: Any = self.g
            names = []
            for n, ((label, _key), element) in enumerate(part):
                t = t.add_v(label)
                for k, v in element.changes().items():
                    t = t.property(k, v)
                names.append(f"v{n}")
                t = t.as_(names[-1])
            if len(names) == 1:
                ids = [t.id_().next()]
            else:
                result = t.select(*names).by(__.id_()).next()
                ids = [result[name] for name in names]
            stats.traversals += 1
            for ((_label, _key), element), ident in zip(part, ids):
                element.id = ident
                element.settle()
                element.orig_props = {}  # no out-edges to load for a vertex created just now
                self._edges[ident] = {}
            stats.vertices_created += len(part)

    def _run_side_effects(self, ops: list[tuple[Any, Any]], stats: WriteStats) -> None:
        """Run each op once, as a side effect of one traverser on an existing vertex."""
        for i in range(0, len(ops), self.chunk):
            part = ops[i:i + self.chunk]
            t = self.g.V(part[0][0])
            for _anchor, op in part:
                t = t.side_effect(op)
            t.iterate()
            stats.traversals += 1
