"""Directional, bounded expansion over the lineage graph.

Lineage flows between artifacts (datasets, models, features). One hop
upstream from an artifact is what it was made from:

* a Dataset: the datasets it is ``DERIVED_FROM``, and the models or features
  consumed by the pipeline that generated it (batch scoring);
* a Model: what it was ``TRAINED_ON``;
* a Feature: what the pipeline that ``PRODUCES`` it ``CONSUMES``.

Downstream is the exact inverse. Expansion runs one traversal per level from
Python (``g.V(*frontier)`` with a ``project`` per frontier vertex), keeps a
visited set (so cycles end), caps the nodes it returns, and works the same on
gremlite and JanusGraph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import T

from . import _model as m

UP, DOWN = "upstream", "downstream"
_CHUNK = 500


def _up() -> Any:
    return __.union(
        __.out(m.DERIVED_FROM, m.TRAINED_ON),
        __.out(m.GENERATED_BY).out(m.CONSUMES).has_label(m.MODEL, m.FEATURE),
        __.in_(m.PRODUCES).out(m.CONSUMES),
    )


def _down() -> Any:
    return __.union(
        __.in_(m.DERIVED_FROM, m.TRAINED_ON),
        __.has_label(m.MODEL, m.FEATURE).in_(m.CONSUMES).in_(m.GENERATED_BY),
        __.in_(m.CONSUMES).out(m.PRODUCES),
    )


STEPS: dict[str, Callable[[], Any]] = {UP: _up, DOWN: _down}


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


def neighbours(g: GraphTraversalSource, ids: list[Any], direction: str, fanout: int) -> dict[Any, list[Any]]:
    """One hop from each of ``ids``; at most ``fanout`` neighbours per vertex."""
    step = STEPS[direction]
    found: dict[Any, list[Any]] = {}
    for i in range(0, len(ids), _CHUNK):
        rows = (g.V(*ids[i:i + _CHUNK]).project("s", "n")
                .by(__.id_()).by(step().limit(fanout).id_().fold()).to_list())
        for row in rows:
            found[row["s"]] = row["n"]
    return found


def expand(g: GraphTraversalSource, start: Any, direction: str, max_depth: int, node_cap: int) -> Expansion:
    """Every artifact within ``max_depth`` hops of ``start`` in one direction,
    stopping (``truncated``) once ``node_cap`` nodes are found."""
    result = Expansion(start, {start: 0})
    frontier = [start]
    for depth in range(1, max_depth + 1):
        if not frontier:
            break
        nxt: list[Any] = []
        hops = neighbours(g, frontier, direction, node_cap + 1)
        for source in frontier:
            for node in hops.get(source, []):
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
    """Label and properties of each vertex id (``prop_times`` left out)."""
    out: dict[Any, dict[str, Any]] = {}
    for i in range(0, len(ids), _CHUNK):
        for row in g.V(*ids[i:i + _CHUNK]).element_map().to_list():
            ident = row.pop(T.id)
            label = row.pop(T.label)
            row.pop("prop_times", None)
            out[ident] = {"label": label, **row}
    return out
