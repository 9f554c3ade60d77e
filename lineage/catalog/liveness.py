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

from gremlin_python.process.graph_traversal import __

from .. import _model as m
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


def _props(element_map: dict[Any, Any]) -> dict[str, Any]:
    out = {k: v for k, v in element_map.items() if isinstance(k, str)}
    out.pop("prop_times", None)
    return out


def instance_state(run: dict[str, Any], now: datetime, gone_intervals: int) -> str:
    if run.get("state") in _FINISHED:
        return GONE
    last = _time(run.get("last_seen"))
    period = int(run.get("reporting_period") or DEFAULT_PERIOD)
    age = (now - last).total_seconds() if last else float("inf")
    if age <= LATE_AFTER * period:
        return LIVE
    return LATE if age <= gone_intervals * period else GONE


def components(g: Any, now: datetime | None = None, gone_intervals: int = 10) -> list[dict[str, Any]]:
    """Every component with its instances, state, last status and the datasets it reads and writes."""
    now = now or datetime.now(timezone.utc)
    rows = g.V().has("namespace", COMPONENT_NAMESPACE).has_label(m.PIPELINE).project(
        "p", "runs", "reads", "writes").by(__.element_map()).by(__.in_(m.RUN_OF).element_map().fold()) \
        .by(__.out(m.CONSUMES).values("dataset_id").fold()) \
        .by(__.in_(m.GENERATED_BY).values("dataset_id").fold()).to_list()
    result = []
    for row in rows:
        pipeline = _props(row["p"])
        if not pipeline.get("component_type"):
            continue
        instances = []
        for run in map(_props, row["runs"]):
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
            "reads": sorted(set(row["reads"])), "writes": sorted(set(row["writes"])),
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
