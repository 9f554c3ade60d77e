"""What-if: replay a run with an alternate function or parameters, and say which
outputs change and what downstream would be affected (impact analysis of a
``data`` change to each changed output)."""

from __future__ import annotations

from typing import Any

from .._errors import NotFound
from .engine import DIVERGED, Replayer


def what_if(replayer: Replayer, run_id: str, *, function: Any = None, version: str | None = None,
            step: str | None = None, params: dict[str, Any] | None = None, to: str | None = None,
            depth: int = 10) -> dict[str, Any]:
    """The replay (changes flow downstream), the changed outputs, and the union of the
    impact of each: datasets, models, features and pipelines with their distance."""
    report = replayer.replay(run_id, to=to, function=function, version=version, step=step, params=params,
                             propagate=True)
    changed = [dict(o.to_dict(), step=s.index, pipelineId=s.pipeline_id)
               for s in report.steps if s.status == DIVERGED for o in s.outputs if not o.reproduced]
    affected: dict[str, dict[str, dict[str, Any]]] = {"datasets": {}, "models": {}, "features": {}, "pipelines": {}}
    for out in changed:
        try:
            impact = replayer.q.impact(out["datasetId"], "data", depth)
        except NotFound:
            continue
        for group in affected:
            for node in impact[group]:
                known = affected[group].get(node["id"])
                if known is None or known["distance"] > node["distance"]:
                    affected[group][node["id"]] = {"id": node["id"], "distance": node["distance"],
                                                   "path": node.get("path", []), "via": out["datasetId"]}
    changed_ids = {o["datasetId"] for o in changed}
    result = {group: sorted((n for n in nodes.values() if n["id"] not in changed_ids),
                            key=lambda n: (n["distance"], n["id"])) for group, nodes in affected.items()}
    return {"runId": run_id, "replay": report.to_dict(), "changedOutputs": changed,
            "affected": result, "totalAffected": sum(len(v) for v in result.values())}
