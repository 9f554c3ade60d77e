"""Directional, bounded expansion over the lineage graph.

Lineage flows between artifacts (datasets, models, features). One hop
upstream from an artifact is what it was made from: what a dataset or a
feature view is ``DERIVED_FROM``, what a model was ``TRAINED_ON``. Downstream
is the inverse. Expansion runs one traversal per level from
Python (``g.V(*frontier)`` with a ``project`` per frontier vertex), keeps a
visited set (so cycles end), caps the nodes it returns, and works the same on
gremlite and JanusGraph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import T

from . import _model as m
from .limits import deadline

UP, DOWN = "upstream", "downstream"
_CHUNK = 500


LINEAGE_EDGES = (m.DERIVED_FROM, m.TRAINED_ON)


def step(t: Any, direction: str) -> Any:
    """One lineage hop on traversal ``t``: out along lineage edges for upstream, in for downstream."""
    return t.out(*LINEAGE_EDGES) if direction == UP else t.in_(*LINEAGE_EDGES)


@dataclass
class Expansion:
    """Result of a breadth-first expansion: distance and one shortest-path parent per node."""

    start: Any
    distance: dict[Any, int] = field(default_factory=dict)
    parent: dict[Any, Any] = field(default_factory=dict)
    truncated: bool = False

    def path(self, node: Any) -> list[Any]:
        out = [node]
        while out[-1] != self.start:
            out.append(self.parent[out[-1]])
        return out[::-1]


def per_vertex(g: GraphTraversalSource, ids: list[Any], make: Callable[[], Any]) -> Iterator[tuple[Any, list[Any]]]:
    """Each of ``ids`` with the results of the anonymous traversal ``make()`` run from it,
    in chunks of one traversal each. (``project`` per vertex: step labels with
    ``select`` make gremlite copy every path.)"""
    for i in range(0, len(ids), _CHUNK):
        deadline.check()
        for row in g.V(*ids[i:i + _CHUNK]).project("s", "n").by(__.id_()).by(make().fold()).to_list():
            yield row["s"], row["n"]


def neighbours(g: GraphTraversalSource, ids: list[Any], direction: str, limit: int) -> list[tuple[Any, Any]]:
    """(from, to) pairs one hop from ``ids``, at most ``limit`` of them."""
    pairs: list[tuple[Any, Any]] = []
    for source, found in per_vertex(g, ids, lambda: step(__, direction).limit(limit).id_()):
        pairs.extend((source, n) for n in found)
        if len(pairs) >= limit:
            return pairs[:limit]
    return pairs


def reached(g: GraphTraversalSource, ids: list[Any], direction: str, limit: int) -> list[Any]:
    """Vertices one hop from ``ids`` (with repeats), at most ``limit``: the cheapest
    expansion, for when no path is wanted."""
    found: list[Any] = []
    for i in range(0, len(ids), _CHUNK):
        deadline.check()
        found += step(g.V(*ids[i:i + _CHUNK]), direction).limit(limit - len(found)).id_().to_list()
        if len(found) >= limit:
            break
    return found


def expand(g: GraphTraversalSource, start: Any, direction: str, max_depth: int, node_cap: int,
           paths: bool = True) -> Expansion:
    """Every artifact within ``max_depth`` hops of ``start`` in one direction,
    stopping (``truncated``) once ``node_cap`` nodes are found. With ``paths``
    each node also records the neighbour it was reached from."""
    result = Expansion(start, {start: 0})
    frontier = [start]
    for depth in range(1, max_depth + 1):
        deadline.check()   # a request past its time budget stops between levels
        if not frontier:
            break
        nxt: list[Any] = []
        limit = node_cap + 1 - len(result.distance) + len(frontier) * 4 + 16
        if paths:
            pairs = neighbours(g, frontier, direction, limit)
        else:
            pairs = [(None, v) for v in reached(g, frontier, direction, limit)]
        if len(pairs) >= limit:
            result.truncated = True  # more edges than we read: the answer may be partial
        for source, node in pairs:
            if node in result.distance:
                continue
            if len(result.distance) > node_cap:
                result.truncated = True
                return result
            result.distance[node] = depth
            result.parent[node] = source
            nxt.append(node)
        frontier = nxt
    return result


def describe(g: GraphTraversalSource, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """Label and properties of each vertex id (``prop_times`` and ``rev`` left out)."""
    out: dict[Any, dict[str, Any]] = {}
    for i in range(0, len(ids), _CHUNK):
        deadline.check()
        for row in g.V(*ids[i:i + _CHUNK]).element_map().to_list():
            ident = row.pop(T.id)
            label = row.pop(T.label)
            for key in m.INTERNAL_KEYS:
                row.pop(key, None)
            out[ident] = {"label": label, **row}
    return out
