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


def writers(graph: Graph, artifacts: Iterable[Any]) -> dict[Any, set[Any]]:
    """The pipelines that wrote each artifact: it was ``GENERATED_BY`` them, or they ``PRODUCES`` it."""
    ids = list(artifacts)
    out: dict[Any, set[Any]] = {}
    for hop in graph.hops(ids, OUT, [m.GENERATED_BY]) + graph.hops(ids, IN, [m.PRODUCES]):
        out.setdefault(hop.source, set()).add(hop.target)
    return out


def readers(graph: Graph, artifacts: Iterable[Any]) -> dict[Any, set[Any]]:
    """The pipelines that read each artifact (``CONSUMES``)."""
    out: dict[Any, set[Any]] = {}
    for hop in graph.hops(list(artifacts), IN, [m.CONSUMES]):
        out.setdefault(hop.source, set()).add(hop.target)
    return out
