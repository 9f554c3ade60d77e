"""What happened lately, for the explorer's home page: graph totals, the latest
runs (failed ones first, with their error), the datasets written most
recently, and the newest model versions with their reproducibility verdict.

Built on the query layer (:class:`~lineage._analysis.LineageAnalysis`): plain
lookups by label plus the same reproducibility check the model view uses.
Read through the graph interface (:class:`lineage.graph.Graph`), so every
implementation answers the same. Every list is read whole and sorted here, so its cost grows with the number of runs,
datasets and models; fine for the page's one request, not for a hot loop.
"""

from __future__ import annotations

from typing import Any

from . import _model as m
from ._analysis import LineageAnalysis
from ._errors import LineageError
from ._queries import check_cap

FAILED = ("FAIL", "ABORT")
COUNTED = (m.DATASET, m.PIPELINE, m.MODEL, m.FEATURE, m.RUN)


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def totals(q: LineageAnalysis) -> dict[str, int]:
    """How many nodes of each kind the graph holds, and how many runs failed."""
    out = {label: q.graph.count(label) for label in COUNTED}
    out["failed_runs"] = sum(len(q.graph.vertices(m.RUN, "state", state)) for state in FAILED)
    return out


def latest_runs(q: LineageAnalysis, limit: int = 10) -> list[dict[str, Any]]:
    """The newest runs, failed (or aborted) ones first, each newest first."""
    info = q.graph.describe(q.graph.vertices(m.RUN))
    keys = ("pipeline_id", "state", "started_at", "ended_at", "last_seen", "error_message")
    runs = [{"run_id": i["run_id"], **{k: i.get(k) for k in keys}} for i in info.values()]
    when = lambda r: r["ended_at"] or r["last_seen"] or r["started_at"] or ""  # noqa: E731
    runs.sort(key=lambda r: r["run_id"])
    runs.sort(key=when, reverse=True)
    runs.sort(key=lambda r: r["state"] not in FAILED)
    return runs[:check_cap(limit, "limit")]


def recent_datasets(q: LineageAnalysis, limit: int = 10) -> list[dict[str, Any]]:
    """Datasets most recently written by a pipeline (the newest GENERATED_BY edge), newest first."""
    writes: dict[Any, list[tuple[str, Any]]] = {}
    for hop in q.graph.hops(q.graph.vertices(m.DATASET), "out", [m.GENERATED_BY]):
        writes.setdefault(hop.source, []).append((hop.props.get("last_seen") or "", hop.target))
    info = q.graph.describe([*writes, *(p for w in writes.values() for _, p in w)])
    out = []
    for vid, seen in writes.items():
        at, by = max((t, info[p]["pipeline_id"]) for t, p in seen)
        row = info[vid]
        out.append({"id": row["dataset_id"], "label": m.DATASET, "layer": row.get("layer") or None,
                    "version": row.get("version"), "changed_at": at, "written_by": by})
    out.sort(key=lambda d: d["id"])
    out.sort(key=lambda d: d["changed_at"], reverse=True)
    return out[:check_cap(limit, "limit")]


def model_verdicts(q: LineageAnalysis, limit: int = 10) -> list[dict[str, Any]]:
    """The newest model versions with their reproducibility verdict, newest first."""
    info = q.graph.describe(q.graph.vertices(m.MODEL))
    rows = [{"id": i["model_id"], "name": [i["model_name"]] if i.get("model_name") else [],
             "version": [i["version"]] if i.get("version") is not None else [],
             "last_seen": [i["last_seen"]] if i.get("last_seen") else []} for i in info.values()]
    rows.sort(key=lambda r: r["id"])
    rows.sort(key=lambda r: _first(r["last_seen"]) or "", reverse=True)
    out = []
    for row in rows[:check_cap(limit, "limit")]:
        name, version = _first(row["name"]) or row["id"], _first(row["version"])
        try:
            verdict = q.reproducibility(name, version)
            reproducible, missing = verdict["reproducible"], verdict["missing"]
        except LineageError as err:   # a model the graph cannot resolve by name and version
            reproducible, missing = False, [err.message]
        out.append({"id": row["id"], "label": m.MODEL, "model_name": name, "version": version,
                    "last_seen": _first(row["last_seen"]), "reproducible": reproducible, "missing": missing})
    return out


def activity(q: LineageAnalysis, runs: int = 10, datasets: int = 10, models: int = 10) -> dict[str, Any]:
    return {"totals": totals(q), "runs": latest_runs(q, runs), "datasets": recent_datasets(q, datasets),
            "models": model_verdicts(q, models)}
