"""Root cause: the first step where a good and a bad run parted ways.

Given two runs of the same pipeline (good and bad), or a dataset version that
is wrong (its producing run is the bad one; the good one is the run that wrote
``good_version``, else the latest earlier run of the same pipeline that wrote
something else), the steps of both are paired in the order they ran and
walked:

* outputs equal: the step is not to blame, go on;
* outputs differ while the inputs matched: **this step** is the cause. Its
  code version changed (old and new hashes and the source diff, from the
  function store), or its parameters did, or neither (non-deterministic);
* outputs differ and an input already differed: when a step of the same run
  wrote that input it was found earlier; otherwise continue upstream with the
  runs that wrote the two versions of that input, down to the step where the
  data entered (no recorded writer: the input itself changed).
"""

from __future__ import annotations

import difflib
from typing import Any

from .._errors import InvalidArgument, NotFound
from . import records
from .functions import FunctionStore

MAX_HOPS = 50


def _fps(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(i.get("datasetId", ""), i.get("fingerprint") or i.get("version")) for i in items]


def _pair(good: list[dict[str, Any]], bad: list[dict[str, Any]]) -> list[tuple[dict | None, dict]]:
    """Bad steps with the good step of the same pipeline and occurrence."""
    seen: dict[str, int] = {}
    by_pipeline: dict[str, list[dict[str, Any]]] = {}
    for g in good:
        by_pipeline.setdefault(str(g.get("pipeline_id")), []).append(g)
    out = []
    for b in bad:
        pid = str(b.get("pipeline_id"))
        n = seen.get(pid, 0)
        seen[pid] = n + 1
        candidates = by_pipeline.get(pid, [])
        out.append((candidates[n] if n < len(candidates) else None, b))
    return out


def source_diff(functions: FunctionStore | None, old: str | None, new: str | None) -> str | None:
    """A unified diff of two stored versions (the function and its project-local callees)."""
    if functions is None or not old or not new or old not in functions or new not in functions:
        return None

    def text(version: str) -> list[str]:
        entry = functions.get(version)
        parts = [entry.source or ""] + [c["source"] for _, c in sorted(entry.callees.items())]
        return "\n".join(parts).splitlines(keepends=True)
    return "".join(difflib.unified_diff(text(old), text(new), fromfile=old, tofile=new))


def _step_summary(good: dict[str, Any] | None, bad: dict[str, Any], inputs_matched: bool,
                  outputs_matched: bool) -> dict[str, Any]:
    return {"pipelineId": bad.get("pipeline_id"), "goodRunId": good.get("run_id") if good else None,
            "badRunId": bad.get("run_id"), "inputsMatched": inputs_matched, "outputsMatched": outputs_matched}


class RootCause:
    def __init__(self, source: Any, functions: FunctionStore | None = None) -> None:
        self.q = records.analysis(source)
        self.functions = functions

    def between(self, good_run: str, bad_run: str) -> dict[str, Any]:
        path: list[dict[str, Any]] = []
        return self._walk(good_run, bad_run, path, 0)

    def of_dataset(self, dataset_id: str, bad_version: str, good_version: str | None = None) -> dict[str, Any]:
        bad = records.producers(self.q, dataset_id, bad_version)
        if not bad:
            raise NotFound(f"no recorded run wrote {dataset_id} at version {bad_version}; "
                           "give the fingerprint or version a run recorded for it")
        bad_run = bad[-1]
        if good_version is not None:
            good = records.producers(self.q, dataset_id, good_version)
            if not good:
                raise NotFound(f"no recorded run wrote {dataset_id} at version {good_version}")
            good_run = good[-1]
        else:
            earlier = [r for r in records.producers(self.q, dataset_id)
                       if r.get("pipeline_id") == bad_run.get("pipeline_id")
                       and (r.get("started_at") or "") < (bad_run.get("started_at") or "")
                       and bad_version not in [v for d, v in _fps(r["outputs"]) if d == _id(self.q, dataset_id)]]
            if not earlier:
                raise NotFound(f"no earlier run of {bad_run.get('pipeline_id')} wrote another version of "
                               f"{dataset_id} to compare with; give good_version")
            good_run = earlier[-1]
        return self.between(good_run["run_id"], bad_run["run_id"])

    def _walk(self, good_run: str, bad_run: str, path: list[dict[str, Any]], hops: int) -> dict[str, Any]:
        if hops > MAX_HOPS:
            raise InvalidArgument(f"root cause stopped after {MAX_HOPS} runs upstream; the graph may have a cycle")
        good_steps = records.steps(self.q, good_run)
        bad_steps = records.steps(self.q, bad_run)
        written_here = {fp for s in bad_steps for _, fp in _fps(s["outputs"])}
        for good, bad in _pair(good_steps, bad_steps):
            if good is None:
                path.append(_step_summary(None, bad, False, False))
                return self._verdict("new_step", None, bad, path,
                                     f"{bad.get('pipeline_id')} ran only in the bad run")
            g_in, b_in = _fps(good["inputs"]), _fps(bad["inputs"])
            outputs_matched = _fps(good["outputs"]) == _fps(bad["outputs"])
            inputs_matched = g_in == b_in
            path.append(_step_summary(good, bad, inputs_matched, outputs_matched))
            if outputs_matched:
                continue
            if inputs_matched:
                return self._changed_step(good, bad, path)
            differing = [(g, b) for g, b in zip(g_in, b_in) if g != b] or [(None, b) for b in b_in]
            outside = [(g, b) for g, b in differing if b[1] not in written_here]
            if not outside:
                continue  # an earlier step of this run wrote it; that step was already compared
            for g, b in outside:
                bad_writer = records.producers(self.q, b[0], b[1]) if b[1] else []
                good_writer = records.producers(self.q, g[0], g[1]) if g and g[1] else []
                if bad_writer and good_writer and bad_writer[-1]["run_id"] != bad_run:
                    return self._walk(good_writer[-1]["run_id"], bad_writer[-1]["run_id"], path, hops + 1)
            changed = [{"datasetId": b[0], "good": g[1] if g else None, "bad": b[1]} for g, b in outside]
            result = self._verdict("input_changed", good, bad, path,
                                   "the data entered with different content and no recorded run wrote both "
                                   "versions: " + ", ".join(c["datasetId"] for c in changed))
            result["changedInputs"] = changed
            return result
        return self._verdict("no_difference", None, bad_steps[-1], path, "every step wrote the same outputs")

    def _changed_step(self, good: dict[str, Any], bad: dict[str, Any], path: list[dict[str, Any]]) -> dict[str, Any]:
        old, new = good.get("code_version"), bad.get("code_version")
        p_old, p_new = good.get("parameters") or {}, bad.get("parameters") or {}
        params = {k: {"good": p_old.get(k), "bad": p_new.get(k)} for k in sorted(set(p_old) | set(p_new))
                  if p_old.get(k) != p_new.get(k)}
        if old != new:
            kind, why = "code_change", f"{bad.get('pipeline_id')} ran different code on the same inputs"
        elif params:
            kind, why = "parameter_change", f"{bad.get('pipeline_id')} ran with other parameters on the same inputs"
        else:
            kind, why = "nondeterministic", (f"{bad.get('pipeline_id')} wrote different outputs from the same "
                                             "code, parameters and inputs")
        result = self._verdict(kind, good, bad, path, why)
        result["parameterChanges"] = params
        result["sourceDiff"] = source_diff(self.functions, old, new) if old != new else None
        return result

    def _verdict(self, kind: str, good: dict[str, Any] | None, bad: dict[str, Any], path: list[dict[str, Any]],
                 why: str) -> dict[str, Any]:
        function_id = bad.get("pipeline_id")
        version = bad.get("code_version")
        if self.functions is not None and version and version in self.functions:
            function_id = self.functions.get(version).function_id
        return {"verdict": kind, "explanation": why, "pipelineId": bad.get("pipeline_id"), "functionId": function_id,
                "goodRunId": good.get("run_id") if good else None, "badRunId": bad.get("run_id"),
                "oldVersion": good.get("code_version") if good else None, "newVersion": version,
                "parameterChanges": {}, "sourceDiff": None, "changedInputs": [], "path": path}


def _id(q: Any, dataset_id: str) -> str:
    return q.resolve(dataset_id).key
