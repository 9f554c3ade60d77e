"""Recorded runs as replay reads them: a run, its steps, the runs of a range, the
run that produced a dataset version. All of it is read from the graph (Run
vertices and their ``inputs`` / ``outputs`` / ``parameters``), on either backend."""

from __future__ import annotations

from typing import Any, Iterable

from .. import _model as m
from .._analysis import LineageAnalysis
from .._errors import InvalidArgument
from .._runs import decode_run
from ..graph.interface import IN, OUT


def analysis(source: Any) -> LineageAnalysis:
    """The query layer of a LineageStore, a JanusGraphClient or a LineageAnalysis."""
    if isinstance(source, LineageAnalysis):
        return source
    if hasattr(source, "queries"):
        return source.queries
    if hasattr(source, "graph") and hasattr(source, "settings"):   # a LineageStore
        return LineageAnalysis(source.graph, source.settings.default_namespace)
    if hasattr(source, "graph") and hasattr(source, "default_namespace"):   # the query layer, wrapped (metrics)
        return source
    raise InvalidArgument("replay reads a LineageStore, a JanusGraphClient or a LineageAnalysis; "
                          f"got {type(source).__name__}")


def _decode(nodes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Described Run vertices as replay returns them, oldest first."""
    runs = []
    for node in nodes:
        run = decode_run({k: v for k, v in node.items() if k != "label"})
        run["id"] = run.get("run_id")
        runs.append(run)
    runs.sort(key=lambda r: (r.get("started_at") or r.get("first_seen") or "", r.get("run_id") or ""))
    return runs


def _runs(q: LineageAnalysis, pipelines: list[Any]) -> list[dict[str, Any]]:
    """The described runs ``RUN_OF`` each pipeline (one per edge)."""
    vids = [run for _, run in q.graph.neighbors(pipelines, IN, [m.RUN_OF])]
    info = q.graph.describe(vids)
    return [info[v] for v in vids if v in info]


def run(q: LineageAnalysis, run_id: str) -> dict[str, Any]:
    node = q.node(run_id, m.RUN)
    out = decode_run(node)
    out["run_id"] = out.get("run_id") or node["id"]
    return out


def children(q: LineageAnalysis, run_id: str) -> list[dict[str, Any]]:
    return _decode(q.graph.records(m.RUN, "parent_run_id", [run_id]).values())


def runs_of(q: LineageAnalysis, pipeline_id: str) -> list[dict[str, Any]]:
    """Every run of a pipeline, oldest first."""
    found = q.resolve(pipeline_id, m.PIPELINE)
    return _decode(_runs(q, [found.vid]))


def steps(q: LineageAnalysis, run_id: str) -> list[dict[str, Any]]:
    """The steps of a run: the runs nested in it (recursively), in the order they started;
    a run with none is its own one step."""
    out: list[dict[str, Any]] = []
    for child in children(q, run_id):
        nested = children(q, child["run_id"])
        out.extend(steps(q, child["run_id"]) if nested else [child])
    return out or [run(q, run_id)]


def span(q: LineageAnalysis, start: str, to: str | None) -> list[dict[str, Any]]:
    """The runs to replay: ``start`` alone, or every run of its pipeline from ``start`` to ``to``."""
    first = run(q, start)
    if to is None:
        return [first]
    last = run(q, to)
    if first.get("pipeline_id") != last.get("pipeline_id"):
        raise InvalidArgument(f"--to must be a later run or checkpoint of {first.get('pipeline_id')}; "
                              f"{to} is a run of {last.get('pipeline_id')}")
    ordered = runs_of(q, first["pipeline_id"])
    ids = [r["run_id"] for r in ordered]
    i, j = ids.index(first["run_id"]), ids.index(last["run_id"])
    if j < i:
        raise InvalidArgument(f"--to {to} started before {start}; give the earlier one first")
    return ordered[i:j + 1]


def producers(q: LineageAnalysis, dataset_id: str, fingerprint: str | None = None) -> list[dict[str, Any]]:
    """Runs that wrote ``dataset_id`` (with that fingerprint or version, when given), oldest first."""
    found = q.resolve(dataset_id)
    writers = [pipeline for _, pipeline in q.graph.neighbors([found.vid], OUT, [m.GENERATED_BY])]
    out = []
    unique = {r["run_id"]: r for r in _decode(_runs(q, writers))}
    for r in sorted(unique.values(), key=lambda r: (r.get("started_at") or r.get("first_seen") or "", r["run_id"])):
        for o in r["outputs"]:
            if o.get("datasetId") == found.key and (fingerprint is None or fingerprint in
                                                    (o.get("fingerprint"), o.get("version"))):
                out.append(r)
                break
    return out

