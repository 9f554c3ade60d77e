"""Lineage steps the queries share, over the graph interface.

Lineage flows between artifacts (datasets, models, features): one hop
upstream from an artifact is what it was made from (``DERIVED_FROM``,
``TRAINED_ON``), downstream the inverse. Expansion itself is a graph
operation (:meth:`lineage.graph.Graph.expand`); here are the pipelines around
artifacts, read the same way on every implementation.
"""

from __future__ import annotations

from typing import Any, Iterable

from . import _model as m
from .graph.interface import DOWN, IN, LINEAGE_EDGES, OUT, UP, Expansion, Graph

__all__ = ["UP", "DOWN", "LINEAGE_EDGES", "Expansion", "writers", "readers"]


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
