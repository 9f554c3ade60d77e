"""Lineage steps the queries share, over the graph interface.

Lineage flows between artifacts (datasets, models, features): one hop
upstream from an artifact is what it was made from (``DERIVED_FROM``,
``TRAINED_ON``), downstream the inverse. Expansion itself is a graph
operation (:meth:`lineage.graph.Graph.expand`); here are the pipelines around
artifacts, read the same way on every implementation.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import T

from . import _model as m
from .graph.interface import DOWN, IN, LINEAGE_EDGES, OUT, UP, Expansion, Graph
from .limits import deadline

__all__ = ["UP", "DOWN", "LINEAGE_EDGES", "Expansion", "writers", "readers", "per_vertex", "describe"]

_CHUNK = 500


def writers(graph: Graph, artifacts: Iterable[Any], as_of: str | None = None) -> dict[Any, set[Any]]:
    """The pipelines that wrote each artifact: it was ``GENERATED_BY`` them, or they ``PRODUCES`` it
    (with ``as_of``, by edges that existed then)."""
    ids = list(artifacts)
    out: dict[Any, set[Any]] = {}
    for source, target in graph.neighbors(ids, OUT, [m.GENERATED_BY], as_of) + graph.neighbors(ids, IN, [m.PRODUCES], as_of):
        out.setdefault(source, set()).add(target)
    return out


def readers(graph: Graph, artifacts: Iterable[Any], as_of: str | None = None) -> dict[Any, set[Any]]:
    """The pipelines that read each artifact (``CONSUMES``; with ``as_of``, by edges that existed then)."""
    out: dict[Any, set[Any]] = {}
    for source, target in graph.neighbors(list(artifacts), IN, [m.CONSUMES], as_of):
        out.setdefault(source, set()).add(target)
    return out


# -- for code still written in Gremlin (the query engine, the visualizer) ------------
# It reads through the query layer's traversal source, which reaches the same data
# on every backend; new code should use the graph interface instead.

def per_vertex(g: GraphTraversalSource, ids: list[Any], make: Callable[[], Any]) -> Iterator[tuple[Any, list[Any]]]:
    """Each of ``ids`` with the results of the anonymous traversal ``make()`` run from it,
    in chunks of one traversal each. (``project`` per vertex: step labels with
    ``select`` make gremlite copy every path.)"""
    for i in range(0, len(ids), _CHUNK):
        deadline.check()
        for row in g.V(*ids[i:i + _CHUNK]).project("s", "n").by(__.id_()).by(make().fold()).to_list():
            yield row["s"], row["n"]


def describe(g: GraphTraversalSource, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """Label and properties of each vertex id (internal keys left out)."""
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
