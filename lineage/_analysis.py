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

from . import _model as m
from ._errors import InvalidArgument
from ._ids import NodeKey, model_id
from ._queries import MAX_NODES, check_cap, check_depth, node_dict
from ._related import RelatedQueries
from ._traverse import DOWN, UP, writers
from .graph.affected import affected_nodes
from .graph.interface import OUT

CHANGE_TYPES = ("schema", "data", "deprecation")
HIGH_ABOVE, MEDIUM_ABOVE = 20, 5


def severity(total: int, models: int, change_type: str) -> str:
    if total > HIGH_ABOVE or (models and change_type in ("schema", "deprecation")):
        return "HIGH"
    if total > MEDIUM_ABOVE or models:
        return "MEDIUM"
    return "LOW"


class LineageAnalysis(RelatedQueries):
    """The query module with the analyses on top."""

    # -- impact ------------------------------------------------------------------

    def impact(self, dataset_id: str | NodeKey, change_type: str = "schema", max_depth: int = 10,
               node_cap: int = MAX_NODES, as_of: Any = None) -> dict[str, Any]:
        """Everything downstream of a node that a change to it would reach: datasets,
        models, features, and the pipelines reading any of them, each with its
        distance and a shortest path from the changed node (ties go to the smaller id)."""
        if change_type not in CHANGE_TYPES:
            raise InvalidArgument(f"change_type must be one of {', '.join(CHANGE_TYPES)}; got {change_type!r}")
        found = self.resolve(dataset_id)
        at = self._at(found, as_of)
        depth, cap = check_depth(max_depth, "max_depth"), check_cap(node_cap)
        if at is None:   # on the embedded file, one statement and the answer built from its rows
            affected, truncated = self.graph.affected(found.vid, depth, cap)
        else:
            result, read_by, described = self.graph.expand_readers(found.vid, depth, cap, as_of=at)
            info = dict(result.info)
            info.update(described)
            self._then(info, at)
            affected, truncated = affected_nodes(result, read_by, info), result.truncated
        groups: dict[str, list[dict[str, Any]]] = {m.DATASET: [], m.MODEL: [], m.FEATURE: [], m.PIPELINE: []}
        for node in affected:
            groups.setdefault(node["label"], []).append(node)
        for nodes in groups.values():
            nodes.sort(key=lambda n: (n["distance"], n["id"], n["label"]))
        total = sum(len(nodes) for nodes in groups.values())
        return {
            "dataset_id": found.key, "change_type": change_type, "total_affected": total,
            "severity": severity(total, len(groups[m.MODEL]), change_type),
            "datasets": groups[m.DATASET], "models": groups[m.MODEL], "features": groups[m.FEATURE],
            "pipelines": groups[m.PIPELINE], "truncated": truncated,
        }

    # -- models ------------------------------------------------------------------

    def _model(self, model_name: str, version: Any) -> Any:
        mid = model_id(model_name, None if version is None else str(version))
        return self.resolve(mid, m.MODEL)

    def _training(self, model_name: str, version: Any, max_depth: int,
                  as_of: Any = None) -> tuple[Any, list, list, Any, dict]:
        """The model vertex, its TRAINED_ON edges and trainers, its upstream, and their properties."""
        found = self._model(model_name, version)
        at = self._at(found, as_of)
        trained = [(h.target, h.props.get("version"))
                   for h in self.graph.hops([found.vid], OUT, [m.TRAINED_ON], at)]
        trainers = sorted({h.target for h in self.graph.hops([found.vid], OUT, [m.GENERATED_BY], at)}, key=str)
        upstream = self.graph.expand(found.vid, UP, check_depth(max_depth, "max_depth"), MAX_NODES, paths=False,
                                     as_of=at)
        info = dict(upstream.info)
        info.update(self.graph.describe(v for v in {found.vid, *trainers, *(t for t, _ in trained)} if v not in info))
        self._then(info, at)
        return found, trained, trainers, upstream, info

    def model_training_lineage(self, model_name: str, version: Any = None, max_depth: int = 5,
                               as_of: Any = None) -> dict[str, Any]:
        """A model version, what it was trained on (with the exact version of each
        input), the pipeline that trained it, and the upstream chain behind the inputs
        (with ``as_of``, as the graph was then)."""
        found, trained, trainers, upstream, info = self._training(model_name, version, max_depth, as_of)
        training = []
        for vid, at in trained:
            node = node_dict(vid, info[vid], 1)
            node["current_version"] = node.get("version")
            node["version"] = at
            training.append(node)
        training.sort(key=lambda n: (n["id"], n["label"], str(n["version"])))
        chain = [node_dict(v, info[v], upstream.distance[v]) for v in upstream.ordered() if upstream.distance[v] > 1]
        return {
            "model": node_dict(found.vid, info[found.vid]),
            "training_datasets": training,
            "pipelines": sorted((node_dict(p, info[p]) for p in trainers), key=lambda n: n["id"]),
            "upstream": chain,
            "truncated": upstream.truncated,
        }

    def reproducibility(self, model_name: str, version: Any = None, max_depth: int = 10,
                        as_of: Any = None) -> dict[str, Any]:
        """Reproducible only when every training input is pinned to a version and
        every pipeline on the path (the trainer and those that made each upstream
        artifact) has a code version. ``missing`` says what is not. ``level`` is
        ``verified`` when, moreover, each of those pipelines has a recorded replay that
        reproduced a run at its code version (``unverified`` lists those without)."""
        found, trained, _trainers, upstream, info = self._training(model_name, version, max_depth, as_of)
        at = self._at(found, as_of)
        ident = {vid: node_dict(vid, props)["id"] for vid, props in info.items()}
        model_id = ident[found.vid]
        pins = sorted((ident[v], at) for v, at in trained)
        missing: list[str] = []
        if not pins:
            missing.append("no training inputs are recorded for this model version")
        missing += [f"training input {art} is not pinned to a version or snapshot" for art, pin in pins if not pin]
        artifacts = [upstream.start, *upstream.ordered()]
        written = writers(self.graph, artifacts, at)
        pinfo = self.graph.describe({p for ps in written.values() for p in ps})
        writers_of: dict[str, tuple[str, str | None]] = {}
        for artifact in artifacts:
            for p in sorted(written.get(artifact, ()), key=lambda v: str(pinfo[v].get("pipeline_id"))):
                writers_of.setdefault(pinfo[p]["pipeline_id"], (ident[artifact], pinfo[p].get("code_version")))
        if not writers_of:
            missing.append(f"no pipeline is recorded as having trained {model_id}")
        for pipeline, (art, code) in sorted(writers_of.items()):
            if not code:
                missing.append(f"pipeline {pipeline} (which wrote {art}) has no code version")
        model = info[found.vid]
        unverified = self._unverified(writers_of) if not missing else []
        return {
            "model_id": model_id, "model_name": model.get("model_name"), "version": model.get("version"),
            "reproducible": not missing, "missing": missing, "snapshots": dict(pins),
            "level": "unreproducible" if missing else ("reproducible" if unverified else "verified"),
            "unverified": unverified,
            "pipelines": {p: c for p, (_, c) in sorted(writers_of.items())},
        }

    def _unverified(self, writers: dict[str, tuple[str, str | None]]) -> list[str]:
        """What keeps a reproducible model from "verified": pipelines on its path with no
        recorded replay that reproduced a run at their code version."""
        from .replay.verify import verified_versions
        done = verified_versions(self.graph)
        return [f"no replay reproduced pipeline {p} at code version {c}" for p, (_, c) in sorted(writers.items())
                if (p, c) not in done]

    # -- recipes -----------------------------------------------------------------

    def bronze_to_model_paths(self, limit: int = 10, max_depth: int = 10) -> list[list[str]]:
        """Lineage paths from every bronze dataset to every model it feeds, shortest first."""
        limit = check_cap(limit, "limit")
        check_depth(max_depth, "max_depth")
        paths: list[list[str]] = []
        for vid in self.graph.vertices(m.DATASET, "layer", "bronze"):
            result = self.graph.expand(vid, DOWN, max_depth, MAX_NODES)
            ident = {v: node_dict(v, i)["id"] for v, i in result.info.items()}
            for target in result.ordered():
                if result.info[target]["label"] == m.MODEL:
                    paths.append([ident[v] for v in result.path(target)])
        paths.sort(key=lambda p: (len(p), p))
        return paths[:limit]

    def orphaned_datasets(self, limit: int = 1000) -> list[str]:
        """Datasets nothing reads: no pipeline consumes them, no model trains on them,
        no dataset derives from them (the first ``limit`` by id)."""
        return self.graph.unread(m.DATASET, [m.CONSUMES, m.TRAINED_ON, m.DERIVED_FROM], check_cap(limit, "limit"))

    def unreproducible_models(self) -> list[dict[str, Any]]:
        """Model versions with no training input, or an input not pinned to a snapshot."""
        models = self.graph.vertices(m.MODEL)
        edges: dict[Any, list[Any]] = {vid: [] for vid in models}
        for hop in self.graph.hops(models, OUT, [m.TRAINED_ON]):
            edges[hop.source].append(hop.props.get("version"))
        info = self.graph.describe(models)
        out = []
        for vid, versions in edges.items():
            unpinned = sum(1 for v in versions if v is None)
            if not versions or unpinned:
                out.append({"model_id": info[vid]["model_id"], "training_inputs": len(versions), "unpinned": unpinned})
        return sorted(out, key=lambda r: r["model_id"])
