"""Around a node rather than along its lineage: the data-quality checks of an
artifact with their results, and the parent and children of a pipeline or run."""

from __future__ import annotations

import json
from typing import Any

from . import _model as m
from ._ids import NodeKey
from ._queries import LineageQueries, check_cap, node_dict
from .graph.interface import IN, OUT


def _result(run: dict[str, Any]) -> dict[str, Any]:
    """One run of a check as a result: pass/fail, when, and the assertions it made."""
    try:
        assertions = json.loads(run["assertions"]) if run.get("assertions") else []
    except ValueError:
        assertions = []
    return {"run_id": run["id"], "result": run.get("result"), "state": run.get("state"),
            "time": run.get("ended_at") or run.get("started_at") or run.get("last_seen"),
            "error_message": run.get("error_message"), "assertions": assertions}



class RelatedQueries(LineageQueries):
    """Checks, parents and children (see the module doc)."""

    def family(self, node_id: str | NodeKey, label: str | None = None) -> dict[str, Any]:
        """A pipeline's or run's parent (None when it has none) and children (by id); a
        child pipeline carries its newest run's ``latest_state``."""
        found = self.resolve(node_id, label)
        if found.label not in (m.PIPELINE, m.RUN):
            return {"parent": None, "children": []}
        parents = sorted({t for _, t in self.graph.neighbors([found.vid], OUT, [m.CHILD_OF])}, key=str)
        children = sorted({t for _, t in self.graph.neighbors([found.vid], IN, [m.CHILD_OF])}, key=str)
        runs: dict[Any, list[Any]] = {}
        if found.label == m.PIPELINE:
            for hop in self.graph.hops(children, IN, [m.RUN_OF]):
                runs.setdefault(hop.source, []).append(hop.target)
        info = self.graph.describe([*parents, *children, *(r for rs in runs.values() for r in rs)])
        kids = []
        for vid in children:
            node = node_dict(vid, info[vid])
            if found.label == m.PIPELINE:
                newest = max((node_dict(r, info[r]) for r in runs.get(vid, [])), default=None,
                             key=lambda r: (r.get("started_at") or r.get("first_seen") or "", r["id"]))
                node["latest_state"] = newest.get("state") if newest else None
            kids.append(node)
        kids.sort(key=lambda n: n["id"])
        parent = min((node_dict(v, info[v]) for v in parents), key=lambda n: n["id"], default=None)
        return {"parent": parent, "children": kids}

    def checks(self, node_id: str | NodeKey, label: str | None = None, runs: int = 1) -> dict[str, Any]:
        """The data-quality checks of an artifact, each with its newest ``runs`` results
        (newest first), and the artifact's status: FAIL when any check's latest result
        failed; else WARN when every check has passed or warned (a failed assertion its
        producer marks with severity warn) and one warned; PASS when every check has
        passed; else None."""
        found = self.resolve(node_id, label)
        runs = check_cap(runs, "runs")
        checks = sorted({t for _, t in self.graph.neighbors([found.vid], IN, [m.CHECKS])}, key=str)
        of: dict[Any, list[Any]] = {}
        for hop in self.graph.hops(checks, IN, [m.RUN_OF]):
            of.setdefault(hop.source, []).append(hop.target)
        info = self.graph.describe([*checks, *(r for rs in of.values() for r in rs)])
        out = []
        for vid in checks:
            check = node_dict(vid, info[vid])
            results = [_result(node_dict(r, info[r])) for r in of.get(vid, [])]
            results.sort(key=lambda r: (r["time"] or "", r["run_id"]), reverse=True)
            check["results"] = results[:runs]
            check["latest"] = results[0] if results else None
            out.append(check)
        out.sort(key=lambda c: (c["id"],))
        latest = [c["latest"]["result"] for c in out if c["latest"]]
        settled = bool(out) and len(latest) == len(out) and all(r in ("PASS", "WARN") for r in latest)
        status = "FAIL" if "FAIL" in latest else ("WARN" if "WARN" in latest else "PASS") if settled else None
        return {"id": found.key, "label": found.label, "status": status, "checks": out}
