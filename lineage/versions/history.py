"""A dataset's version history, read through the graph interface.

Versions are ordered by ``created_at`` (the earliest event that asserted them;
``first_seen`` for a version known only from a read), ties by version id. Each
carries the run that created it (the earliest ``CREATED_BY`` edge), its schema
and row count when known, the schema change from the version before it that
has a schema, and its inputs: the input version recorded by the event, or, where
the event named none, the input dataset's newest version created at or before
this one (``resolved`` says which).
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from .. import _model as m
from .._queries import LineageQueries, check_cap, node_dict
from ..graph.interface import IN, OUT
from .asof import as_of_time


def _fields(raw: Any) -> list[dict[str, Any]] | None:
    if not raw:
        return None
    try:
        fields = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return [{"name": str(f.get("name")), "type": f.get("type")} for f in fields if isinstance(f, dict)]


def schema_change(before: list[dict[str, Any]] | None, after: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """Fields added, removed and retyped from ``before`` to ``after`` (None when either is unknown)."""
    if before is None or after is None:
        return None
    old = {f["name"]: f.get("type") for f in before}
    new = {f["name"]: f.get("type") for f in after}
    return {
        "added": [{"name": n, "type": t} for n, t in new.items() if n not in old],
        "removed": [{"name": n, "type": t} for n, t in old.items() if n not in new],
        "retyped": [{"name": n, "before": old[n], "after": t} for n, t in new.items() if n in old and old[n] != t],
    }


def _created(info: dict[str, Any]) -> str:
    return str(info.get("created_at") or info.get("first_seen") or "")


def _rows(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


class VersionHistory:
    """Version questions over a query module (:class:`lineage.LineageQueries` or an analysis)."""

    def __init__(self, queries: LineageQueries) -> None:
        self.q = queries
        self.graph = queries.graph

    def _version_vertices(self, dataset_vids: Iterable[Any]) -> dict[Any, list[tuple[Any, dict[str, Any]]]]:
        """Each dataset's versions (vid, properties), oldest first."""
        hops = self.graph.hops(list(dataset_vids), IN, [m.VERSION_OF])
        info = self.graph.describe({h.target for h in hops})
        out: dict[Any, list[tuple[Any, dict[str, Any]]]] = {}
        for hop in hops:
            if hop.target in info:
                out.setdefault(hop.source, []).append((hop.target, info[hop.target]))
        for versions in out.values():
            versions.sort(key=lambda v: (_created(v[1]), str(v[1].get("version_id"))))
            unique = {vid: i for vid, i in versions}
            versions[:] = [(vid, unique.pop(vid)) for vid, _ in versions if vid in unique]
        return out

    def current(self, dataset_vids: Iterable[Any], as_of: str) -> dict[Any, dict[str, Any]]:
        """Each dataset's newest version created at or before ``as_of`` (datasets with none left out)."""
        out = {}
        for vid, versions in self._version_vertices(dataset_vids).items():
            then = [i for _, i in versions if _created(i) <= as_of]
            if then:
                out[vid] = then[-1]
        return out

    def versions(self, dataset_id: str, as_of: Any = None, limit: int = 100) -> list[dict[str, Any]]:
        """The versions of a dataset, newest first (at most ``limit``; with ``as_of``,
        only those created by then), each with its run, schema, row count, schema
        change from the version before it and inputs."""
        at = as_of_time(as_of)
        limit = check_cap(limit, "limit")
        found = self.q.resolve(dataset_id, m.DATASET)
        versions = self._version_vertices([found.vid]).get(found.vid, [])
        if at is not None:
            versions = [(vid, i) for vid, i in versions if _created(i) <= at]
        vids = [vid for vid, _ in versions]
        created_by: dict[Any, tuple[str, Any]] = {}
        for hop in self.graph.hops(vids, OUT, [m.CREATED_BY]):
            here = (str(hop.props.get("first_seen") or ""), hop.target)
            if hop.source not in created_by or here < created_by[hop.source]:
                created_by[hop.source] = here
        runs = self.graph.describe({run for _, run in created_by.values()})
        inputs = self._inputs(versions)
        out: list[dict[str, Any]] = []
        previous: list[dict[str, Any]] | None = None
        for vid, info in versions:
            fields = _fields(info.get("schema_fields"))
            run = created_by.get(vid)
            out.append({
                "id": info.get("version_id"), "dataset_id": found.key, "version": info.get("version"),
                "source": info.get("version_source"), "created_at": info.get("created_at") or info.get("first_seen"),
                "run": node_dict(run[1], runs[run[1]]) if run and run[1] in runs else None,
                "row_count": _rows(info.get("row_count")), "fingerprint": info.get("fingerprint"),
                "fields": fields, "schema_change": schema_change(previous, fields) if out else None,
                "inputs": inputs.get(vid, []),
            })
            if fields is not None:
                previous = fields
        return out[::-1][:limit]

    def _inputs(self, versions: list[tuple[Any, dict[str, Any]]]) -> dict[Any, list[dict[str, Any]]]:
        hops = self.graph.hops([vid for vid, _ in versions], OUT, [m.COMPUTED_FROM])
        info = self.graph.describe({h.target for h in hops})
        datasets = [h.target for h in hops if info.get(h.target, {}).get("label") == m.DATASET]
        known = self._version_vertices(datasets)
        created = {vid: _created(i) for vid, i in versions}
        out: dict[Any, list[dict[str, Any]]] = {}
        for hop in hops:
            target = info.get(hop.target)
            if target is None:
                continue
            if target["label"] == m.DATASET_VERSION:
                item = {"dataset_id": target.get("dataset_id"), "version": target.get("version"),
                        "version_id": target.get("version_id"), "resolved": "recorded"}
            else:
                then = [i for _, i in known.get(hop.target, []) if _created(i) <= created[hop.source]]
                item = {"dataset_id": target.get("dataset_id"), "version": then[-1].get("version") if then else None,
                        "version_id": then[-1].get("version_id") if then else None,
                        "resolved": "latest" if then else "unknown"}
            if item not in out.setdefault(hop.source, []):
                out[hop.source].append(item)
        for items in out.values():
            items.sort(key=lambda i: (str(i["dataset_id"]), str(i["version"])))
        return out
