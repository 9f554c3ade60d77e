"""Which components are alive: each instance is ``live``, ``late`` or ``gone``.

A component is a pipeline in the ``components`` namespace; each of its
instances is a run whose ``last_seen`` is its newest heartbeat. An instance
that has not reported for 2 reporting periods is late; after
``LINEAGE_COMPONENT_GONE_INTERVALS`` periods, or once it said COMPLETED or
TERMINATED, it is gone. A component takes the best state of its instances.
The clock is a parameter, so the verdict can be asked "as of" any time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .. import _model as m
from ..graph.interface import IN, OUT, Graph, node_key
from .messages import COMPONENT_NAMESPACE, STATUS_OF_STATE

LIVE, LATE, GONE = "live", "late", "gone"
STATES = (LIVE, LATE, GONE)
LATE_AFTER = 2
DEFAULT_PERIOD = 15
_FINISHED = ("COMPLETE", "ABORT", "FAIL")


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def instance_state(run: dict[str, Any], now: datetime, gone_intervals: int) -> str:
    if run.get("state") in _FINISHED:
        return GONE
    last = _time(run.get("last_seen"))
    period = int(run.get("reporting_period") or DEFAULT_PERIOD)
    age = (now - last).total_seconds() if last else float("inf")
    if age <= LATE_AFTER * period:
        return LIVE
    return LATE if age <= gone_intervals * period else GONE


def components(graph: Graph, now: datetime | None = None, gone_intervals: int = 10) -> list[dict[str, Any]]:
    """Every component with its instances, state, last status and the datasets it reads and writes."""
    now = now or datetime.now(timezone.utc)
    pipelines = {vid: info for vid, info in graph.records(m.PIPELINE, "namespace", [COMPONENT_NAMESPACE]).items()
                 if info.get("component_type")}
    vids = list(pipelines)
    runs_of: dict[Any, list[Any]] = {vid: [] for vid in vids}
    for vid, run in graph.neighbors(vids, IN, [m.RUN_OF]):
        runs_of[vid].append(run)
    runs = graph.describe(r for rs in runs_of.values() for r in rs)
    reads: dict[Any, set[str]] = {vid: set() for vid in vids}
    writes: dict[Any, set[str]] = {vid: set() for vid in vids}
    for vid, dataset in graph.neighbor_values(vids, OUT, [m.CONSUMES], "dataset_id"):
        reads[vid].add(dataset)
    for vid, dataset in graph.neighbor_values(vids, IN, [m.GENERATED_BY], "dataset_id"):
        writes[vid].add(dataset)
    result = []
    for vid, pipeline in pipelines.items():
        instances = []
        for run in sorted((runs[r] for r in runs_of[vid] if r in runs), key=node_key):
            instances.append({
                "instance_id": run.get("instance_id") or run["run_id"], "run_id": run["run_id"],
                "state": instance_state(run, now, gone_intervals),
                "status": STATUS_OF_STATE.get(run.get("state") or "", "RUNNING"),
                "last_seen": run.get("last_seen"), "started_at": run.get("started_at") or run.get("first_seen"),
                "ended_at": run.get("ended_at"),
                "reporting_period": int(run.get("reporting_period") or DEFAULT_PERIOD),
                "principal": run.get("principal")})
        instances.sort(key=lambda i: i["last_seen"] or "", reverse=True)
        states = {i["state"] for i in instances}
        state = next((s for s in STATES if s in states), GONE)
        result.append({
            "id": pipeline.get("name"), "pipeline_id": pipeline["pipeline_id"],
            "name": pipeline.get("component_name") or pipeline.get("name"),
            "component_type": pipeline["component_type"], "state": state,
            "status": instances[0]["status"] if instances else None,
            "last_seen": instances[0]["last_seen"] if instances else pipeline.get("last_seen"),
            "reads": sorted(reads[vid]), "writes": sorted(writes[vid]),
            "instances": instances})
    result.sort(key=lambda c: (STATES.index(c["state"]), c["id"] or ""))
    return result


def counts(items: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Components and instances per state (every state present, zero when none)."""
    comp = {s: 0 for s in STATES}
    inst = {s: 0 for s in STATES}
    for c in items:
        comp[c["state"]] += 1
        for i in c["instances"]:
            inst[i["state"]] += 1
    return {"components": comp, "instances": inst}
