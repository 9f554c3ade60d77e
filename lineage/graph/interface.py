"""The one graph interface the product needs, and the rules every implementation keeps.

A :class:`Graph` answers what the query layer asks of storage (find nodes by
identity or property, expand a frontier, describe nodes, read the edges at a
node, consumers, whole labels for the catalog and the reports) and applies a
translated write batch. Two implementations:

* :class:`lineage.graph.sql.SqlGraph`: SQL on the embedded SQLite file, in
  gremlite's own tables (so ``lineage gremlin`` sees the same data);
* :class:`lineage.graph.gremlin.GremlinGraph`: Gremlin bytecode for any
  TinkerPop server (JanusGraph), and for gremlite as the reference.

Vertex handles (``vid``) are the engine's own ids: opaque, valid for one graph.
Wherever an order matters, nodes are ordered by a stable key, never by handle:
``(identity value, label)``. So every implementation returns the same answers,
the same shortest path and the same node-cap cut, ties included:

* an expansion reaches every node within ``max_depth`` lineage hops, at its
  breadth-first distance;
* it keeps the start and the first ``node_cap`` others in ``(distance, key)``
  order; ``truncated`` says there were more;
* the parent of a node (one shortest path back to the start) is the
  predecessor one hop nearer with the smallest key.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .. import _model as m

UP, DOWN = "upstream", "downstream"
OUT, IN = "out", "in"
# Lineage between artifacts is one edge step: out along these is upstream.
LINEAGE_EDGES = (m.DERIVED_FROM, m.TRAINED_ON)


def node_key(info: dict[str, Any]) -> tuple[str, str]:
    """The stable sort key of a described node: (identity value, label)."""
    label = info["label"]
    return (str(info.get(m.IDENTITY.get(label, ""), "")), label)


def node_dict(vid: Any, info: dict[str, Any], distance: int | None = None) -> dict[str, Any]:
    """A described node as the queries return it: its properties, then ``id`` (its
    identity value, else the handle as text), ``label`` and ``distance`` when given."""
    out = dict(info)
    label = out.pop("label")
    out["id"] = str(info.get(m.IDENTITY.get(label, ""), vid))
    out["label"] = label
    if distance is not None:
        out["distance"] = distance
    return out


@dataclass(frozen=True)
class Hop:
    """One edge seen from ``source``: its label, the vertex at the other end, its properties."""

    source: Any
    label: str
    target: Any
    props: dict[str, Any]


@dataclass
class Expansion:
    """Breadth-first expansion: distances, one shortest-path parent per node, and
    the description of every node kept (the start included)."""

    start: Any
    distance: dict[Any, int] = field(default_factory=dict)
    parent: dict[Any, Any] = field(default_factory=dict)
    info: dict[Any, dict[str, Any]] = field(default_factory=dict)
    truncated: bool = False
    order: list[Any] | None = None  # :meth:`ordered`, when the implementation knows it already

    def path(self, node: Any) -> list[Any]:
        out = [node]
        while out[-1] != self.start:
            out.append(self.parent[out[-1]])
        return out[::-1]

    def ordered(self) -> list[Any]:
        """Nodes other than the start, nearest first, ties by key."""
        if self.order is not None:
            return list(self.order)
        return sorted((v for v in self.distance if v != self.start),
                      key=lambda v: (self.distance[v], node_key(self.info[v])))


class Graph(ABC):
    """What the product does with a graph. Reads are safe on a read-only connection;
    :meth:`apply` runs inside the caller's transaction."""

    kind = "abstract"

    # -- identities ------------------------------------------------------------

    @abstractmethod
    def lookup(self, label: str, keys: Sequence[str]) -> dict[str, Any]:
        """Vertices of ``label`` by identity value: {key: vid} for those that exist."""

    @abstractmethod
    def find(self, prop: str, value: str, labels: Sequence[str]) -> list[tuple[Any, str, str]]:
        """Vertices of ``labels`` whose ``prop`` equals ``value``: (vid, label, key), by key."""

    @abstractmethod
    def search(self, prop: str, prefix: str, label: str | None, limit: int) -> list[Any]:
        """Up to ``limit`` vertices (of ``label``, or any) whose ``prop`` starts with
        ``prefix`` (case-sensitive), smallest value first."""

    @abstractmethod
    def match(self, text: str, labels: Sequence[str], limit: int) -> list[tuple[Any, str, str, str | None, int]]:
        """Vertices of ``labels`` whose name, short name or id contains ``text`` (ignoring
        case): (vid, label, key, name, rank), best first, at most ``limit``; ranks and
        ties as :mod:`lineage.graph.textsearch` defines them."""

    # -- reading ---------------------------------------------------------------

    @abstractmethod
    def describe(self, vids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        """Label and properties (``prop_times`` left out) of each vertex that exists."""

    @abstractmethod
    def hops(self, vids: Iterable[Any], direction: str, labels: Sequence[str],
             as_of: str | None = None) -> list[Hop]:
        """Every edge of ``labels`` leaving (``out``) or entering (``in``) each vertex;
        with ``as_of``, only those that existed then (:mod:`lineage.versions.asof`)."""

    def hop_values(self, vids: Iterable[Any], direction: str, labels: Sequence[str], prop: str,
                   as_of: str | None = None) -> list[tuple[Any, str, Any, Any]]:
        """(source, label, target, value of ``prop`` or None) of every edge :meth:`hops`
        returns, without reading the edges' other properties."""
        return [(h.source, h.label, h.target, h.props.get(prop)) for h in self.hops(vids, direction, labels, as_of)]

    def neighbors(self, vids: Iterable[Any], direction: str, labels: Sequence[str],
                  as_of: str | None = None) -> list[tuple[Any, Any]]:
        """(source, target) of every edge :meth:`hops` returns, without reading edge properties."""
        return [(h.source, h.target) for h in self.hops(vids, direction, labels, as_of)]

    @abstractmethod
    def expand(self, start: Any, direction: str, max_depth: int, node_cap: int,
               paths: bool = True, as_of: str | None = None) -> Expansion:
        """Artifacts within ``max_depth`` lineage hops of ``start`` (see the module rules).
        Without ``paths`` no parents are computed. With ``as_of`` (UTC text as stored),
        only along edges that existed then (:mod:`lineage.versions.asof`)."""

    def expand_nodes(self, start: Any, direction: str, max_depth: int,
                     node_cap: int) -> tuple[list[dict[str, Any]], bool]:
        """:meth:`expand` (without parents) as the queries return it: the start and then
        every kept node in order, each a :func:`node_dict` with its distance; and whether
        the node cap cut it. Empty when ``start`` is not a vertex."""
        result = self.expand(start, direction, max_depth, node_cap, paths=False)
        if start not in result.info:
            return [], False
        return ([node_dict(v, result.info[v], result.distance[v]) for v in [start, *result.ordered()]],
                result.truncated)

    def expand_readers(self, start: Any, max_depth: int, node_cap: int, as_of: str | None = None
                       ) -> tuple[Expansion, dict[Any, set[Any]], dict[Any, dict[str, Any]]]:
        """:meth:`expand` downstream with parents, the pipelines that read each kept node
        (``CONSUMES``: {node: {pipeline}}) and the description of each of those pipelines."""
        result = self.expand(start, DOWN, max_depth, node_cap, as_of=as_of)
        found: dict[Any, set[Any]] = {}
        for artifact, pipeline in self.neighbors(list(result.distance), IN, [m.CONSUMES], as_of):
            found.setdefault(artifact, set()).add(pipeline)
        return result, found, self.describe({p for ps in found.values() for p in ps})

    def pipelines(self, wrote: Sequence[Any], read: Sequence[Any], as_of: str | None = None
                  ) -> tuple[dict[Any, set[Any]], dict[Any, set[Any]], dict[Any, dict[str, Any]]]:
        """The pipelines that wrote each of ``wrote`` (it was ``GENERATED_BY`` them, or they
        ``PRODUCES`` it), those that read each of ``read`` (``CONSUMES``), as {artifact:
        {pipeline}}, and the description of every one of those pipelines."""
        writers: dict[Any, set[Any]] = {}
        readers: dict[Any, set[Any]] = {}
        for artifact, pipeline in (self.neighbors(wrote, OUT, [m.GENERATED_BY], as_of)
                                   + self.neighbors(wrote, IN, [m.PRODUCES], as_of)):
            writers.setdefault(artifact, set()).add(pipeline)
        for artifact, pipeline in self.neighbors(read, IN, [m.CONSUMES], as_of):
            readers.setdefault(artifact, set()).add(pipeline)
        found = {p for ps in (*writers.values(), *readers.values()) for p in ps}
        return writers, readers, self.describe(found)

    @abstractmethod
    def vertices(self, label: str, prop: str | None = None, value: str | None = None) -> list[Any]:
        """Every vertex of ``label`` (whose ``prop`` equals ``value`` when given)."""

    @abstractmethod
    def unread(self, label: str, edge_labels: Sequence[str], limit: int) -> list[str]:
        """Identity values of vertices of ``label`` with no incoming edge of
        ``edge_labels``: the ``limit`` smallest."""

    @abstractmethod
    def count(self, label: str | None = None) -> int:
        """Vertices (of ``label``) in the graph."""

    @abstractmethod
    def has_vertices(self) -> bool:
        """Whether the graph holds anything at all (cheap at any size)."""

    def consumers(self, vid: Any, as_of: str | None = None) -> tuple[list[Any], dict[Any, Any], list[Any]]:
        """Who uses a node: pipelines that read it, models trained on it (with the
        version each was trained on) and features produced by those pipelines."""
        readers = sorted({t for _, t in self.neighbors([vid], IN, [m.CONSUMES], as_of)}, key=str)
        trained = {h.target: h.props.get("version") for h in self.hops([vid], IN, [m.TRAINED_ON], as_of)}
        features = sorted({t for _, t in self.neighbors(readers, OUT, [m.PRODUCES], as_of)}, key=str)
        return readers, trained, features

    # -- whole labels: the catalog, components and reports ---------------------------

    def records(self, label: str, prop: str | None = None,
                values: Sequence[str] | None = None) -> dict[Any, dict[str, Any]]:
        """Every vertex of ``label`` (whose ``prop`` is one of ``values``, when given),
        described as :meth:`describe` does, in key order (:func:`node_key`)."""
        if prop is None:
            vids = self.vertices(label)
        else:
            vids = list(dict.fromkeys(v for value in dict.fromkeys(values or ())
                                      for v in self.vertices(label, prop, value)))
        info = self.describe(vids)
        return {v: info[v] for v in sorted(info, key=lambda v: node_key(info[v]))}

    def neighbor_values(self, vids: Iterable[Any], direction: str, labels: Sequence[str], prop: str,
                        as_of: str | None = None) -> list[tuple[Any, Any]]:
        """(vertex, value of ``prop`` on the vertex at the other end) of every edge
        :meth:`neighbors` returns whose other end has ``prop``: one per edge."""
        pairs = self.neighbors(vids, direction, labels, as_of)
        info = self.describe({t for _, t in pairs})
        return [(s, info[t][prop]) for s, t in pairs if prop in info.get(t, ())]

    def first_vertices(self, labels: Sequence[str], limit: int) -> list[Any]:
        """The first ``limit`` vertices of ``labels`` in (label, identity value) order."""
        out: list[Any] = []
        for label in sorted(set(labels)):
            if len(out) >= limit:
                break
            out.extend(list(self.records(label))[:limit - len(out)])
        return out

    # -- writing and maintenance -------------------------------------------------

    @abstractmethod
    def apply(self, batch: Any, *, fresh: bool, also: list[Any] | None = None) -> Any:
        """Write a translated batch (:class:`lineage._translate.Assertions`) in the
        caller's transaction; ``fresh`` says cached state may be stale; ``also`` holds
        further steps for the same transaction (the event log's, on a server).
        Returns WriteStats."""

    @abstractmethod
    def invalidate(self) -> None:
        """Forget cached state (after a rollback)."""

    @abstractmethod
    def snapshot(self) -> dict[str, Any]:
        """The whole graph as plain, id-free data: sorted vertices and edges with properties."""

    @abstractmethod
    def clear(self) -> None:
        """Drop every vertex and edge (in the caller's transaction)."""

    # -- composite reads ---------------------------------------------------------

    def affected(self, start: Any, max_depth: int, node_cap: int) -> tuple[list[dict[str, Any]], bool]:
        """What a change to ``start`` reaches (:mod:`lineage.graph.affected`): the kept
        nodes downstream and the pipelines reading them, each a :func:`node_dict` with
        its distance and path; and whether the node cap cut the expansion."""
        from .affected import affected_nodes

        result, read_by, described = self.expand_readers(start, max_depth, node_cap)
        info = dict(result.info)
        info.update(described)
        return affected_nodes(result, read_by, info), result.truncated


def snapshot_of(vertices: Iterable[tuple[Any, str, dict[str, Any]]],
                edges: Iterable[tuple[Any, str, Any, dict[str, Any]]]) -> dict[str, Any]:
    """The id-free snapshot every implementation returns, from (vid, label, props) and
    (out vid, label, in vid, props)."""
    names: dict[Any, tuple[str, str]] = {}
    out_v = []
    for vid, label, props in vertices:
        names[vid] = (label, str(props.get(m.IDENTITY.get(label, ""), vid)))
        out_v.append((label, sorted(props.items())))
    out_e = [(label, names[o], names[i], sorted(props.items())) for o, label, i, props in edges]
    return {"vertices": sorted(out_v, key=repr), "edges": sorted(out_e, key=repr)}
