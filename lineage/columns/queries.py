"""Questions about fields, asked through the graph interface (so both backends answer alike).

* :meth:`ColumnLineage.fields`: a dataset's fields (its schema and the fields
  column lineage names), with how many derivations lead in and out of each;
* :meth:`ColumnLineage.lineage`: the fields upstream or downstream of one,
  within a depth, and the derivations between them;
* :meth:`ColumnLineage.impact`: what changing or masking a field reaches:
  downstream fields, the datasets, feature views and models holding them, the
  pipelines that carry it, and where a masking transformation already applies;
* :meth:`ColumnLineage.edges`: every derivation into or out of the fields of
  some datasets (the explorer draws them when a dataset is opened).

Traversal goes one level at a time along ``FIELD_DERIVED_FROM`` (out is
upstream), so order never depends on engine ids: fields are ordered by
(distance, dataset id, field name), and a field's parent on its path is its
nearer predecessor with the smallest id.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from .. import _model as m
from .._errors import InvalidArgument, NotFound
from .._queries import LineageQueries, check_depth
from ..graph.interface import IN, OUT
from .facet import INDIRECT
from .ids import field_id

DIRECTIONS = ("upstream", "downstream", "both")
CHANGES = ("change", "mask")
MAX_FIELDS = 2_000
MAX_EDGE_DATASETS = 200


def _edge(h_source: dict[str, Any], h_target: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """A derivation as data: ``input`` field flows into ``output`` field."""
    steps = props.get("transformations")
    return {
        "input": h_source, "output": h_target, "pipeline_id": props.get("pipeline_id") or None,
        "transformation_type": props.get("transformation_type"),
        "transformation_subtype": props.get("transformation_subtype"),
        "transformation_description": props.get("transformation_description"),
        "masking": props.get("masking") is True,
        "transformations": json.loads(steps) if isinstance(steps, str) else [],
    }


def _carries_value(props: dict[str, Any]) -> bool:
    """DIRECT, or untyped (a plain inputField is used to compute the value); not INDIRECT."""
    return props.get("transformation_type") != INDIRECT


class ColumnLineage:
    """Column lineage over a :class:`lineage.LineageAnalysis` (or any query module with
    ``graph`` and ``resolve``), a :class:`lineage.graph.Graph`, or a Gremlin source."""

    def __init__(self, queries: Any, default_namespace: str = "default") -> None:
        if not hasattr(queries, "resolve"):
            queries = LineageQueries(queries, default_namespace)
        self.q = queries
        self.graph = queries.graph

    # -- finding fields ------------------------------------------------------------

    def _owner(self, dataset_id: str) -> Any:
        found = self.q.resolve(dataset_id)
        if found.label not in (m.DATASET, m.FEATURE, m.MODEL):
            raise InvalidArgument(f"{found.key!r} is a {found.label}; fields belong to datasets, feature views "
                                  "and models, e.g. 'silver/customers'")
        return found

    def _schema(self, info: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            listed = json.loads(info.get("schema_fields") or "[]")
        except ValueError:
            return []
        names = json.loads(info["feature_names"]) if info.get("feature_names") else []
        return [f for f in listed if isinstance(f, dict) and f.get("name")] + [{"name": n, "type": None} for n in names]

    def _field(self, dataset_id: str, field: str) -> tuple[Any, Any, dict[str, Any]]:
        """(owner, field vid or None, owner description); NotFound when the artifact
        knows no such field at all."""
        if not isinstance(field, str) or not field:
            raise InvalidArgument("field is required, e.g. 'email'")
        owner = self._owner(dataset_id)
        fid = field_id(owner.key, field)
        vid = self.graph.lookup(m.FIELD, [fid]).get(fid)
        info = self.graph.describe([owner.vid]).get(owner.vid, {})
        if vid is None:
            known = sorted({f["name"] for f in self._schema(info)} | set(self._field_names(owner.vid)))
            if field not in known:
                hint = f"its fields are {', '.join(known[:20])}" if known else \
                    "it has no schema and no column lineage yet"
                raise NotFound(f"{owner.key} has no field {field!r}; {hint}", id=fid, candidates=known[:20])
        return owner, vid, info

    def _field_names(self, owner_vid: Any) -> list[str]:
        hops = self.graph.hops([owner_vid], OUT, [m.HAS_FIELD])
        info = self.graph.describe(h.target for h in hops)
        return [str(i.get("field_name")) for i in info.values()]

    def _ref(self, info: dict[str, Any], owners: dict[str, str]) -> dict[str, Any]:
        owner = str(info.get("field_of"))
        return {"id": str(info.get("field_id")), "dataset_id": owner, "field": str(info.get("field_name")),
                "label": owners.get(owner, m.DATASET)}

    def _owner_labels(self, infos: Iterable[dict[str, Any]]) -> dict[str, str]:
        """The label of each owner (Dataset, Feature, Model) of these fields."""
        wanted = sorted({str(i.get("field_of")) for i in infos})
        out: dict[str, str] = {}
        for label in (m.DATASET, m.FEATURE, m.MODEL):
            missing = [k for k in wanted if k not in out]
            if not missing:
                break
            for key in self.graph.lookup(label, missing):
                out[key] = label
        return out

    # -- a dataset's fields --------------------------------------------------------

    def fields(self, dataset_id: str) -> dict[str, Any]:
        """A dataset's fields (schema order first, then the others by name), each with
        its type when known and its number of inputs and outputs in column lineage."""
        owner = self._owner(dataset_id)
        info = self.graph.describe([owner.vid]).get(owner.vid, {})
        hops = self.graph.hops([owner.vid], OUT, [m.HAS_FIELD])
        vids = [h.target for h in hops]
        described = self.graph.describe(vids)
        ups: dict[Any, int] = {}
        downs: dict[Any, int] = {}
        for h in self.graph.hops(vids, OUT, [m.FIELD_DERIVED_FROM]):
            ups[h.source] = ups.get(h.source, 0) + 1
        for h in self.graph.hops(vids, IN, [m.FIELD_DERIVED_FROM]):
            downs[h.source] = downs.get(h.source, 0) + 1
        by_name = {str(i.get("field_name")): v for v, i in described.items()}
        out = []
        for f in self._schema(info):
            vid = by_name.pop(f["name"], None)
            out.append({"name": f["name"], "type": f.get("type"), "inputs": ups.get(vid, 0),
                        "outputs": downs.get(vid, 0)})
        for name in sorted(by_name):
            vid = by_name[name]
            out.append({"name": name, "type": None, "inputs": ups.get(vid, 0), "outputs": downs.get(vid, 0)})
        return {"dataset_id": owner.key, "label": owner.label, "fields": out}

    def edges(self, dataset_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Every derivation into or out of a field of these datasets (unknown ids are
        skipped), ordered by output then input field id."""
        wanted = list(dict.fromkeys(dataset_ids))
        if len(wanted) > MAX_EDGE_DATASETS:
            raise InvalidArgument(f"ask for at most {MAX_EDGE_DATASETS} datasets at once; got {len(wanted)}")
        vids: list[Any] = []
        for dataset_id in wanted:
            try:
                owner = self._owner(dataset_id)
            except (NotFound, InvalidArgument):
                continue
            vids.extend(h.target for h in self.graph.hops([owner.vid], OUT, [m.HAS_FIELD]))
        hops = [(h.source, h.target, h.props) for h in self.graph.hops(vids, OUT, [m.FIELD_DERIVED_FROM])]
        hops += [(h.target, h.source, h.props) for h in self.graph.hops(vids, IN, [m.FIELD_DERIVED_FROM])]
        info = self.graph.describe({v for a, b, _ in hops for v in (a, b)})
        owners = self._owner_labels(info.values())
        seen: dict[tuple[str, str, str], dict[str, Any]] = {}
        for out_v, in_v, props in hops:
            if out_v in info and in_v in info:
                edge = _edge(self._ref(info[in_v], owners), self._ref(info[out_v], owners), props)
                seen[(edge["output"]["id"], edge["input"]["id"], str(edge["pipeline_id"]))] = edge
        return [seen[k] for k in sorted(seen)]

    # -- traversal -----------------------------------------------------------------

    def _walk(self, start: Any, direction: str, depth: int, follow: Any = None
              ) -> tuple[dict[Any, int], dict[Any, Any], list[tuple[Any, Any, dict[str, Any]]], bool]:
        """Breadth-first along FIELD_DERIVED_FROM: distances, parents and every edge seen
        as (input vid, output vid, props). ``follow(props)`` filters the edges."""
        distance = {start: 0}
        parent: dict[Any, Any] = {}
        edges: list[tuple[Any, Any, dict[str, Any]]] = []
        keys: dict[Any, tuple[str, str]] = {}
        frontier = [start]
        truncated = False
        for level in range(1, depth + 1):
            if not frontier:
                break
            hops = self.graph.hops(frontier, OUT if direction == "upstream" else IN, [m.FIELD_DERIVED_FROM])
            hops = [h for h in hops if follow is None or follow(h.props)]
            info = self.graph.describe({h.target for h in hops} | {h.source for h in hops} - keys.keys())
            for vid, i in info.items():
                keys.setdefault(vid, (str(i.get("field_id")), ""))
            reached: dict[Any, list[Any]] = {}
            for h in hops:
                if direction == "upstream":
                    edges.append((h.target, h.source, h.props))
                else:
                    edges.append((h.source, h.target, h.props))
                if h.target not in distance or distance[h.target] == level:
                    reached.setdefault(h.target, []).append(h.source)
            frontier = []
            for vid, sources in sorted(reached.items(), key=lambda kv: keys[kv[0]]):
                if vid not in distance:
                    if len(distance) > MAX_FIELDS:
                        truncated = True
                        continue
                    distance[vid] = level
                    frontier.append(vid)
                parent[vid] = min(sources + ([parent[vid]] if vid in parent else []), key=lambda v: keys[v])
        edges = [e for e in edges if e[0] in distance and e[1] in distance]
        return distance, parent, edges, truncated

    @staticmethod
    def _path(parent: dict[Any, Any], start: Any, vid: Any) -> list[Any]:
        out = [vid]
        while out[-1] != start:
            out.append(parent[out[-1]])
        return out[::-1]

    def lineage(self, dataset_id: str, field: str, direction: str = "upstream", depth: int = 5,
                indirect: bool = True) -> dict[str, Any]:
        """The fields ``direction`` of ``dataset_id``'s ``field`` within ``depth``
        derivations, and the derivations between them. ``indirect=False`` leaves out
        INDIRECT ones (joins, filters, grouping: they choose rows, not values)."""
        if direction not in DIRECTIONS:
            raise InvalidArgument(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}")
        depth = check_depth(depth)
        owner, vid, _ = self._field(dataset_id, field)
        root = {"id": field_id(owner.key, field), "dataset_id": owner.key, "field": field, "label": owner.label}
        result: dict[str, Any] = {"root": root, "direction": direction, "depth": depth, "fields": [],
                                  "edges": [], "truncated": False}
        if vid is None:
            return result
        follow = None if indirect else _carries_value
        walks = [d for d in ("upstream", "downstream") if direction in (d, "both")]
        fields: dict[str, dict[str, Any]] = {}
        edges: dict[tuple[str, str, str], dict[str, Any]] = {}
        for way in walks:
            distance, parent, hops, truncated = self._walk(vid, way, depth, follow)
            info = self.graph.describe(distance)
            owners = self._owner_labels(info.values())
            result["truncated"] |= truncated
            for v, d in distance.items():
                if v == vid:
                    continue
                ref = self._ref(info[v], owners)
                fields[ref["id"]] = {**ref, "direction": way, "distance": d,
                                     "path": [str(info[p].get("field_id")) for p in self._path(parent, vid, v)]}
            for a, b, props in hops:
                edge = _edge(self._ref(info[a], owners), self._ref(info[b], owners), props)
                edges[(edge["output"]["id"], edge["input"]["id"], str(edge["pipeline_id"]))] = edge
        result["fields"] = sorted(fields.values(), key=lambda f: (f["distance"], f["dataset_id"], f["field"]))
        result["edges"] = [edges[k] for k in sorted(edges)]
        return result

    def impact(self, dataset_id: str, field: str, change_type: str = "change", depth: int = 10) -> dict[str, Any]:
        """What changing (``change``) or masking (``mask``) a field reaches downstream.

        ``mask`` follows only derivations that carry the value (not INDIRECT ones);
        ``change`` follows every one. Each field says whether it still receives the
        value unmasked by some path (``masked`` false) or only through a masking
        transformation (``masked`` true, ``masked_at``: the derivations that mask it
        on its path). Datasets, feature views and models holding affected fields are
        listed with those fields; artifacts that read an affected one but have no
        column lineage of their own are listed as ``column_level: false`` (they may
        receive it). ``pipelines`` are those that carry it."""
        if change_type not in CHANGES:
            raise InvalidArgument(f"change_type must be one of {', '.join(CHANGES)}; got {change_type!r}")
        depth = check_depth(depth, "depth")
        owner, vid, _ = self._field(dataset_id, field)
        root = {"id": field_id(owner.key, field), "dataset_id": owner.key, "field": field, "label": owner.label}
        follow = _carries_value if change_type == "mask" else None
        if vid is None:
            distance, parent, hops, truncated = {}, {}, [], False
        else:
            distance, parent, hops, truncated = self._walk(vid, "downstream", depth, follow)
        info = self.graph.describe(distance)
        owners = self._owner_labels(info.values())
        owners.setdefault(owner.key, owner.label)
        # fields reachable from the root along derivations that do not mask: they receive it as it is
        clear = {vid} if vid is not None else set()
        out_of: dict[Any, list[tuple[Any, dict[str, Any]]]] = {}
        for a, b, props in hops:
            out_of.setdefault(a, []).append((b, props))
        stack = list(clear)
        while stack:
            here = stack.pop()
            for nxt, props in out_of.get(here, ()):
                if not props.get("masking") and nxt not in clear:
                    clear.add(nxt)
                    stack.append(nxt)
        edge_props = {(a, b): props for a, b, props in hops}
        fields: list[dict[str, Any]] = []
        pipelines: dict[str, int] = {}
        for v in sorted((v for v in distance if v != vid),
                        key=lambda v: (distance[v], str(info[v].get("field_of")), str(info[v].get("field_name")))):
            path = self._path(parent, vid, v)
            steps = [edge_props[(a, b)] for a, b in zip(path, path[1:])]
            masked_at = [{"input": str(info[a].get("field_id")), "output": str(info[b].get("field_id")),
                          "pipeline_id": edge_props[(a, b)].get("pipeline_id")}
                         for a, b in zip(path, path[1:]) if edge_props[(a, b)].get("masking")]
            fields.append({**self._ref(info[v], owners), "distance": distance[v],
                           "path": [str(info[p].get("field_id")) for p in path],
                           "masked": v not in clear, "masked_at": masked_at if v not in clear else [],
                           "transformation_type": steps[-1].get("transformation_type"),
                           "transformation_subtype": steps[-1].get("transformation_subtype")})
        for a, b, props in hops:
            pid = props.get("pipeline_id")
            if pid:
                pipelines[pid] = min(pipelines.get(pid, depth + 1), distance[b])
        groups = self._holders(fields, owner, owners)
        return {
            "root": root, "change_type": change_type, "depth": depth, "fields": fields,
            "datasets": groups[m.DATASET], "features": groups[m.FEATURE], "models": groups[m.MODEL],
            "pipelines": [{"id": p, "distance": d} for p, d in sorted(pipelines.items(), key=lambda kv: (kv[1], kv[0]))],
            "total_fields": len(fields), "unmasked_fields": sum(1 for f in fields if not f["masked"]),
            "truncated": truncated,
        }

    def _holders(self, fields: list[dict[str, Any]], root: Any, labels: dict[str, str]
                 ) -> dict[str, list[dict[str, Any]]]:
        """Artifacts holding affected fields; then the readers of those (and of the root's
        artifact) that have no column lineage at all, one step on, as ``column_level: false``."""
        groups: dict[str, list[dict[str, Any]]] = {m.DATASET: [], m.FEATURE: [], m.MODEL: []}
        held: dict[str, list[dict[str, Any]]] = {}
        for f in fields:
            held.setdefault(f["dataset_id"], []).append(f)
        for key, items in held.items():
            label = labels.get(key, m.DATASET)
            groups.setdefault(label, []).append({
                "id": key, "label": label, "column_level": True, "distance": min(f["distance"] for f in items),
                "fields": sorted({f["field"] for f in items}), "masked": all(f["masked"] for f in items),
                "via": None})
        carriers = {root.key: (root.vid, False)}
        for label in (m.DATASET, m.FEATURE, m.MODEL):
            found = self.graph.lookup(label, [k for k in held if labels.get(k, m.DATASET) == label])
            for key, vid in found.items():
                carriers[key] = (vid, all(f["masked"] for f in held[key]))
        hops = self.graph.hops([v for v, _ in carriers.values()], IN, [m.DERIVED_FROM, m.TRAINED_ON])
        by_vid = {v: (k, masked) for k, (v, masked) in carriers.items()}
        readers = sorted({h.target for h in hops if h.target not in by_vid}, key=str)
        with_fields = {h.source for h in self.graph.hops(readers, OUT, [m.HAS_FIELD])}
        info = self.graph.describe(readers)
        seen: set[str] = set(held) | {root.key}
        for h in sorted(hops, key=lambda h: (by_vid[h.source][0])):
            if h.target in with_fields or h.target in by_vid or h.target not in info:
                continue
            reader = info[h.target]
            key = str(reader.get(m.IDENTITY.get(reader["label"], ""), ""))
            if key in seen:
                continue
            seen.add(key)
            via, masked = by_vid[h.source]
            distance = 1 + next((g["distance"] for grp in groups.values() for g in grp if g["id"] == via), 0)
            groups.setdefault(reader["label"], []).append({
                "id": key, "label": reader["label"], "column_level": False, "distance": distance,
                "fields": [], "masked": masked, "via": via})
        for items in groups.values():
            items.sort(key=lambda g: (g["distance"], g["id"]))
        return groups
