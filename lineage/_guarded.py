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

The steps form chains (an existing vertex is passed by reference, a new vertex
is created together with its new edges), nested in blocks of at most
:data:`BLOCK_STEPS` steps: a flat chain of thousands of steps overflows the
server's stack, and step labels, ``union`` over hundreds of branches or a
child traversal per write are slow there.

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
from gremlin_python.structure.graph import Vertex

from . import _model as m
from ._retry import CONFLICT
from ._translate import EdgeAssert


# Steps per nested block: a flat chain of thousands of steps overflows the
# server's stack; side effects as many small child traversals are slow.
BLOCK_STEPS = 120


class Pending:
    """The id of a vertex this traversal creates: found by its key until it exists."""

    __slots__ = ("label", "key")

    def __init__(self, label: str, key: str) -> None:
        self.label, self.key = label, key


def write(g: GraphTraversalSource, touched: dict[tuple[str, str], Any], edge_asserts: list[EdgeAssert],
          vertices: dict[tuple[str, str], Any], edges: dict[Any, dict[tuple[str, Any, str], Any]],
          also: list[Callable[[Any], Any]], stats: Any) -> None:
    """Fold ``edge_asserts`` into the loaded state and write the group as one traversal."""
    from ._writer import _NEW, _grouped, merge_edges

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
    edge_state = merge_edges(edge_asserts, vertices, edges)
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

    units: list[tuple[int, Callable[[Any], Any]]] = []
    by_rev: dict[str | None, list[Any]] = {}
    for vid, rev in guards.items():
        by_rev.setdefault(rev, []).append(vid)
    for rev, ids in by_rev.items():
        for i in range(0, len(ids), 200):
            units.append((1, _guard(ids[i:i + 200], rev)))
    units.extend((2, op) for op in also)
    units.extend((3, op) for _anchor, op in _grouped("V", vertex_updates))
    units.extend((3, op) for _anchor, op in _grouped("E", edge_updates))
    # Each new vertex is created with the new edges between it and existing vertices
    # or vertices created before it, walking back to it after each edge.
    order = {id(el.id): n for n, (_key, el) in enumerate(new)}
    attached: dict[int, list[tuple[str, Any, str, Any, dict[str, Any]]]] = {n: [] for n in range(len(new))}
    loose = []
    for out_id, label, in_id, props in new_edges:
        n_out, n_in = order.get(id(out_id), -1), order.get(id(in_id), -1)
        if n_out == n_in == -1 or n_out == n_in:
            loose.append((out_id, label, in_id, props))
        elif n_out > n_in:
            attached[n_out].append(("out", out_id, label, in_id, props))
        else:
            attached[n_in].append(("in", in_id, label, out_id, props))
    for n, ((label, _key), el) in enumerate(new):
        edges_here = attached[n]
        units.append((1 + 2 * len(edges_here), _add_vertex(label, {**el.changes(), m.REV: token}, edges_here)))
        stats.add_vertex(label)
    units.extend((2, _add_edge(out_id, label, in_id, props)) for out_id, label, in_id, props in loose)

    chain(g, units).iterate()
    stats.traversals += 1


def chain(g: GraphTraversalSource, units: list[tuple[int, Callable[[Any], Any]]]) -> Any:
    """One traversal running every unit (``(steps, extend)``) once, in nested blocks of
    at most :data:`BLOCK_STEPS` steps."""
    t: Any = g.inject(0)
    block: Any = None
    size = 0
    for steps, unit in units:
        if block is not None and size + steps > BLOCK_STEPS:
            t, block, size = t.side_effect(block), None, 0
        block = unit(__.identity() if block is None else block)
        size += steps
    if block is not None:
        t = t.side_effect(block)
    return t


def _guard(ids: list[Any], rev: str | None) -> Callable[[Any], Any]:
    def unit(t: Any) -> Any:
        check = __.V(*ids).has(m.REV, rev) if rev is not None else __.V(*ids).not_(__.has(m.REV))
        return t.side_effect(check.count().is_(len(ids)).fold().coalesce(__.unfold(), __.fail(CONFLICT)))
    return unit


def _add_vertex(label: str, props: dict[str, Any],
                edges: list[tuple[str, Any, str, Any, dict[str, Any]]]) -> Callable[[Any], Any]:
    def unit(t: Any) -> Any:
        t = t.add_v(label)
        for k, v in props.items():
            t = t.property(k, v)
        for side, _here, edge_label, other, edge_props in edges:
            t = t.add_e(edge_label).to(_ref(other)) if side == "out" else t.add_e(edge_label).from_(_ref(other))
            for k, v in edge_props.items():
                t = t.property(k, v)
            t = t.out_v() if side == "out" else t.in_v()
        return t
    return unit


def _add_edge(out_id: Any, label: str, in_id: Any, props: dict[str, Any]) -> Callable[[Any], Any]:
    def unit(t: Any) -> Any:
        t = t.add_e(label).from_(_ref(out_id)).to(_ref(in_id))
        for k, v in props.items():
            t = t.property(k, v)
        return t
    return unit


def _ref(vid: Any) -> Any:
    """An existing vertex by reference (no lookup); one created earlier in this
    transaction by its identity key."""
    if isinstance(vid, Pending):
        return __.V().has(m.IDENTITY[vid.label], vid.key).has_label(vid.label)
    return Vertex(vid)
