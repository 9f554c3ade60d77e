"""What happened lately, for the explorer's home page: graph totals, the latest
runs (failed ones first, with their error), the datasets written most
recently, and the newest model versions with their reproducibility verdict.

Built on the query layer (:class:`~lineage._analysis.LineageAnalysis`): plain
lookups by label plus the same reproducibility check the model view uses.
Every list is read whole and sorted here (portable Gremlin has no reliable
``order`` on every engine), so its cost grows with the number of runs,
datasets and models; fine for the page's one request, not for a hot loop.
"""

from __future__ import annotations

from typing import Any

from gremlin_python.process.graph_traversal import __

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
    out = {label: q.g.V().has_label(label).count().next() for label in COUNTED}
    out["failed_runs"] = sum(q.g.V().has("state", state).has_label(m.RUN).count().next() for state in FAILED)
    return out


def latest_runs(q: LineageAnalysis, limit: int = 10) -> list[dict[str, Any]]:
    """The newest runs, failed (or aborted) ones first, each newest first."""
    rows = q.g.V().has_label(m.RUN).project("run_id", "pipeline_id", "state", "started_at", "ended_at",
                                             "last_seen", "error_message") \
        .by(__.values("run_id")).by(__.values("pipeline_id").fold()).by(__.values("state").fold()) \
        .by(__.values("started_at").fold()).by(__.values("ended_at").fold()).by(__.values("last_seen").fold()) \
        .by(__.values("error_message").fold()).to_list()
    runs = [{k: (v if k == "run_id" else _first(v)) for k, v in row.items()} for row in rows]
    when = lambda r: r["ended_at"] or r["last_seen"] or r["started_at"] or ""  # noqa: E731
    runs.sort(key=lambda r: r["run_id"])
    runs.sort(key=when, reverse=True)
    runs.sort(key=lambda r: r["state"] not in FAILED)
    return runs[:check_cap(limit, "limit")]


def recent_datasets(q: LineageAnalysis, limit: int = 10) -> list[dict[str, Any]]:
    """Datasets most recently written by a pipeline (the newest GENERATED_BY edge), newest first."""
    rows = q.g.V().has_label(m.DATASET).where(__.out_e(m.GENERATED_BY)) \
        .project("id", "layer", "version", "writes") \
        .by(__.values("dataset_id")).by(__.values("layer").fold()).by(__.values("version").fold()) \
        .by(__.out_e(m.GENERATED_BY).project("at", "by").by(__.values("last_seen")).by(__.in_v().values("pipeline_id"))
            .fold()).to_list()
    out = []
    for row in rows:
        latest = max(row["writes"], key=lambda w: (w["at"], w["by"]))
        out.append({"id": row["id"], "label": m.DATASET, "layer": _first(row["layer"]) or None,
                    "version": _first(row["version"]), "changed_at": latest["at"], "written_by": latest["by"]})
    out.sort(key=lambda d: d["id"])
    out.sort(key=lambda d: d["changed_at"], reverse=True)
    return out[:check_cap(limit, "limit")]


def model_verdicts(q: LineageAnalysis, limit: int = 10) -> list[dict[str, Any]]:
    """The newest model versions with their reproducibility verdict, newest first."""
    rows = q.g.V().has_label(m.MODEL).project("id", "name", "version", "last_seen") \
        .by(__.values("model_id")).by(__.values("model_name").fold()).by(__.values("version").fold()) \
        .by(__.values("last_seen").fold()).to_list()
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
