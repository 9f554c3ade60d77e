"""Provenance records: what happened to the data of a run that finished.

When a run reaches a terminal state (COMPLETE, FAIL or ABORT, or the FILTERED,
CANCELLED or SPLIT a producer reports in our ``provenance`` run facet) it
leaves one record per path its data took: for each data source it came from
and each sink it was written to, a record with the pipelines on that path in
order (the run's own pipeline last). A run that fans out to three sinks leaves
three records; each lists only the transforms on its own path.

* ``data_source`` and ``name``: the OpenLineage namespace and name of a root
  dataset upstream of the run's inputs, where the data entered the lineage
  (the namespace is the data source in OpenLineage terms; the name is the
  file or table). A run with no inputs has its outputs as their own sources.
* ``data_sink``: the id of an output of the run (empty when it wrote nothing,
  e.g. it failed before writing).
* ``transforms``: pipeline ids from the source to the sink.
* ``annotations``: the ``tags`` facets (run and job) of the run's events, only
  for the keys in ``LINEAGE_PROVENANCE_ANNOTATIONS``.

Records are built from the graph through the query layer after the events are
durable (:func:`build_records`), from what :class:`RunMemory` saw of the run.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from .. import _model as m
from .._errors import LineageError
from .._events import RUN_EVENT, Event
from .._translate import Translator
from ..graph.interface import IN, LINEAGE_EDGES, OUT

TERMINAL = ("COMPLETE", "FAIL", "ABORT")
REPORTED = ("FILTERED", "CANCELLED", "SPLIT")
FINAL_STATES = TERMINAL + REPORTED
MAX_PATH_DEPTH = 20      # lineage hops followed upstream of a run's inputs
MAX_SOURCES = 100        # records per sink at most (one per data source)
_MEMORY = 10_000         # runs whose events are remembered
_EVENTS_PER_RUN = 20     # events kept per run


@dataclass(frozen=True)
class ProvenanceRecord:
    run_id: str
    parent_run_id: str | None
    system_name: str
    data_source: str
    name: str
    transforms: tuple[str, ...]
    data_sink: str | None
    final_state: str
    created: int                     # epoch milliseconds, UTC
    completed: int
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def record_id(self) -> str:
        """Stable identity of the record: the same run, path and outcome give the same id."""
        key = "\x1f".join([self.run_id, self.system_name, self.data_source, self.name,
                           self.data_sink or "", self.final_state, str(self.completed)])
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def to_row(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "run_id": self.run_id, "parent_run_id": self.parent_run_id,
                "system_name": self.system_name, "data_source": self.data_source, "name": self.name,
                "transforms": list(self.transforms), "data_sink": self.data_sink,
                "final_state": self.final_state, "created": self.created, "completed": self.completed,
                "annotations": sorted(self.annotations.items()) or None}


@dataclass(frozen=True)
class Terminal:
    """A run that reached a terminal state, with what its events said of it."""

    run_id: str
    pipeline_id: str
    state: str
    completed: str                          # ISO time of the terminal event
    inputs: tuple[tuple[str, str], ...]     # (vertex label, identity) as the translator names them
    outputs: tuple[tuple[str, str], ...]
    parent_run_id: str | None
    annotations: Mapping[str, str]
    started: str | None = None              # ISO time of the run's START event, when this process saw it
    volume: Mapping[str, int | None] = field(default_factory=dict)   # rows_in, rows_out, bytes_in, bytes_out


def to_ms(iso: str | None) -> int | None:
    if not iso:
        return None
    text = iso[:-1] + "+00:00" if iso.endswith("Z") else iso
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


def _tags(facets: Mapping[str, Any]) -> dict[str, str]:
    facet = facets.get("tags")
    out: dict[str, str] = {}
    if isinstance(facet, dict) and isinstance(facet.get("tags"), list):
        for tag in facet["tags"]:
            if isinstance(tag, dict) and isinstance(tag.get("key"), str) and tag.get("value") is not None:
                out[tag["key"]] = str(tag["value"])
    return out


def _final_state(event: Event) -> str | None:
    if event.event_type not in TERMINAL:
        return None
    facet = event.run_facets.get("provenance")
    reported = facet.get("finalState") if isinstance(facet, dict) else None
    if isinstance(reported, str) and reported.upper() in REPORTED:
        return reported.upper()
    return event.event_type


class RunMemory:
    """The events this process saw of recent runs, so a terminal event that repeats
    none of the run's datasets, tags or parent still yields full records.

    :meth:`see` is on the write path and only files the event; :meth:`summarize`
    (at flush time) reads what the events say through the translator."""

    def __init__(self, default_namespace: str, allowed: Iterable[str], size: int = _MEMORY) -> None:
        self.translator = Translator(default_namespace)
        self.allowed = frozenset(allowed)
        self.size = size
        self._runs: OrderedDict[str, list[Event]] = OrderedDict()

    def see(self, event: Event) -> list[Event] | None:
        """Remember a new RunEvent; return the run's events when this one ends it."""
        if event.kind != RUN_EVENT or not event.run_id:
            return None
        events = self._runs.pop(event.run_id, None) or []
        if len(events) >= _EVENTS_PER_RUN:   # a long stream of RUNNING events: keep the first and the latest
            del events[1]
        events.append(event)
        self._runs[event.run_id] = events
        while len(self._runs) > self.size:
            self._runs.popitem(last=False)
        return list(events) if _final_state(event) is not None else None

    def summarize(self, events: list[Event]) -> Terminal:
        """What a finished run's events say: its datasets (as the translator names them),
        pipeline, parent, allowed tags, start and volume; the last event is the terminal one."""
        run: dict[str, Any] = {"in": {}, "out": {}, "tags": {}, "parent": None, "start": None, "stats": {}}
        pipeline_id = ""
        for event in events:
            for edge in self.translator.translate(event).edges:
                pipeline_id = edge.pipeline_id
                if edge.label == m.CONSUMES:
                    run["in"][edge.in_] = True
                elif edge.label == m.GENERATED_BY:
                    run["out"][edge.out] = True
                elif edge.label == m.PRODUCES:
                    run["out"][edge.in_] = True
            if event.event_type == "START" and (run["start"] is None or event.event_time < run["start"]):
                run["start"] = event.event_time
            for side, refs, facet in (("in", event.inputs, "inputStatistics"),
                                      ("out", event.outputs, "outputStatistics")):
                for ref in refs:
                    stats = ref.io_facets.get(facet)
                    if isinstance(stats, dict):
                        run["stats"][(side, ref.namespace, ref.name)] = (_int(stats.get("rowCount")),
                                                                         _int(stats.get("size")))
            run["tags"].update(_tags(event.job_facets))
            run["tags"].update(_tags(event.run_facets))
            parent = event.run_facets.get("parent")
            if isinstance(parent, dict) and isinstance(parent.get("run"), dict) and parent["run"].get("runId"):
                run["parent"] = str(parent["run"]["runId"]).lower()
        last = events[-1]
        return Terminal(last.run_id or "", pipeline_id, _final_state(last) or str(last.event_type), last.event_time,
                        tuple(run["in"]), tuple(run["out"]), run["parent"],
                        {k: v for k, v in run["tags"].items() if k in self.allowed}, run["start"],
                        _volume(run["stats"]))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else None


def _volume(stats: Mapping[tuple[str, str, str], tuple[int | None, int | None]]) -> dict[str, int | None]:
    """Rows and bytes read and written, summed over datasets (None when no dataset said)."""
    out: dict[str, int | None] = {"rows_in": None, "rows_out": None, "bytes_in": None, "bytes_out": None}
    for (side, _, _), (rows, size) in stats.items():
        for key, value in ((f"rows_{side}", rows), (f"bytes_{side}", size)):
            if value is not None:
                out[key] = (out[key] or 0) + value
    return out


# -- building records from the graph ------------------------------------------------


def _vid(q: Any, label: str, key: str) -> Any | None:
    try:
        return q.resolve(key, label).vid
    except LineageError:
        try:   # an untyped input may have become a Feature of the same name
            return q.resolve(key).vid
        except LineageError:
            return None


def _upstream(q: Any, starts: list[Any], known: dict[Any, list[tuple[Any, str]]] | None = None
              ) -> list[tuple[Any, Any, str]]:
    """Lineage edges (child, parent, pipeline id) upstream of ``starts``. ``known`` caches
    each vertex's own upstream edges (read once, one level at a time, for all that lack them)."""
    known = {} if known is None else known
    edges: list[tuple[Any, Any, str]] = []
    seen = set(starts)
    frontier = list(starts)
    for _ in range(MAX_PATH_DEPTH):
        missing = [v for v in frontier if v not in known]
        for v in missing:
            known[v] = []
        for hop in q.graph.hops(missing, OUT, LINEAGE_EDGES):
            known[hop.source].append((hop.target, hop.props.get("pipeline_id") or ""))
        nxt = []
        for child in frontier:
            for parent, pipeline in known.get(child, ()):
                edges.append((child, parent, pipeline))
                if parent not in seen:
                    seen.add(parent)
                    nxt.append(parent)
        if not nxt:
            break
        frontier = nxt
    return edges


def _paths(edges: list[tuple[Any, Any, str]], starts: list[Any]) -> dict[Any, list[str]]:
    """For each root upstream of ``starts``: the pipelines on its paths to them, source first."""
    parents: dict[Any, list[tuple[Any, str]]] = {}
    children: dict[Any, list[Any]] = {}
    for child, parent, pipeline in edges:
        if child == parent:
            continue
        parents.setdefault(child, []).append((parent, pipeline))
        children.setdefault(parent, []).append(child)
    nodes = set(starts) | set(parents) | set(children)
    roots = sorted((n for n in nodes if not parents.get(n)), key=str)[:MAX_SOURCES]
    up: set[Any] = set()                          # everything upstream of the starts (inclusive)
    stack = list(starts)
    while stack:
        node = stack.pop()
        if node not in up:
            up.add(node)
            stack.extend(p for p, _ in parents.get(node, ()))
    out: dict[Any, list[str]] = {}
    for root in roots:
        depth: dict[Any, int] = {root: 0}        # longest distance from the root, within the path
        order = [root]
        for node in order:
            for child in children.get(node, ()):
                if child in up and depth.get(child, -1) < depth[node] + 1 and depth[node] < len(up):
                    depth[child] = depth[node] + 1
                    order.append(child)
        steps = sorted((depth[child], pipeline) for child in depth for parent, pipeline in parents.get(child, ())
                       if parent in depth and pipeline)
        out[root] = list(dict.fromkeys(p for _, p in steps))
    return out


class FlushCache:
    """What one flush reads once: vertex ids and the upstream paths of a set of inputs
    (runs of one job share them)."""

    def __init__(self) -> None:
        self.vids: dict[tuple[str, str], Any] = {}
        self.paths: dict[tuple[Any, ...], dict[Any, list[str]]] = {}
        self.info: dict[Any, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.edges: dict[Any, list[tuple[Any, str]]] = {}      # vertex -> its upstream (parent, pipeline)

    def load_runs(self, q: Any, run_ids: list[str]) -> None:
        """Read the Run vertices of ``run_ids`` (their properties, by run id)."""
        wanted = sorted(set(run_ids) - set(self.runs))
        found = q.graph.lookup(m.RUN, wanted) if wanted else {}
        for props in q.graph.describe(found.values()).values():
            self.runs[str(props.get("run_id"))] = props

    def vid(self, q: Any, label: str, key: str) -> Any | None:
        if (label, key) not in self.vids:
            self.vids[(label, key)] = _vid(q, label, key)
        return self.vids[(label, key)]

    def upstream_paths(self, q: Any, inputs: list[Any]) -> dict[Any, list[str]]:
        key = tuple(sorted(inputs, key=str))
        if key not in self.paths:
            self.paths[key] = _paths(_upstream(q, inputs, self.edges), inputs)
        return self.paths[key]

    def describe(self, q: Any, ids: list[Any]) -> dict[Any, dict[str, Any]]:
        missing = [v for v in ids if v not in self.info]
        if missing:
            self.info.update(q.graph.describe(missing))
        return {v: self.info[v] for v in ids if v in self.info}


def build_records(q: Any, t: Terminal, system_name: str, cache: FlushCache | None = None) -> list[ProvenanceRecord]:
    """The records of one finished run, read through the query layer ``q`` (a LineageAnalysis)."""
    cache = cache or FlushCache()
    if t.run_id not in cache.runs:
        cache.load_runs(q, [t.run_id])
    run = cache.runs.get(t.run_id, {})
    pipeline = t.pipeline_id or run.get("pipeline_id") or ""
    created = to_ms(run.get("started_at") or run.get("first_seen") or t.completed)
    completed = to_ms(t.completed)
    inputs = [v for v in (cache.vid(q, label, key) for label, key in t.inputs) if v is not None]
    outputs = [v for v in (cache.vid(q, label, key) for label, key in t.outputs) if v is not None]
    if not inputs and not outputs and pipeline:
        pipe = cache.vid(q, m.PIPELINE, pipeline)
        if pipe is not None:     # the run's events named no datasets: the pipeline's do
            inputs = [v for _, v in q.graph.neighbors([pipe], OUT, [m.CONSUMES])]
            outputs = [v for _, v in q.graph.neighbors([pipe], IN, [m.GENERATED_BY])
                       + q.graph.neighbors([pipe], OUT, [m.PRODUCES])]
    paths = cache.upstream_paths(q, inputs) if inputs else {o: [] for o in outputs}
    info = cache.describe(q, list({*paths, *outputs}))
    ident = {v: str(i.get(m.IDENTITY.get(i["label"], ""), v)) for v, i in info.items()}

    def record(source: Any, sink: Any, transforms: list[str]) -> ProvenanceRecord:
        src = info.get(source, {}) if source is not None else {}
        steps = [p for p in transforms if p != pipeline] + ([pipeline] if pipeline else [])
        return ProvenanceRecord(
            run_id=t.run_id, parent_run_id=t.parent_run_id or run.get("parent_run_id"), system_name=system_name,
            data_source=str(src.get("namespace") or ""), name=str(src.get("name") or ident.get(source, "")),
            transforms=tuple(steps), data_sink=ident.get(sink) if sink is not None else None,
            final_state=t.state, created=min(created, completed), completed=completed,
            annotations=dict(t.annotations))

    if not inputs:
        return [record(o, o, []) for o in outputs] or [record(None, None, [])]
    return [record(source, sink, transforms) for source, transforms in paths.items()
            for sink in (outputs or [None])]
