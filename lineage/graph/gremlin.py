"""The graph interface in portable Gremlin bytecode: any TinkerPop server
(JanusGraph), and gremlite as the reference implementation in tests.

Only steps that behave the same on gremlite 0.1.2 and JanusGraph 1.0 are used
(see the project's Gremlin notes): keyed lookups, ``V(ids)`` with
``element_map``, one level of expansion per traversal. Ordering is done here in
Python by the stable keys of :mod:`lineage.graph.interface`, never by engine id
or result order. Writes go through :class:`lineage._writer.GraphWriter`.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import Direction, P, T, TextP

from .. import _model as m
from .._writer import GraphWriter
from ..limits import deadline
from .interface import DOWN, IN, LINEAGE_EDGES, OUT, UP, Expansion, Graph, Hop, node_key, snapshot_of
from .textsearch import ranked
from ..versions.asof import edge_live

_CHUNK = 500


def _first(value: Any) -> Any:
    """Property values as scalars: gremlite wraps edge properties in lists."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


class GremlinGraph(Graph):
    kind = "gremlin"

    def __init__(self, g: GraphTraversalSource, writer: GraphWriter | None = None,
                 lineage_only: bool = False) -> None:
        self.g = g
        self.writer = writer
        # a server's graph also holds the event log (Event vertices): keep it out of
        # snapshots and clears; the embedded file holds nothing else (and a label scan
        # is slow on gremlite)
        self.lineage_only = lineage_only

    def _vertices(self) -> Any:
        return self.g.V().has_label(*m.VERTEX_LABELS) if self.lineage_only else self.g.V()

    # -- identities ------------------------------------------------------------

    def lookup(self, label: str, keys: Sequence[str]) -> dict[str, Any]:
        prop = m.IDENTITY[label]
        out: dict[str, Any] = {}
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 200):
            part = keys[i:i + 200]
            t = self.g.V().has(prop, part[0] if len(part) == 1 else P.within(part)).has_label(label)
            for row in t.project("v", "k").by(__.id_()).by(__.values(prop)).to_list():
                out.setdefault(str(row["k"]), row["v"])
        return out

    def find(self, prop: str, value: str, labels: Sequence[str]) -> list[tuple[Any, str, str]]:
        rows = self.g.V().has(prop, value).project("v", "l").by(__.id_()).by(__.label()).to_list()
        wanted = [(r["v"], r["l"]) for r in rows if r["l"] in labels]
        info = self.describe(v for v, _ in wanted)
        found = [(v, info[v]["label"], node_key(info[v])[0]) for v, _ in wanted if v in info]
        return sorted(found, key=lambda r: (r[2], r[1]))

    def search(self, prop: str, prefix: str, label: str | None, limit: int) -> list[Any]:
        t = self.g.V().has(prop, TextP.starting_with(prefix))
        if label:
            t = t.has_label(label)
        rows = t.project("v", "k").by(__.id_()).by(__.values(prop)).to_list()
        rows.sort(key=lambda r: str(r["k"]))
        return [r["v"] for r in rows[:limit]]

    def match(self, text: str, labels: Sequence[str], limit: int) -> list[tuple[Any, str, str, str | None, int]]:
        # portable Gremlin has no case-insensitive text predicate: every name is read
        # and matched here (a JanusGraph mixed index could narrow it server-side)
        rows: list[tuple[Any, str, str, str | None]] = []
        for label in labels:
            deadline.check()
            found = self.g.V().has_label(label).project("v", "k", "n").by(__.id_()) \
                .by(__.values(m.IDENTITY[label])) \
                .by(__.coalesce(__.values("model_name"), __.values("name"), __.constant(""))).to_list()
            rows.extend((r["v"], label, str(r["k"]), str(r["n"]) if r["n"] != "" else None) for r in found)
        return ranked(text, rows, limit) if text else []

    # -- reading ---------------------------------------------------------------

    def describe(self, vids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        ids = list(dict.fromkeys(vids))
        out: dict[Any, dict[str, Any]] = {}
        for i in range(0, len(ids), _CHUNK):
            deadline.check()
            for row in self.g.V(*ids[i:i + _CHUNK]).element_map().to_list():
                ident = row.pop(T.id)
                label = row.pop(T.label)
                for key in m.INTERNAL_KEYS:
                    row.pop(key, None)
                out[ident] = {"label": label, **{k: _first(v) for k, v in row.items()}}
        return out

    def run_starts(self, pipeline_ids: Iterable[str]) -> dict[str, list[str]]:
        """The start times (``first_seen``) of the runs ``RUN_OF`` each pipeline."""
        pids = sorted({str(p) for p in pipeline_ids if p is not None})
        out: dict[str, list[str]] = {p: [] for p in pids}
        for i in range(0, len(pids), 200):
            deadline.check()
            part = pids[i:i + 200]
            rows = self.g.V().has("pipeline_id", part[0] if len(part) == 1 else P.within(part)) \
                .has_label(m.PIPELINE).project("p", "r").by(__.values("pipeline_id")) \
                .by(__.in_(m.RUN_OF).values("first_seen").fold()).to_list()
            for row in rows:
                out[str(row["p"])].extend(str(t) for t in row["r"])
        return out

    def _live(self, hops: list[Hop], as_of: str | None) -> list[Hop]:
        """The hops whose edge existed at ``as_of`` (rule: :mod:`lineage.versions.asof`)."""
        if as_of is None:
            return hops
        starts = self.run_starts(h.props.get("pipeline_id") for h in hops)
        return [h for h in hops if edge_live(h.props, starts.get(str(h.props.get("pipeline_id")), ()), as_of)]

    def hops(self, vids: Iterable[Any], direction: str, labels: Sequence[str],
             as_of: str | None = None) -> list[Hop]:
        return self._live(self._hops(vids, direction, labels), as_of)

    def _hops(self, vids: Iterable[Any], direction: str, labels: Sequence[str]) -> list[Hop]:
        ids = list(dict.fromkeys(vids))
        here, there = (Direction.OUT, Direction.IN) if direction == OUT else (Direction.IN, Direction.OUT)
        out: list[Hop] = []
        for i in range(0, len(ids), _CHUNK):
            deadline.check()
            t = self.g.V(*ids[i:i + _CHUNK])
            t = t.out_e(*labels) if direction == OUT else t.in_e(*labels)
            for row in t.element_map().to_list():
                source, target = row.pop(here)[T.id], row.pop(there)[T.id]
                label = row.pop(T.label)
                row.pop(T.id, None)
                for key in m.INTERNAL_KEYS:
                    row.pop(key, None)
                out.append(Hop(source, label, target, {k: _first(v) for k, v in row.items()}))
        return out

    def _pairs(self, frontier: list[Any], direction: str, as_of: str | None = None) -> list[tuple[Any, Any]]:
        if as_of is not None:   # the edges' times and pipelines are needed: read them whole
            hops = self.hops(frontier, OUT if direction == UP else IN, LINEAGE_EDGES, as_of)
            return [(h.source, h.target) for h in hops]
        pairs: list[tuple[Any, Any]] = []
        for i in range(0, len(frontier), _CHUNK):
            deadline.check()
            step = __.out(*LINEAGE_EDGES) if direction == UP else __.in_(*LINEAGE_EDGES)
            rows = self.g.V(*frontier[i:i + _CHUNK]).project("s", "n").by(__.id_()).by(step.id_().fold()).to_list()
            pairs.extend((row["s"], n) for row in rows for n in row["n"])
        return pairs

    def expand(self, start: Any, direction: str, max_depth: int, node_cap: int,
               paths: bool = True, as_of: str | None = None) -> Expansion:
        if direction not in (UP, DOWN):
            raise ValueError(f"direction must be {UP!r} or {DOWN!r}")
        result = Expansion(start, {start: 0})
        result.info.update(self.describe([start]))
        frontier = [start]
        for depth in range(1, max_depth + 1):
            if not frontier:
                break
            deadline.check()   # a request past its time budget stops between levels
            pairs = self._pairs(frontier, direction, as_of)
            preds: dict[Any, list[Any]] = {}
            for source, node in pairs:
                if node not in result.distance:
                    preds.setdefault(node, []).append(source)
            info = self.describe(preds)
            new = sorted((v for v in preds if v in info), key=lambda v: node_key(info[v]))
            room = node_cap - (len(result.distance) - 1)
            if len(new) > room:
                new, result.truncated = new[:room], True
            for node in new:
                result.distance[node] = depth
                result.info[node] = info[node]
                if paths:
                    result.parent[node] = min(preds[node], key=lambda v: node_key(result.info[v]))
            if result.truncated:
                break
            frontier = new
        return result

    def vertices(self, label: str, prop: str | None = None, value: str | None = None) -> list[Any]:
        if prop is not None:
            return self.g.V().has(prop, value).has_label(label).id_().to_list()
        return self.g.V().has_label(label).id_().to_list()

    def unread(self, label: str, edge_labels: Sequence[str], limit: int) -> list[str]:
        t = self.g.V().has_label(label)
        for edge in edge_labels:
            t = t.not_(__.in_(edge))
        return sorted(str(v) for v in t.values(m.IDENTITY[label]).to_list())[:limit]

    def count(self, label: str | None = None) -> int:
        t = self.g.V().has_label(label) if label else self._vertices()
        return t.count().next()

    def has_vertices(self) -> bool:
        return bool(self._vertices().limit(1).count().next())

    # -- whole labels: the catalog, components and reports ---------------------------

    def records(self, label: str, prop: str | None = None,
                values: Sequence[str] | None = None) -> dict[Any, dict[str, Any]]:
        t = self.g.V()
        if prop is not None:
            wanted = list(dict.fromkeys(values or ()))
            if not wanted:
                return {}
            t = t.has(prop, wanted[0] if len(wanted) == 1 else P.within(wanted))
        deadline.check()
        info = {}
        for row in t.has_label(label).element_map().to_list():
            ident = row.pop(T.id)
            row.pop(T.label)
            for key in m.INTERNAL_KEYS:
                row.pop(key, None)
            info[ident] = {"label": label, **{k: _first(v) for k, v in row.items()}}
        return {v: info[v] for v in sorted(info, key=lambda v: node_key(info[v]))}

    def neighbor_values(self, vids: Iterable[Any], direction: str, labels: Sequence[str], prop: str,
                        as_of: str | None = None) -> list[tuple[Any, Any]]:
        if as_of is not None:   # which edges existed then depends on their properties
            return super().neighbor_values(vids, direction, labels, as_of=as_of, prop=prop)
        ids = list(dict.fromkeys(vids))
        out: list[tuple[Any, Any]] = []
        for i in range(0, len(ids), _CHUNK):
            deadline.check()
            step = __.out(*labels) if direction == OUT else __.in_(*labels)
            rows = self.g.V(*ids[i:i + _CHUNK]).project("s", "n").by(__.id_()) \
                .by(step.values(prop).fold()).to_list()
            out.extend((row["s"], value) for row in rows for value in row["n"])
        return out

    def first_vertices(self, labels: Sequence[str], limit: int) -> list[Any]:
        out: list[Any] = []
        for label in sorted(set(labels)):
            if len(out) >= limit:
                break
            deadline.check()
            rows = self.g.V().has_label(label).project("v", "k").by(__.id_()) \
                .by(__.coalesce(__.values(m.IDENTITY[label]), __.constant(""))).to_list()
            rows.sort(key=lambda r: str(r["k"]))
            out.extend(r["v"] for r in rows[:limit - len(out)])
        return out

    # -- writing and maintenance -------------------------------------------------

    def apply(self, batch: Any, *, fresh: bool, also: list[Any] | None = None) -> Any:
        if self.writer is None:
            raise RuntimeError("this graph was opened for reading only")
        return self.writer.apply(batch, fresh=fresh, also=also)

    def invalidate(self) -> None:
        if self.writer is not None:
            self.writer.invalidate()

    def snapshot(self) -> dict[str, Any]:
        vertices = self._vertices().project("id", "label", "p").by(__.id_()).by(__.label()) \
            .by(__.value_map()).to_list()
        edges = self.g.E().project("o", "l", "i", "p").by(__.out_v().id_()).by(__.label()) \
            .by(__.in_v().id_()).by(__.value_map()).to_list()
        return snapshot_of(((v["id"], v["label"], {k: _first(x) for k, x in v["p"].items() if k != m.REV})
                            for v in vertices),
                           ((e["o"], e["l"], e["i"], {k: _first(x) for k, x in e["p"].items()}) for e in edges))

    def clear(self) -> None:
        while self._vertices().limit(1).count().next():
            self._vertices().limit(5000).drop().iterate()
        self.invalidate()
