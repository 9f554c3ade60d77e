"""One guarded write traversal per group of events, for a Gremlin Server.

Every bytecode request is its own transaction on JanusGraph, and JanusGraph
transactions do not isolate readers from writers: two API replicas that read a
dataset, merge in Python and write back would overwrite each other (a newer
``last_seen`` replaced by an older one). So a group's whole write goes to the
server as **one** traversal, which

1. checks the revision (``rev``) of every existing vertex it is about to change,
   or whose out-edges it adds or changes, against the revision the writer read,
   and fails the traversal (``fail()`` with :data:`~lineage._retry.CONFLICT`)
   when any differs;
2. writes the new ``Event`` vertices of the shared event log;
3. updates properties and edges, giving every vertex it touches the group's new
   revision;
4. creates the new vertices (unique, locked identity indexes refuse a second
   creator) and the new edges, finding a vertex created by the same traversal
   by its identity key (a transaction sees its own writes).

The steps are nested in blocks of :data:`BLOCK` side effects: a flat chain of
thousands of steps overflows the server's stack, step labels and ``union`` over
hundreds of branches are quadratic there.

A failed traversal rolls back as a whole. ``rev`` has LOCK consistency in the
schema, so JanusGraph also refuses the commit if another transaction changed a
revision between our check and our commit. Either refusal is retried by the
store with fresh state; merges are monotonic, so the retry converges.
Out-edges are guarded through their out-vertex: two writers cannot both add the
same edge.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from gremlin_python.process.graph_traversal import GraphTraversalSource, __

from . import _model as m
from ._retry import CONFLICT
from ._translate import EdgeAssert


BLOCK = 40


class Pending:
    """The id of a vertex this traversal creates: found by its key until it exists."""

    __slots__ = ("label", "key")

    def __init__(self, label: str, key: str) -> None:
        self.label, self.key = label, key


def write(g: GraphTraversalSource, touched: dict[tuple[str, str], Any], edge_asserts: list[EdgeAssert],
          vertices: dict[tuple[str, str], Any], edges: dict[Any, dict[tuple[str, Any, str], Any]],
          also: list[Callable[[Any], Any]], stats: Any) -> None:
    """Fold ``edge_asserts`` into the loaded state and write the group as one traversal."""
    from ._writer import _NEW, _Element, _grouped

    token = uuid.uuid4().hex
    new = [(key, el) for key, el in touched.items() if el.id is _NEW]
    for (label, key), el in new:
        el.id = Pending(label, key)
        edges[el.id] = {}
    guards: dict[Any, str | None] = {}
    updates: dict[Any, dict[str, Any]] = {}
    for el in touched.values():
        if isinstance(el.id, Pending):
            continue
        diff = el.changes()
        if diff:
            guards[el.id] = el.rev
            updates[el.id] = diff
            stats.vertices_updated += 1

    revs = {el.id: el.rev for el in vertices.values() if el.id is not _NEW and not isinstance(el.id, Pending)}
    edge_state: dict[tuple[Any, str, Any, str], Any] = {}
    for e in edge_asserts:
        out_id, in_id = vertices[e.out].id, vertices[e.in_].id
        ident = (out_id, e.label, in_id, e.pipeline_id)
        el = edge_state.get(ident)
        if el is None:
            el = edges[out_id].setdefault((e.label, in_id, e.pipeline_id), _Element(_NEW, m.EDGE_MERGE))
            edge_state[ident] = el
        el.merge({"pipeline_id": e.pipeline_id, **e.props}, e.time)
    new_edges: list[tuple[Any, str, Any, dict[str, Any]]] = []
    edge_updates: dict[tuple[tuple[str, Any], ...], list[Any]] = {}
    for (out_id, label, in_id, _pipeline), el in edge_state.items():
        diff = el.changes()
        if not diff:
            continue
        if not isinstance(out_id, Pending):
            guards.setdefault(out_id, revs.get(out_id))
            updates.setdefault(out_id, {})
        if el.id is _NEW:
            new_edges.append((out_id, label, in_id, diff))
            stats.edges_created += 1
        else:
            edge_updates.setdefault(tuple(sorted(diff.items())), []).append(el.id)
            stats.edges_updated += 1

    if not (new or updates or new_edges or also):
        return
    vertex_updates: dict[tuple[tuple[str, Any], ...], list[Any]] = {}
    for vid, diff in updates.items():
        vertex_updates.setdefault(tuple(sorted({**diff, m.REV: token}.items())), []).append(vid)

    ops: list[Callable[[Any], Any]] = []
    by_rev: dict[str | None, list[Any]] = {}
    for vid, rev in guards.items():
        by_rev.setdefault(rev, []).append(vid)
    for rev, ids in by_rev.items():
        for i in range(0, len(ids), 200):
            ops.append(_guard(ids[i:i + 200], rev))
    ops.extend(also)
    ops.extend(op for _anchor, op in _grouped("V", vertex_updates))
    ops.extend(op for _anchor, op in _grouped("E", edge_updates))
    for (label, _key), el in new:
        ops.append(_add_vertex(label, {**el.changes(), m.REV: token}))
        stats.vertices_created += 1
    for out_id, label, in_id, props in new_edges:
        ops.append(_add_edge(out_id, label, in_id, props))
    t: Any = g.inject(0)
    for i in range(0, len(ops), BLOCK):
        block: Any = __.identity()
        for op in ops[i:i + BLOCK]:
            block = block.side_effect(op(__))
        t = t.side_effect(block)
    t.iterate()
    stats.traversals += 1


def _guard(ids: list[Any], rev: str | None) -> Callable[[Any], Any]:
    def op(source: Any) -> Any:
        check = source.V(*ids).has(m.REV, rev) if rev is not None else source.V(*ids).not_(__.has(m.REV))
        return check.count().is_(len(ids)).fold().coalesce(__.unfold(), __.fail(CONFLICT))
    return op


def _add_vertex(label: str, props: dict[str, Any]) -> Callable[[Any], Any]:
    def op(source: Any) -> Any:
        t = source.add_v(label)
        for k, v in props.items():
            t = t.property(k, v)
        return t
    return op


def _add_edge(out_id: Any, label: str, in_id: Any, props: dict[str, Any]) -> Callable[[Any], Any]:
    def op(source: Any) -> Any:
        t = source.add_e(label).from_(_end(out_id)).to(_end(in_id))
        for k, v in props.items():
            t = t.property(k, v)
        return t
    return op


def _end(vid: Any) -> Any:
    if isinstance(vid, Pending):
        return __.V().has(m.IDENTITY[vid.label], vid.key).has_label(vid.label)
    return __.V(vid)
