"""Questions asked of the lineage graph: the one query module behind the
Python client, the GraphQL API and the web page.

Every result is plain data: a node is a dict of its properties plus ``id``
(its identity value, e.g. the ``dataset_id``) and ``label``; lineage results
add ``distance`` (hops from the node asked about).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from . import _model as m
from ._errors import Ambiguous, InvalidArgument, NotFound
from ._ids import NodeKey, id_hint, split_model_id
from ._traverse import DOWN, UP
from .graph.interface import IN, LINEAGE_EDGES, OUT, Expansion, Graph, node_dict, node_key

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


class LineageQueries:
    """Read-only questions over a :class:`lineage.graph.Graph` (a gremlinpython
    traversal source is accepted too, and read with portable Gremlin)."""

    def __init__(self, graph: Any, default_namespace: str = "default") -> None:
        if not isinstance(graph, Graph):
            from .graph.gremlin import GremlinGraph

            graph = GremlinGraph(graph)
        self.graph: Graph = graph
        self.default_namespace = default_namespace

    @property
    def g(self) -> Any:
        """A Gremlin traversal source over the same graph, for code not yet on the interface."""
        return self.graph.g

    # -- finding nodes ---------------------------------------------------------

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
            found = self.graph.lookup(candidate, [text])
            if text in found:
                return Resolved(found[text], candidate, text)
        if m.MODEL in labels and "@" not in text:
            versions = self.graph.find("model_name", text, [m.MODEL])
            if len(versions) == 1:
                return Resolved(versions[0][0], m.MODEL, versions[0][2])
            if versions:
                ids = sorted(key for _, _, key in versions)
                raise Ambiguous(f"model {text!r} has {len(ids)} versions ({', '.join(ids)}); "
                                f"name one, e.g. {ids[-1]!r}", candidates=ids)
        by_name = self.graph.find("name", text, labels)
        if len(by_name) == 1:
            vid, found_label, key = by_name[0]
            return Resolved(vid, found_label, key)
        if by_name:
            ids = sorted(key for _, _, key in by_name)
            raise Ambiguous(f"{text!r} names {len(ids)} nodes ({', '.join(ids[:10])}); use the full id",
                            candidates=ids)
        suffixed = self._by_suffix(text, tuple(x for x in labels if x != m.RUN))
        if suffixed is not None:
            return suffixed
        raise self._not_found(text, label)

    def _not_found(self, text: str, label: str | None) -> NotFound:
        """NotFound in the words of the kind of id asked for: a model's other versions,
        or how ids of that kind are written."""
        if label == m.MODEL or (label is None and "@" in text and "://" not in text):
            name, _ = split_model_id(text)
            versions = sorted(key for _, _, key in self.graph.find("model_name", name, [m.MODEL]))
            if versions:
                return NotFound(f"no model version {text!r}; {name} has {', '.join(versions)}", id=text,
                                candidates=versions)
            return NotFound(f"no model {text!r}; {id_hint(m.MODEL, text)} "
                            f"(`lineage search {name}` lists models by prefix)", id=text)
        what = label.lower() if label else "node"
        return NotFound(f"no {what} with id {text!r}; {id_hint(label, text)} "
                        "(search by prefix to find the right id)", id=text)

    def search(self, text: str, labels: Iterable[str] | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Nodes whose name, short name (the name's last dot-separated part) or id contains
        ``text``, ignoring case: exact matches first, then prefixes, word starts and the
        rest (see :mod:`lineage.graph.textsearch`). Each node carries its ``rank``."""
        wanted = _labels(labels) or (m.DATASET, m.PIPELINE, m.MODEL, m.FEATURE)
        limit = check_cap(limit, "limit")
        text = (text or "").strip()
        if not text:
            raise InvalidArgument("search needs a text of at least one character, e.g. 'orders'")
        fetch = limit
        while True:   # read more when folded children took places in the first ``fetch``
            found = self.graph.match(text, wanted, fetch)
            info = self.graph.describe(r[0] for r in found)
            folded = self._folded([vid for vid in info if info[vid].get("parent_pipeline_id")])
            kept = [r for r in found if r[0] not in folded]
            if len(kept) >= limit or len(found) < fetch:
                break
            fetch *= 4
        found = kept[:limit]
        nodes = []
        for vid, _label, _key, _name, rank in found:
            node = node_dict(vid, info[vid])
            node["rank"] = rank
            nodes.append(node)
        return nodes

    def _folded(self, children: list[Any]) -> set[Any]:
        """The child pipelines that read and write nothing: they are found under their parent."""
        if not children:
            return set()
        busy = {s for s, _ in self.graph.neighbors(children, OUT, [m.CONSUMES, m.PRODUCES])}
        busy |= {s for s, _ in self.graph.neighbors(children, IN, [m.GENERATED_BY])}
        return set(children) - busy

    def _by_suffix(self, text: str, labels: tuple[str, ...]) -> Resolved | None:
        """The one node whose OpenLineage name ends with ``text`` as whole dot-separated
        parts (``main.orders``); Ambiguous when several do."""
        last = text.rsplit(".", 1)[-1]
        if not last:
            return None
        hits = [(vid, label, key) for vid, label, key, name, _ in self.graph.match(last, labels, MAX_NODES)
                if name and (name == text or name.endswith("." + text))]
        if len(hits) == 1:
            return Resolved(*hits[0])
        if hits:
            ids = sorted(key for _, _, key in hits)
            raise Ambiguous(f"{text!r} ends the names of {len(ids)} nodes ({', '.join(ids[:10])}); "
                            "use a longer suffix or the full id", candidates=ids)
        return None

    def node(self, node_id: str | NodeKey, label: str | None = None) -> dict[str, Any]:
        found = self.resolve(node_id, label)
        return node_dict(found.vid, self.graph.describe([found.vid])[found.vid])

    def runs(self, pipeline_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """The newest runs of a pipeline (by start, else first event)."""
        found = self.resolve(pipeline_id, m.PIPELINE)
        info = self.graph.describe(h.target for h in self.graph.hops([found.vid], IN, [m.RUN_OF]))
        runs = [node_dict(vid, i) for vid, i in info.items()]
        runs.sort(key=lambda r: (r.get("started_at") or r.get("first_seen") or "", r["id"]), reverse=True)
        return runs[:check_cap(limit, "limit")]

    # -- as of a time (the rule: lineage.versions.asof) ----------------------------

    def _at(self, found: Resolved, as_of: Any) -> str | None:
        """``as_of`` as stored UTC text; NotFound when the node did not exist yet then."""
        if as_of is None:
            return None
        from .versions.asof import as_of_time, node_live

        at = as_of_time(as_of)
        if at is not None:
            info = self.graph.describe([found.vid]).get(found.vid, {})
            if not node_live(info, at):
                raise NotFound(f"{found.key} did not exist as of {at}: it was first seen at {info.get('first_seen')}; "
                               "ask for a later time", id=found.key)
        return at

    def _then(self, info: dict[Any, dict[str, Any]], at: str | None) -> None:
        """Give the datasets among described nodes the version current at ``at`` (none if none was)."""
        if at is None:
            return
        from .versions.history import VersionHistory

        datasets = [vid for vid, i in info.items() if i.get("label") == m.DATASET]
        current = VersionHistory(self).current(datasets, at)
        for vid in datasets:
            info[vid] = {**info[vid], "version": current[vid].get("version") if vid in current else None}

    # -- lineage ---------------------------------------------------------------

    def _expand(self, found: Resolved, direction: str, depth: int, cap: int, paths: bool = False,
                as_of: str | None = None) -> Expansion:
        return self.graph.expand(found.vid, direction, check_depth(depth), check_cap(cap), paths=paths, as_of=as_of)

    def lineage(self, node_id: str | NodeKey, direction: str, max_depth: int = 5,
                labels: Iterable[str] | None = None, node_cap: int = MAX_NODES,
                label: str | None = None, as_of: Any = None) -> list[dict[str, Any]]:
        """Artifacts up- or downstream of a node, nearest first, each with its distance
        (with ``as_of``, as the graph was then: :mod:`lineage.versions.asof`)."""
        if direction not in (UP, DOWN):
            raise InvalidArgument(f"direction must be {UP!r} or {DOWN!r}; got {direction!r}")
        wanted = _labels(labels)
        found = self.resolve(node_id, label)
        at = self._at(found, as_of)
        if at is None:   # the graph hands back finished nodes (on the embedded file, from one statement)
            nodes = self.graph.expand_nodes(found.vid, direction, check_depth(max_depth), check_cap(node_cap))[0][1:]
        else:
            result = self._expand(found, direction, max_depth, node_cap, as_of=at)
            self._then(result.info, at)
            nodes = [node_dict(vid, result.info[vid], result.distance[vid]) for vid in result.ordered()]
        if wanted:
            nodes = [n for n in nodes if n["label"] in wanted]
        return nodes

    def upstream(self, node_id: str | NodeKey, max_depth: int = 5, **kw: Any) -> list[dict[str, Any]]:
        return self.lineage(node_id, UP, max_depth, **kw)

    def downstream(self, node_id: str | NodeKey, max_depth: int = 5, **kw: Any) -> list[dict[str, Any]]:
        return self.lineage(node_id, DOWN, max_depth, **kw)

    def consumers(self, dataset_id: str | NodeKey, as_of: Any = None) -> dict[str, list[dict[str, Any]]]:
        """Pipelines that read a dataset, models trained on it, features produced from it."""
        found = self.resolve(dataset_id)
        pipelines, trained, features = self.graph.consumers(found.vid, self._at(found, as_of))
        info = self.graph.describe([*pipelines, *trained, *features])
        models = []
        for vid, version in trained.items():
            node = node_dict(vid, info[vid])
            node["trained_on_version"] = version
            models.append(node)
        key = lambda n: (n["id"], n["label"])  # noqa: E731
        return {
            "pipelines": sorted((node_dict(v, info[v]) for v in set(pipelines)), key=key),
            "models": sorted(models, key=key),
            "features": sorted((node_dict(v, info[v]) for v in set(features)), key=key),
        }

    # -- the graph around a node, for drawing ------------------------------------

    def lineage_graph(self, node_id: str | NodeKey, node_type: str | None = None, depth: int = 3,
                      direction: str = "both", node_cap: int = 200, as_of: Any = None) -> LineageGraph:
        """Nodes (artifacts and the pipelines between them) and edges around a node.

        ``depth`` counts artifact hops; a pipeline sits between the artifacts it
        reads and writes. At most ``node_cap`` nodes come back; ``truncated``
        says some were left out (the farthest first, ties by id)."""
        if direction not in DIRECTIONS:
            raise InvalidArgument(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}")
        check_depth(depth)
        check_cap(node_cap)
        found = self.resolve(node_id, node_type)
        at = self._at(found, as_of)
        ways = (UP, DOWN) if direction == "both" else (direction,)
        # (seed, its side): an artifact is expanded both ways; a pipeline's (or a run's)
        # inputs are upstream of it and its outputs downstream, never the other way round
        seeds: list[tuple[Any, str]] = [(found.vid, way) for way in ways]
        if found.label in (m.PIPELINE, m.RUN):
            pipes = [found.vid]
            if found.label == m.RUN:
                pipes = [t for _, t in self.graph.neighbors(pipes, OUT, [m.RUN_OF])]
            ins = {t for _, t in self.graph.neighbors(pipes, OUT, [m.CONSUMES], at)}
            outs = {t for _, t in self.graph.neighbors(pipes, OUT, [m.PRODUCES], at)} | \
                {t for _, t in self.graph.neighbors(pipes, IN, [m.GENERATED_BY], at)}
            seeds = [(v, UP) for v in sorted(ins, key=str) if UP in ways] + \
                [(v, DOWN) for v in sorted(outs, key=str) if DOWN in ways]
        distance: dict[Any, int] = {found.vid: 0}
        side: dict[Any, set[str]] = {found.vid: set(ways)}
        info: dict[Any, dict[str, Any]] = {}
        truncated = False
        for seed, way in seeds:
            distance.setdefault(seed, 1 if seed != found.vid else 0)
            side.setdefault(seed, set()).add(way)
            result = self.graph.expand(seed, way, depth, node_cap, paths=False, as_of=at)
            truncated |= result.truncated
            info.update(result.info)
            for vid, d in result.distance.items():
                d += distance[seed]
                if d <= depth:
                    side.setdefault(vid, set()).add(way)
                    if d < distance.get(vid, d + 1):
                        distance[vid] = d
        # the pipelines on the lineage: those that wrote an upstream artifact and those
        # that read a downstream one (never a sibling reading the same inputs, nor the
        # focus's producer downstream); past the depth asked for, none
        artifacts = [v for v in distance if v != found.vid or found.label not in (m.PIPELINE, m.RUN)]
        wrote = [v for v in artifacts if distance[v] < depth and UP in side[v]]
        read = [v for v in artifacts if distance[v] < depth and DOWN in side[v]]
        written, read_by, described = self.graph.pipelines(wrote, read, at)
        for found_pipelines in (written, read_by):
            for artifact, pipelines in found_pipelines.items():
                for p in pipelines:
                    if p not in distance or distance[p] > distance[artifact]:
                        distance[p] = distance[artifact]
        info.update(described)
        info.update(self.graph.describe(v for v in distance if v not in info))
        self._then(info, at)
        ordered = sorted((v for v in distance if v in info), key=lambda v: (distance[v], v != found.vid, node_key(info[v])))
        if len(ordered) > node_cap:
            ordered, truncated = ordered[:node_cap], True
        keep = set(ordered)
        nodes = [node_dict(v, info[v], distance[v]) for v in ordered]
        ident = {v: n["id"] for v, n in zip(ordered, nodes)}
        edges = []
        for source, label, target, version in self.graph.hop_values(ordered, OUT, _GRAPH_EDGES, "version", at):
            if target in keep:
                edges.append({"label": label, "source": ident[source], "target": ident[target], "version": version})
        edges.sort(key=lambda e: (e["source"], e["label"], e["target"], str(e["version"])))
        unique = {(e["label"], e["source"], e["target"]): e for e in edges}
        return LineageGraph(nodes, sorted(unique.values(), key=lambda e: (e["source"], e["label"], e["target"])),
                            truncated, found.key)

    # -- paths -------------------------------------------------------------------

    def paths(self, from_id: str | NodeKey, to_id: str | NodeKey, max_depth: int = 10,
              limit: int = 10) -> list[list[str]]:
        """Lineage paths from one artifact down to another, shortest first (ids)."""
        check_depth(max_depth, "max_depth")
        limit = check_cap(limit, "limit")
        source, target = self.resolve(from_id), self.resolve(to_id)
        forward = self.graph.expand(source.vid, DOWN, max_depth, MAX_NODES, paths=False)
        if target.vid not in forward.distance:
            return []
        backward = self.graph.expand(target.vid, UP, max_depth, MAX_NODES, paths=False)
        useful = {v for v in forward.distance if v in backward.distance
                  and forward.distance[v] + backward.distance[v] <= max_depth}
        ident = {v: node_dict(v, forward.info[v])["id"] for v in useful}
        nxt: dict[Any, list[Any]] = {}
        for hop in self.graph.hops(sorted(useful, key=ident.get), IN, LINEAGE_EDGES):
            nxt.setdefault(hop.source, []).append(hop.target)
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
        named = sorted({tuple(ident[v] for v in p) for p in found}, key=lambda p: (len(p), p))
        return [list(p) for p in named[:limit]]
