"""``LineageQueryEngine``: the tracker's analytics over the lineage graph and the
operations Parquet.

* :meth:`find_data_sources`: where data enters (datasets nothing is derived
  into), by type (the namespace's scheme: ``s3``, ``postgres``, ...);
* :meth:`get_data_lineage`, :meth:`trace_data_flow`: a node's lineage; the
  paths from one node to another with the pipelines on each hop;
* :meth:`analyze_data_volume_flow`: rows and bytes in and out per pipeline,
  from the ``inputStatistics`` / ``outputStatistics`` facets of finished runs;
* :meth:`find_stale_data`: datasets not written within their usual interval
  (the median gap between their writers' completed runs), or a fixed threshold;
* :meth:`get_operation_performance_stats`: runs, p50 / p95 / mean duration and
  failure rate per pipeline, and the slowest runs.

The graph is read through the query layer (a :class:`~lineage.LineageAnalysis`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from statistics import median
from typing import Any, Callable

from .. import _model as m
from .._errors import InvalidArgument
from ..graph.interface import LINEAGE_EDGES, OUT

FAILED = ("FAIL", "ABORT")
FINISHED = ("COMPLETE", "FAIL", "ABORT")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def percentile(values: list[float], p: float) -> float | None:
    """The ``p``-th percentile (0-100) with linear interpolation between ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def kind_of_source(namespace: str | None, dataset_type: str | None = None) -> str:
    """``s3`` for ``s3://bucket``, ``postgres`` for ``postgres://host``; else the dataset type or 'dataset'."""
    if namespace and "://" in namespace:
        return namespace.split("://", 1)[0].lower()
    return (dataset_type or "dataset").lower()


def all_runs(q: Any) -> list[dict[str, Any]]:
    """Every Run vertex's properties, by run id."""
    return [{k: v for k, v in run.items() if k != "label"} for run in q.graph.records(m.RUN).values()]


def run_duration_ms(run: dict[str, Any]) -> float | None:
    start, end = parse_time(run.get("started_at")), parse_time(run.get("ended_at"))
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds() * 1000)


class LineageQueryEngine:
    def __init__(self, analysis: Any, repository: Any = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.q = analysis
        self.repository = repository
        self.clock = clock

    # -- the graph -------------------------------------------------------------

    def find_data_sources(self, source_type: str | None = None) -> list[dict[str, Any]]:
        """Datasets where data enters the lineage (no dataset or feature is their input), with
        their ``source_type``; only those of ``source_type`` when given."""
        datasets = self.q.graph.records(m.DATASET)
        derived = {vid for vid, _ in self.q.graph.neighbors(list(datasets), OUT, LINEAGE_EDGES)}
        wanted = source_type.lower() if source_type else None
        out = []
        for vid, row in datasets.items():
            if vid in derived:
                continue
            namespace = row.get("namespace")
            kind = kind_of_source(namespace, row.get("dataset_type"))
            if wanted is None or kind == wanted:
                out.append({"dataset_id": row["dataset_id"], "namespace": namespace,
                            "name": row.get("name"), "source_type": kind})
        return sorted(out, key=lambda r: r["dataset_id"])

    def get_data_lineage(self, node_id: str, max_depth: int = 5) -> dict[str, Any]:
        node = self.q.node(node_id)
        up = self.q.upstream(node["id"], max_depth, label=node["label"])
        down = self.q.downstream(node["id"], max_depth, label=node["label"])
        return {"node": node, "upstream": up, "downstream": down,
                "upstream_count": len(up), "downstream_count": len(down)}

    def trace_data_flow(self, source_id: str, target_id: str, max_depth: int = 10) -> dict[str, Any]:
        """Every lineage path from ``source_id`` down to ``target_id`` (shortest first), each
        hop with the pipelines that made the downstream artifact from the upstream one."""
        paths = self.q.paths(source_id, target_id, max_depth)
        nodes = {key: self.q.resolve(key) for path in paths for key in path}
        by_vid = {found.vid: key for key, found in nodes.items()}
        made: dict[tuple[str, str], list[str]] = {}
        for vid, _, to, pipeline in self.q.graph.hop_values([f.vid for f in nodes.values()], OUT, LINEAGE_EDGES,
                                                            "pipeline_id"):
            if to in by_vid and pipeline is not None:
                made.setdefault((by_vid[to], by_vid[vid]), []).append(pipeline)
        traced = [{"nodes": path, "steps": [{"from": a, "to": b, "pipelines": sorted(set(made.get((a, b), [])))}
                                            for a, b in zip(path, path[1:])]} for path in paths]
        return {"source": source_id, "target": target_id, "connected": bool(paths), "paths": traced}

    # -- operations ------------------------------------------------------------

    def analyze_data_volume_flow(self, hours_back: float | None = None) -> list[dict[str, Any]]:
        """Per pipeline: runs, and rows and bytes read and written (sums of what finished runs
        reported), with the rows out / rows in ratio."""
        if self.repository is None:
            raise InvalidArgument("volume flow reads the operations Parquet: set LINEAGE_PROVENANCE_ENABLED=true "
                                  "so finished runs are recorded under LINEAGE_PROVENANCE_DIR")
        since = None
        if hours_back is not None:
            since = int((self.clock() - timedelta(hours=hours_back)).timestamp() * 1000)
        totals: dict[str, dict[str, Any]] = {}
        for op in self.repository.operations(since_ms=since):
            row = totals.setdefault(op["pipeline_id"], {"pipeline_id": op["pipeline_id"], "runs": 0, "rows_in": None,
                                                        "rows_out": None, "bytes_in": None, "bytes_out": None})
            row["runs"] += 1
            for key in ("rows_in", "rows_out", "bytes_in", "bytes_out"):
                if op[key] is not None:
                    row[key] = (row[key] or 0) + op[key]
        for row in totals.values():
            row["row_ratio"] = round(row["rows_out"] / row["rows_in"], 4) if row["rows_in"] and \
                row["rows_out"] is not None else None
        return sorted(totals.values(), key=lambda r: r["pipeline_id"])

    # -- run history -----------------------------------------------------------

    def find_stale_data(self, hours_threshold: float | None = None, factor: float = 2.0,
                        min_updates: int = 3) -> list[dict[str, Any]]:
        """Datasets whose last write (a writer pipeline's completed run) is older than
        ``hours_threshold``, or, without one, older than ``factor`` times their usual interval
        (the median gap between writes; needs ``min_updates`` writes)."""
        if hours_threshold is not None and hours_threshold <= 0:
            raise InvalidArgument(f"hours_threshold must be positive; got {hours_threshold}")
        if factor <= 0:
            raise InvalidArgument(f"factor must be positive; got {factor}")
        done: dict[str, list[datetime]] = {}
        for run in all_runs(self.q):
            end = parse_time(run.get("ended_at"))
            if run.get("state") == "COMPLETE" and end is not None:
                done.setdefault(run.get("pipeline_id") or "", []).append(end)
        datasets = self.q.graph.records(m.DATASET)
        writers: dict[Any, list[str]] = {vid: [] for vid in datasets}
        for vid, pipeline in self.q.graph.neighbor_values(list(datasets), OUT, [m.GENERATED_BY], "pipeline_id"):
            writers[vid].append(pipeline)
        now = self.clock()
        stale = []
        for vid, dataset in datasets.items():
            writes = sorted({t for p in writers[vid] for t in done.get(p, [])})
            if not writes:
                continue
            since = (now - writes[-1]).total_seconds() / 3600
            gaps = [(b - a).total_seconds() / 3600 for a, b in zip(writes, writes[1:])]
            usual = median(gaps) if len(writes) >= min_updates else None
            limit = hours_threshold if hours_threshold is not None else (usual * factor if usual else None)
            if limit is not None and since > limit:
                stale.append({"dataset_id": dataset["dataset_id"], "last_updated": writes[-1].strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "hours_since_update": round(since, 2),
                              "usual_interval_hours": round(usual, 2) if usual is not None else None,
                              "writers": sorted(writers[vid])})
        return sorted(stale, key=lambda r: (-r["hours_since_update"], r["dataset_id"]))

    def get_operation_performance_stats(self, pipeline_id: str | None = None, slowest: int = 5) -> dict[str, Any]:
        """Per pipeline: runs, finished and failed runs, failure rate, and mean, p50 and p95
        duration (ms) of the finished runs with a start and an end; plus the slowest runs."""
        if pipeline_id is not None:
            pipeline_id = self.q.resolve(pipeline_id, m.PIPELINE).key
        per: dict[str, dict[str, Any]] = {}
        timed: list[tuple[float, dict[str, Any]]] = []
        for run in all_runs(self.q):
            pid = run.get("pipeline_id") or ""
            if pipeline_id is not None and pid != pipeline_id:
                continue
            row = per.setdefault(pid, {"pipeline_id": pid, "runs": 0, "finished": 0, "failed": 0, "_d": []})
            row["runs"] += 1
            if run.get("state") in FINISHED:
                row["finished"] += 1
                row["failed"] += run.get("state") in FAILED
                duration = run_duration_ms(run)
                if duration is not None:
                    row["_d"].append(duration)
                    timed.append((duration, run))
        out = []
        for row in per.values():
            durations = row.pop("_d")
            row["failure_rate"] = round(row["failed"] / row["finished"], 4) if row["finished"] else None
            row["avg_duration_ms"] = round(sum(durations) / len(durations), 1) if durations else None
            row["p50_duration_ms"] = percentile(durations, 50)
            row["p95_duration_ms"] = percentile(durations, 95)
            out.append(row)
        timed.sort(key=lambda item: (-item[0], item[1].get("run_id", "")))
        return {"pipelines": sorted(out, key=lambda r: r["pipeline_id"]),
                "slowest_runs": [{"run_id": r.get("run_id"), "pipeline_id": r.get("pipeline_id"), "state": r.get("state"),
                                  "duration_ms": d, "started_at": r.get("started_at")} for d, r in timed[:slowest]]}
