"""Impact analysis, model training lineage, reproducibility, and the Gremlin
recipes of the lineage guide as named queries.

Severity of an impact (documented in the README):

* ``HIGH``: more than 20 affected nodes, or any model affected by a
  ``schema`` change or a ``deprecation``;
* ``MEDIUM``: 6 to 20 affected nodes, or any model affected by a ``data`` change;
* ``LOW``: 5 or fewer affected nodes and no model.
"""

from __future__ import annotations

from typing import Any

from gremlin_python.process.graph_traversal import __

from . import _model as m
from ._errors import InvalidArgument
from ._ids import NodeKey, model_id
from ._queries import MAX_NODES, LineageQueries, check_cap, check_depth, node_dict
from ._traverse import DOWN, UP, describe, expand, per_vertex

CHANGE_TYPES = ("schema", "data", "deprecation")
HIGH_ABOVE, MEDIUM_ABOVE = 20, 5


def severity(total: int, models: int, change_type: str) -> str:
    if total > HIGH_ABOVE or (models and change_type in ("schema", "deprecation")):
        return "HIGH"
    if total > MEDIUM_ABOVE or models:
        return "MEDIUM"
    return "LOW"


class LineageAnalysis(LineageQueries):
    """The query module with the analyses on top."""

    # -- impact ------------------------------------------------------------------

    def impact(self, dataset_id: str | NodeKey, change_type: str = "schema", max_depth: int = 10,
               node_cap: int = MAX_NODES) -> dict[str, Any]:
        """Everything downstream of a node that a change to it would reach: datasets,
        models, features, and the pipelines reading any of them, each with its
        distance and a shortest path from the changed node."""
        if change_type not in CHANGE_TYPES:
            raise InvalidArgument(f"change_type must be one of {', '.join(CHANGE_TYPES)}; got {change_type!r}")
        found = self.resolve(dataset_id)
        result = expand(self.g, found.vid, DOWN, check_depth(max_depth, "max_depth"), check_cap(node_cap))
        artifacts = list(result.distance)
        readers: dict[Any, tuple[int, Any]] = {}
        for artifact, pipelines in per_vertex(self.g, artifacts, lambda: __.in_(m.CONSUMES).id_()):
            d = result.distance[artifact] + 1
            for p in pipelines:
                if p not in readers or readers[p][0] > d:
                    readers[p] = (d, artifact)
        info = describe(self.g, artifacts + list(readers))
        ident = {vid: node_dict(vid, i)["id"] for vid, i in info.items()}
        groups: dict[str, list[dict[str, Any]]] = {m.DATASET: [], m.MODEL: [], m.FEATURE: [], m.PIPELINE: []}
        for vid in artifacts:
            if vid == found.vid or vid not in info:
                continue
            node = node_dict(vid, info[vid], result.distance[vid])
            node["path"] = [ident[v] for v in result.path(vid)]
            groups[node["label"]].append(node)
        for vid, (d, via) in readers.items():
            node = node_dict(vid, info[vid], d)
            node["path"] = [ident[v] for v in result.path(via)] + [node["id"]]
            groups[m.PIPELINE].append(node)
        for nodes in groups.values():
            nodes.sort(key=lambda n: (n["distance"], n["id"]))
        total = sum(len(nodes) for nodes in groups.values())
        return {
            "dataset_id": found.key, "change_type": change_type, "total_affected": total,
            "severity": severity(total, len(groups[m.MODEL]), change_type),
            "datasets": groups[m.DATASET], "models": groups[m.MODEL], "features": groups[m.FEATURE],
            "pipelines": groups[m.PIPELINE], "truncated": result.truncated,
        }

    # -- models ------------------------------------------------------------------

    def _model(self, model_name: str, version: Any) -> Any:
        mid = model_id(model_name, None if version is None else str(version))
        return self.resolve(mid, m.MODEL)

    def _training(self, model_name: str, version: Any, max_depth: int) -> tuple[Any, dict[str, Any], Any, dict]:
        """The model vertex, its TRAINED_ON edges and trainers, its upstream, and their properties."""
        found = self._model(model_name, version)
        row = (self.g.V(found.vid).project("t", "p")
               .by(__.out_e(m.TRAINED_ON).project("v", "at").by(__.in_v().id_()).by(__.values("version").fold()).fold())
               .by(__.out(m.GENERATED_BY).id_().fold()).next())
        upstream = expand(self.g, found.vid, UP, check_depth(max_depth, "max_depth"), MAX_NODES)
        info = describe(self.g, list({found.vid, *row["p"], *upstream.distance}))
        return found, row, upstream, info

    def model_training_lineage(self, model_name: str, version: Any = None, max_depth: int = 5) -> dict[str, Any]:
        """A model version, what it was trained on (with the exact version of each
        input), the pipeline that trained it, and the upstream chain behind the inputs."""
        found, row, upstream, info = self._training(model_name, version, max_depth)
        training = []
        for edge in row["t"]:
            node = node_dict(edge["v"], info[edge["v"]], 1)
            node["current_version"] = node.get("version")
            node["version"] = edge["at"][0] if edge["at"] else None
            training.append(node)
        training.sort(key=lambda n: n["id"])
        chain = [node_dict(v, info[v], d) for v, d in upstream.distance.items() if d > 1]
        chain.sort(key=lambda n: (n["distance"], n["id"]))
        return {
            "model": node_dict(found.vid, info[found.vid]),
            "training_datasets": training,
            "pipelines": sorted((node_dict(p, info[p]) for p in row["p"]), key=lambda n: n["id"]),
            "upstream": chain,
            "truncated": upstream.truncated,
        }

    def reproducibility(self, model_name: str, version: Any = None, max_depth: int = 10) -> dict[str, Any]:
        """Reproducible only when every training input is pinned to a version and
        every pipeline on the path (the trainer and those that made each upstream
        artifact) has a code version. ``missing`` says what is not. ``level`` is
        ``verified`` when, moreover, each of those pipelines has a recorded replay that
        reproduced a run at its code version (``unverified`` lists those without)."""
        found, row, upstream, info = self._training(model_name, version, max_depth)
        ident = {vid: node_dict(vid, props)["id"] for vid, props in info.items()}
        model_id = ident[found.vid]
        pins = sorted((ident[e["v"]], e["at"][0] if e["at"] else None) for e in row["t"])
        missing: list[str] = []
        if not pins:
            missing.append("no training inputs are recorded for this model version")
        missing += [f"training input {art} is not pinned to a version or snapshot" for art, pin in pins if not pin]
        artifacts = sorted(upstream.distance, key=lambda v: (upstream.distance[v], ident[v]))
        writers: dict[str, tuple[str, str | None]] = {}
        written = per_vertex(self.g, artifacts, lambda: __.union(__.out(m.GENERATED_BY), __.in_(m.PRODUCES))
                             .project("p", "c").by(__.values("pipeline_id")).by(__.values("code_version").fold()))
        for artifact, trainers in sorted(written, key=lambda r: (upstream.distance[r[0]], ident[r[0]])):
            for w in trainers:
                writers.setdefault(w["p"], (ident[artifact], w["c"][0] if w["c"] else None))
        if not writers:
            missing.append(f"no pipeline is recorded as having trained {model_id}")
        for pipeline, (art, code) in sorted(writers.items()):
            if not code:
                missing.append(f"pipeline {pipeline} (which wrote {art}) has no code version")
        model = info[found.vid]
        unverified = self._unverified(writers) if not missing else []
        return {
            "model_id": model_id, "model_name": model.get("model_name"), "version": model.get("version"),
            "reproducible": not missing, "missing": missing, "snapshots": dict(pins),
            "level": "unreproducible" if missing else ("reproducible" if unverified else "verified"),
            "unverified": unverified,
            "pipelines": {p: c for p, (_, c) in sorted(writers.items())},
        }

    def _unverified(self, writers: dict[str, tuple[str, str | None]]) -> list[str]:
        """What keeps a reproducible model from "verified": pipelines on its path with no
        recorded replay that reproduced a run at their code version."""
        from .replay.verify import verified_versions
        done = verified_versions(self.g)
        return [f"no replay reproduced pipeline {p} at code version {c}" for p, (_, c) in sorted(writers.items())
                if (p, c) not in done]

    # -- recipes -----------------------------------------------------------------

    def bronze_to_model_paths(self, limit: int = 10, max_depth: int = 10) -> list[list[str]]:
        """Lineage paths from every bronze dataset to every model it feeds, shortest first."""
        limit = check_cap(limit, "limit")
        paths: list[list[str]] = []
        for vid in self.g.V().has("layer", "bronze").has_label(m.DATASET).id_().to_list():
            result = expand(self.g, vid, DOWN, check_depth(max_depth, "max_depth"), MAX_NODES)
            models = [v for v in result.distance if v != vid]
            info = describe(self.g, models + [vid])
            ident = {v: node_dict(v, i)["id"] for v, i in info.items()}
            for target in models:
                if info[target]["label"] == m.MODEL:
                    paths.append([ident[v] for v in result.path(target)])
        paths.sort(key=lambda p: (len(p), p))
        return paths[:limit]

    def orphaned_datasets(self, limit: int = 1000) -> list[str]:
        """Datasets nothing reads: no pipeline consumes them, no model trains on them,
        no dataset derives from them."""
        return sorted(self.g.V().has_label(m.DATASET)
                      .not_(__.in_(m.CONSUMES)).not_(__.in_(m.TRAINED_ON)).not_(__.in_(m.DERIVED_FROM))
                      .limit(check_cap(limit, "limit")).values("dataset_id").to_list())

    def unreproducible_models(self) -> list[dict[str, Any]]:
        """Model versions with no training input, or an input not pinned to a snapshot."""
        rows = (self.g.V().has_label(m.MODEL).project("id", "edges", "pinned")
                .by(__.values("model_id"))
                .by(__.out_e(m.TRAINED_ON).count())
                .by(__.out_e(m.TRAINED_ON).values("version").fold()).to_list())
        out = []
        for row in rows:
            unpinned = row["edges"] - len(row["pinned"])
            if row["edges"] == 0 or unpinned:
                out.append({"model_id": row["id"], "training_inputs": row["edges"], "unpinned": unpinned})
        return sorted(out, key=lambda r: r["model_id"])
