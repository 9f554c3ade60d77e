"""Questions asked of the lineage graph: the one query module behind the
Python client, the GraphQL API and the web page.

Every result is plain data: a node is a dict of its properties plus ``id``
(its identity value, e.g. the ``dataset_id``) and ``label``; lineage results
add ``distance`` (hops from the node asked about).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import Direction, T, TextP

from . import _model as m
from ._errors import Ambiguous, InvalidArgument, NotFound
from ._ids import NodeKey, id_hint, split_model_id
from ._traverse import DOWN, UP, Expansion, describe, expand, neighbours, per_vertex

MAX_DEPTH = 50
MAX_NODES = 10_000
DIRECTIONS = (UP, DOWN, "both")
ARTIFACTS = (m.DATASET, m.MODEL, m.FEATURE)
_RESOLVE_ORDER = (m.DATASET, m.MODEL, m.PIPELINE, m.FEATURE, m.RUN)
_GRAPH_EDGES = (m.DERIVED_FROM, m.GENERATED_BY, m.CONSUMES, m.TRAINED_ON, m.PRODUCES)


def check_depth(depth: int, name: str = "depth") -> int:
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= MAX_DEPTH:
        raise InvalidArgument(f"{name} must be between 1 and {MAX_DEPTH}; got {depth!r}")
    return depth


def check_cap(cap: int, name: str = "node_cap") -> int:
    if not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= MAX_NODES:
        raise InvalidArgument(f"{name} must be between 1 and {MAX_NODES}; got {cap!r}")
    return cap


def _labels(labels: Iterable[str] | None) -> tuple[str, ...] | None:
    if labels is None:
        return None
    out = tuple(labels)
    unknown = [label for label in out if label not in m.VERTEX_LABELS]
    if unknown:
        raise InvalidArgument(f"unknown node label(s) {unknown}; use {', '.join(m.VERTEX_LABELS)}")
    return out


@dataclass(frozen=True)
class Resolved:
    vid: Any          # the backend's vertex id
    label: str
    key: str          # identity value


@dataclass
class LineageGraph:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    center: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"center": self.center, "node_count": len(self.nodes), "edge_count": len(self.edges),
                "nodes": self.nodes, "edges": self.edges, "truncated": self.truncated}


def node_dict(vid: Any, info: dict[str, Any], distance: int | None = None) -> dict[str, Any]:
    label = info["label"]
    out = {k: v for k, v in info.items() if k != "label"}
    out.update({"id": str(info.get(m.IDENTITY.get(label, ""), vid)), "label": label})
    if distance is not None:
        out["distance"] = distance
    return out


class LineageQueries:
    """Read-only questions over a traversal source ``g``."""

    def __init__(self, g: GraphTraversalSource, default_namespace: str = "default") -> None:
        self.g = g
        self.default_namespace = default_namespace

    # -- finding nodes ---------------------------------------------------------

    def _lookup(self, label: str, key: str) -> list[Any]:
        return self.g.V().has(m.IDENTITY[label], key).has_label(label).id_().to_list()

    def resolve(self, node_id: str | NodeKey, label: str | None = None) -> Resolved:
        """Find one node by its id (short form, ``namespace/name`` or a NodeKey), its
        OpenLineage name, or, for models, a name with a single version."""
        if label is not None and label not in m.VERTEX_LABELS:
            raise InvalidArgument(f"unknown node type {label!r}; use one of {', '.join(m.VERTEX_LABELS)}")
        text = node_id.render(self.default_namespace) if isinstance(node_id, NodeKey) else str(node_id or "").strip()
        if not text:
            raise InvalidArgument("an id is required, e.g. 'gold/customers'")
        labels = (label,) if label else _RESOLVE_ORDER
        for candidate in labels:
            found = self._lookup(candidate, text)
            if found:
                return Resolved(found[0], candidate, text)
        if m.MODEL in labels and "@" not in text:
            versions = (self.g.V().has("model_name", text).has_label(m.MODEL)
                        .project("v", "k").by(__.id_()).by(__.values("model_id")).to_list())
            if len(versions) == 1:
                return Resolved(versions[0]["v"], m.MODEL, versions[0]["k"])
            if versions:
                ids = sorted(v["k"] for v in versions)
                raise Ambiguous(f"model {text!r} has {len(ids)} versions ({', '.join(ids)}); "
                                f"name one, e.g. {ids[-1]!r}", candidates=ids)
        by_name = self.g.V().has("name", text).project("v", "l", "p").by(__.id_()).by(__.label()) \
            .by(__.value_map()).to_list()
        by_name = [r for r in by_name if r["l"] in labels]
        if len(by_name) == 1:
            row = by_name[0]
            return Resolved(row["v"], row["l"], str(row["p"][m.IDENTITY[row["l"]]][0]))
        if by_name:
            ids = sorted(str(r["p"][m.IDENTITY[r["l"]]][0]) for r in by_name)
            raise Ambiguous(f"{text!r} names {len(ids)} nodes ({', '.join(ids[:10])}); use the full id",
                            candidates=ids)
        raise self._not_found(text, label)

    def _not_found(self, text: str, label: str | None) -> NotFound:
        """NotFound in the words of the kind of id asked for: a model's other versions,
        or how ids of that kind are written."""
        if label == m.MODEL or (label is None and "@" in text and "://" not in text):
            name, _ = split_model_id(text)
            versions = sorted(self.g.V().has("model_name", name).has_label(m.MODEL).values("model_id").to_list())
            if versions:
                return NotFound(f"no model version {text!r}; {name} has {', '.join(versions)}", id=text,
                                candidates=versions)
            return NotFound(f"no model {text!r}; {id_hint(m.MODEL, text)} "
                            f"(`lineage search {name}` lists models by prefix)", id=text)
        what = label.lower() if label else "node"
        return NotFound(f"no {what} with id {text!r}; {id_hint(label, text)} "
                        "(search by prefix to find the right id)", id=text)

    def search(self, prefix: str, labels: Iterable[str] | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Nodes whose id or OpenLineage name starts with ``prefix`` (case-sensitive)."""
        wanted = _labels(labels) or (m.DATASET, m.PIPELINE, m.MODEL, m.FEATURE)
        limit = check_cap(limit, "limit")
        if not prefix:
            raise InvalidArgument("search needs a prefix of at least one character")
        ids: list[Any] = []
        for label in wanted:
            ids += self.g.V().has(m.IDENTITY[label], TextP.starting_with(prefix)).has_label(label) \
                .limit(limit).id_().to_list()
        ids += self.g.V().has("name", TextP.starting_with(prefix)).limit(limit).id_().to_list()
        info = describe(self.g, list(dict.fromkeys(ids)))
        nodes = [node_dict(vid, i) for vid, i in info.items() if i["label"] in wanted]
        nodes.sort(key=lambda n: (not n["id"].startswith(prefix), len(n["id"]), n["id"]))
        return nodes[:limit]

    def node(self, node_id: str | NodeKey, label: str | None = None) -> dict[str, Any]:
        found = self.resolve(node_id, label)
        return node_dict(found.vid, describe(self.g, [found.vid])[found.vid])

    def runs(self, pipeline_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """The newest runs of a pipeline (by start, else first event)."""
        found = self.resolve(pipeline_id, m.PIPELINE)
        rows = self.g.V(found.vid).in_(m.RUN_OF).element_map().to_list()
        runs = [node_dict(None, {"label": m.RUN, **{k: v for k, v in r.items() if isinstance(k, str)}}) for r in rows]
        for run in runs:
            for key in m.INTERNAL_KEYS:
                run.pop(key, None)
        runs.sort(key=lambda r: r.get("started_at") or r.get("first_seen") or "", reverse=True)
        return runs[:check_cap(limit, "limit")]

    # -- lineage ---------------------------------------------------------------

    def _expand(self, found: Resolved, direction: str, depth: int, cap: int) -> Expansion:
        return expand(self.g, found.vid, direction, check_depth(depth), check_cap(cap), paths=False)

    def lineage(self, node_id: str | NodeKey, direction: str, max_depth: int = 5,
                labels: Iterable[str] | None = None, node_cap: int = MAX_NODES,
                label: str | None = None) -> list[dict[str, Any]]:
        """Artifacts up- or downstream of a node, nearest first, each with its distance."""
        if direction not in (UP, DOWN):
            raise InvalidArgument(f"direction must be {UP!r} or {DOWN!r}; got {direction!r}")
        wanted = _labels(labels)
        found = self.resolve(node_id, label)
        result = self._expand(found, direction, max_depth, node_cap)
        ids = [vid for vid in result.distance if vid != found.vid]
        info = describe(self.g, ids)
        nodes = [node_dict(vid, info[vid], result.distance[vid]) for vid in ids if vid in info]
        if wanted:
            nodes = [n for n in nodes if n["label"] in wanted]
        nodes.sort(key=lambda n: (n["distance"], n["id"]))
        return nodes

    def upstream(self, node_id: str | NodeKey, max_depth: int = 5, **kw: Any) -> list[dict[str, Any]]:
        return self.lineage(node_id, UP, max_depth, **kw)

    def downstream(self, node_id: str | NodeKey, max_depth: int = 5, **kw: Any) -> list[dict[str, Any]]:
        return self.lineage(node_id, DOWN, max_depth, **kw)

    def consumers(self, dataset_id: str | NodeKey) -> dict[str, list[dict[str, Any]]]:
        """Pipelines that read a dataset, models trained on it, features produced from it."""
        found = self.resolve(dataset_id)
        rows = (self.g.V(found.vid).project("p", "m", "f")
                .by(__.in_(m.CONSUMES).id_().fold())
                .by(__.in_e(m.TRAINED_ON).project("v", "at").by(__.out_v().id_())
                    .by(__.values("version").fold()).fold())
                .by(__.in_(m.CONSUMES).out(m.PRODUCES).id_().fold()).next())
        trained = {r["v"]: (r["at"][0] if r["at"] else None) for r in rows["m"]}
        info = describe(self.g, list({*rows["p"], *trained, *rows["f"]}))
        models = []
        for vid, version in trained.items():
            node = node_dict(vid, info[vid])
            node["trained_on_version"] = version
            models.append(node)
        key = lambda n: n["id"]  # noqa: E731
        return {
            "pipelines": sorted((node_dict(v, info[v]) for v in set(rows["p"])), key=key),
            "models": sorted(models, key=key),
            "features": sorted((node_dict(v, info[v]) for v in set(rows["f"])), key=key),
        }

    # -- the graph around a node, for drawing ------------------------------------

    def lineage_graph(self, node_id: str | NodeKey, node_type: str | None = None, depth: int = 3,
                      direction: str = "both", node_cap: int = 200) -> LineageGraph:
        """Nodes (artifacts and the pipelines between them) and edges around a node.

        ``depth`` counts artifact hops; a pipeline sits between the artifacts it
        reads and writes. At most ``node_cap`` nodes come back; ``truncated``
        says some were left out (the farthest first)."""
        if direction not in DIRECTIONS:
            raise InvalidArgument(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}")
        check_depth(depth)
        check_cap(node_cap)
        found = self.resolve(node_id, node_type)
        seeds = [found.vid]
        if found.label in (m.PIPELINE, m.RUN):
            hop = self.g.V(found.vid)
            if found.label == m.RUN:
                hop = hop.out(m.RUN_OF)
            seeds = hop.union(__.out(m.CONSUMES, m.PRODUCES), __.in_(m.GENERATED_BY)).id_().to_list()
        distance: dict[Any, int] = {found.vid: 0}
        side: dict[Any, set[str]] = {found.vid: {UP, DOWN}}
        truncated = False
        for seed in seeds:
            distance.setdefault(seed, 1 if seed != found.vid else 0)
            side[seed] = {UP, DOWN}
            for way in ((UP, DOWN) if direction == "both" else (direction,)):
                result = expand(self.g, seed, way, depth, node_cap, paths=False)
                truncated |= result.truncated
                for vid, d in result.distance.items():
                    d += distance[seed]
                    if d <= depth:
                        side.setdefault(vid, set()).add(way)
                        if d < distance.get(vid, d + 1):
                            distance[vid] = d
        # a pipeline that wrote an upstream artifact on the edge of the view (or read a
        # downstream one) lies beyond the depth asked for
        inside = {v for v in distance if distance[v] < depth}
        writers = [v for v in distance if v in inside or DOWN in side[v]]
        readers = [v for v in distance if v in inside or UP in side[v]] if direction != UP else []
        self._add_pipelines(writers, readers, distance)
        ordered = sorted(distance, key=lambda v: distance[v])
        if len(ordered) > node_cap:
            ordered, truncated = ordered[:node_cap], True
        keep = set(ordered)
        info = describe(self.g, ordered)
        nodes = [node_dict(v, info[v], distance[v]) for v in ordered if v in info]
        ident = {v: n["id"] for v, n in zip([v for v in ordered if v in info], nodes)}
        edges = []
        for i in range(0, len(ordered), 500):
            for row in self.g.V(*ordered[i:i + 500]).out_e(*_GRAPH_EDGES).element_map().to_list():
                source, target = row[Direction.OUT][T.id], row[Direction.IN][T.id]
                if source in keep and target in keep:
                    edges.append({"label": row[T.label], "source": ident[source], "target": ident[target],
                                  "version": row.get("version")})
        unique = {(e["label"], e["source"], e["target"]): e for e in edges}
        return LineageGraph(nodes, sorted(unique.values(), key=lambda e: (e["source"], e["label"], e["target"])),
                            truncated, found.key)

    def _add_pipelines(self, writers_of: list[Any], readers_of: list[Any], distance: dict[Any, int]) -> None:
        """Add to ``distance`` the pipelines that wrote ``writers_of`` and read ``readers_of``."""
        for artifacts, branch in ((writers_of, lambda: __.union(__.out(m.GENERATED_BY), __.in_(m.PRODUCES)).id_()),
                                  (readers_of, lambda: __.in_(m.CONSUMES).id_())):
            for artifact, pipelines in per_vertex(self.g, artifacts, branch):
                for p in pipelines:
                    if p not in distance or distance[p] > distance[artifact]:
                        distance[p] = distance[artifact]

    # -- paths -------------------------------------------------------------------

    def paths(self, from_id: str | NodeKey, to_id: str | NodeKey, max_depth: int = 10,
              limit: int = 10) -> list[list[str]]:
        """Lineage paths from one artifact down to another, shortest first (ids)."""
        check_depth(max_depth, "max_depth")
        limit = check_cap(limit, "limit")
        source, target = self.resolve(from_id), self.resolve(to_id)
        forward = expand(self.g, source.vid, DOWN, max_depth, MAX_NODES)
        if target.vid not in forward.distance:
            return []
        backward = expand(self.g, target.vid, UP, max_depth, MAX_NODES)
        useful = {v for v in forward.distance if v in backward.distance
                  and forward.distance[v] + backward.distance[v] <= max_depth}
        nxt: dict[Any, list[Any]] = {}
        for a, b in neighbours(self.g, sorted(useful, key=str), DOWN, MAX_NODES * 4):
            nxt.setdefault(a, []).append(b)
        found: list[list[Any]] = []
        stack: list[list[Any]] = [[source.vid]]
        while stack:
            path = stack.pop()
            here = path[-1]
            if here == target.vid:
                found.append(path)
                continue
            if len(path) > max_depth:
                continue
            for step in nxt.get(here, []):
                if step in useful and step not in path:
                    stack.append(path + [step])
        found.sort(key=lambda p: (len(p), [str(v) for v in p]))
        found = found[:limit]
        info = describe(self.g, list({v for p in found for v in p}))
        return [[node_dict(v, info[v])["id"] for v in p] for p in found]
