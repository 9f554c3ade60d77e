"""The one translator from OpenLineage events to graph assertions.

Every write path (HTTP events, ``lineage ingest``, the Python client, GraphQL
mutations) ends here. :func:`translate` is pure: it reads an :class:`Event`
and returns the vertices and edges the event asserts, with the event time so
the writer can merge them in any order (see :func:`lineage._model.merge_props`).

The mapping:

* the job is a ``Pipeline``; a RunEvent also makes a ``Run`` with ``RUN_OF``;
* an input is a ``Dataset`` (or a ``Model``/``Feature`` by its facets) that
  the pipeline ``CONSUMES``;
* an output ``Dataset`` is ``GENERATED_BY`` the pipeline; an output ``Model``
  (``datasetType`` MODEL or an ``mlModel`` facet) is ``GENERATED_BY`` the
  pipeline and ``TRAINED_ON`` each input; an output ``Feature``
  (``datasetType`` FEATURE or a ``featureView`` facet) is what the pipeline
  ``PRODUCES``;
* an output Dataset or Feature is ``DERIVED_FROM`` each input, so lineage
  between artifacts is one edge step (``DERIVED_FROM`` or ``TRAINED_ON``);
  a dataset that is both input and output (an update in place) is
  ``DERIVED_FROM`` itself;
* a data-quality check (``jobType`` TEST, a ``dataQualityAssertions`` input
  facet, or dbt's test naming) is a ``Check`` that ``CHECKS`` each input; its
  runs are ``RUN_OF`` the check with their result. A check asserts no
  lineage: its outputs (dbt's ``*_dbt_test__audit`` tables) become no
  datasets, only the check's ``failures_tables``. The SQL statements dbt-ol
  reports as children of a dbt test (``test.<project>.<test>.sql.N``) are part
  of that check: they stay in the event log and add nothing to the graph;
* a run with a ``parent`` facet is ``CHILD_OF`` its parent run and its job
  ``CHILD_OF`` the parent's job; both keep the parent's and the root's ids;
* column lineage (the ``columnLineage`` facet, or the job's SQL) becomes
  ``Field`` vertices and ``FIELD_DERIVED_FROM`` edges: see :mod:`lineage.columns.translate`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from . import _model as m
from ._events import DATASET_EVENT, RUN_EVENT, DatasetRef, Event
from ._ids import NodeKey, infer_layer, model_id
from ._checkfacets import assertions_of, facet_text as _text, facet_value as _get, is_check, is_check_statement
from ._sql import resolve_sql
from .limits.sqlparse import SqlParser
from .catalog import facets as catalog_facets
from .columns.translate import ColumnTranslator, with_note
from .versions import record as versions

_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^@/]*@")


@dataclass
class VertexAssert:
    label: str
    key: str
    props: dict[str, Any]
    time: str
    weak: frozenset[str] = frozenset()
    untyped: bool = False       # a dataset no facet typed: it may name a known Feature


@dataclass
class EdgeAssert:
    label: str
    out: tuple[str, str]          # (vertex label, identity value)
    in_: tuple[str, str]
    pipeline_id: str
    props: dict[str, Any]
    time: str


@dataclass
class Assertions:
    vertices: list[VertexAssert] = field(default_factory=list)
    edges: list[EdgeAssert] = field(default_factory=list)

    def extend(self, other: "Assertions") -> None:
        self.vertices.extend(other.vertices)
        self.edges.extend(other.edges)


def as_features(batch: Assertions, features: set[str]) -> Assertions:
    """``batch`` with the untyped datasets named in ``features`` written as the Feature
    views they are (only a Feature's keys kept), their edges moved with them."""
    keep = set(m.VERTEX_KEYS[m.FEATURE]) | set(m.COMMON_KEYS)
    out = Assertions()
    for a in batch.vertices:
        if a.label == m.DATASET and a.key in features:
            a = VertexAssert(m.FEATURE, a.key, {k: v for k, v in a.props.items() if k in keep}, a.time)
        out.vertices.append(a)
    for e in batch.edges:
        ends = [(m.FEATURE, key) if label == m.DATASET and key in features else (label, key)
                for label, key in (e.out, e.in_)]
        out.edges.append(EdgeAssert(e.label, ends[0], ends[1], e.pipeline_id, e.props, e.time))
    return out


def _hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _parameters(run_facets: Mapping[str, Any]) -> str | None:
    values = _get(run_facets, "parameters", "parameters")
    if not isinstance(values, dict):
        return None
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _facet_json(run_facets: Mapping[str, Any], key: str, required: str) -> str | None:
    """Our ``checkpoint`` or ``replay`` facet, without the OpenLineage bookkeeping, as JSON."""
    facet = run_facets.get(key)
    if not isinstance(facet, dict) or not isinstance(facet.get(required), str):
        return None
    kept = {k: v for k, v in facet.items() if not k.startswith("_")}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class _Node:
    label: str
    key: str
    version: str | None


class Translator:
    """Turns events into assertions; ``default_namespace`` drives the id rule.

    ``max_derived`` bounds the lineage edges (``DERIVED_FROM``, ``TRAINED_ON``)
    one event adds: an event with N inputs and M outputs asserts N x M of them,
    and 300 x 300 is 90,000 edges in one transaction. Past the bound, each
    output keeps its first ``max_derived // M`` inputs (at least one) in id
    order, the outputs past ``max_derived`` in id order keep none, and the run
    (the pipeline, for a JobEvent) records the rule applied and the full lists
    in ``lineage_truncated``. ``CONSUMES`` and ``GENERATED_BY`` are kept for
    every dataset, so the pipeline still links each input to each output.
    """

    def __init__(self, default_namespace: str, max_derived: int = 2_000,
                 sql_parser: SqlParser | None = None) -> None:
        self.default_namespace = default_namespace
        self.max_derived = max_derived
        self.sql_parser = sql_parser
        self.columns = ColumnTranslator(self.render, max_derived, sql_parser)

    def render(self, namespace: str, name: str) -> str:
        return NodeKey(namespace, name).render(self.default_namespace)

    # -- datasets, models and features ---------------------------------------

    def _dataset_node(self, ref: DatasetRef, time: str, out: Assertions) -> _Node:
        facets = ref.facets
        key = NodeKey(ref.namespace, ref.name)
        rendered = key.render(self.default_namespace)
        dtype = _text(_get(facets, "datasetType", "datasetType"))
        dtype = dtype.upper() if dtype else None
        version = _text(_get(facets, "version", "datasetVersion"))
        description = _text(_get(facets, "documentation", "description"))
        common = {"namespace": ref.namespace, "name": ref.name, "description": description,
                  "first_seen": time, "last_seen": time}
        if dtype == "MODEL" or isinstance(facets.get("mlModel"), dict):
            name = _text(_get(facets, "mlModel", "modelName")) or rendered
            version = _text(_get(facets, "mlModel", "version")) or version
            mid = model_id(name, version)
            out.vertices.append(VertexAssert(m.MODEL, mid, {
                "model_id": mid, "model_name": name, "version": version,
                "framework": _text(_get(facets, "mlModel", "framework")), **common}, time))
            return _Node(m.MODEL, mid, version)
        if dtype == "FEATURE" or isinstance(facets.get("featureView"), dict):
            names = _get(facets, "featureView", "featureNames")
            if not isinstance(names, list):
                names = [f.get("name") for f in (_get(facets, "schema", "fields") or []) if isinstance(f, dict)]
            out.vertices.append(VertexAssert(m.FEATURE, rendered, {
                "feature_view": rendered, "version": version,
                "feature_names": json.dumps([str(n) for n in names if n is not None]) if names else None,
                **common}, time))
            return _Node(m.FEATURE, rendered, version)
        explicit_layer = _text(_get(facets, "medallion", "layer"))
        fields = _get(facets, "schema", "fields")
        schema = None
        if isinstance(fields, list):
            schema = json.dumps([{"name": f.get("name"), "type": f.get("type")}
                                 for f in fields if isinstance(f, dict)], ensure_ascii=False)
        source = _text(_get(facets, "dataSource", "uri")) or _text(_get(facets, "dataSource", "name"))
        if source:
            source = _USERINFO.sub(r"\1", source)
        props = {"dataset_id": rendered, "layer": explicit_layer or infer_layer(key), "version": version,
                 "dataset_type": dtype, "schema_fields": schema, "source": source, **common,
                 **catalog_facets.dataset_props(facets)}
        weak = frozenset() if explicit_layer else frozenset({"layer"})
        out.vertices.append(VertexAssert(m.DATASET, rendered, props, time, weak, untyped=dtype is None))
        return _Node(m.DATASET, rendered, version)

    # -- pipelines and runs --------------------------------------------------

    def _pipeline(self, event: Event, time: str, out: Assertions) -> tuple[str, str | None]:
        facets = event.job_facets
        pid = self.render(event.job_namespace or "", event.job_name or "")
        explicit = _text(_get(facets, "pipelineVersion", "version"))
        location_version = _text(_get(facets, "sourceCodeLocation", "version"))
        hashed = _text(_get(facets, "codeVersion", "versionHash"))
        sql = _text(_get(facets, "sql", "query"))
        source = _text(_get(facets, "sourceCode", "sourceCode"))
        code_version = explicit or hashed or location_version or (
            f"sql:{_hash(sql)}" if sql else f"src:{_hash(source)}" if source else None)
        code: dict[str, Any] = {
            "location": [_text(_get(facets, "sourceCodeLocation", k)) for k in ("url", "path", "version")],
            "sql": sql, "source": source,
        }
        if hashed:  # the normalised hash stands for the source: a comment change is no new version
            code.update(source=None, codeVersion=hashed)
        has_code = any(code["location"]) or sql or source
        io = sorted(self.render(d.namespace, d.name) for d in event.inputs), \
            sorted(self.render(d.namespace, d.name) for d in event.outputs)
        version = explicit
        if version is None and (has_code or io[0] or io[1]):
            version = _hash(code, io)
        ptype = (_text(_get(facets, "pipelineVersion", "pipelineType"))
                 or _text(_get(facets, "jobType", "integration"))
                 or _text(_get(event.run_facets, "processing_engine", "name")))
        out.vertices.append(VertexAssert(m.PIPELINE, pid, {
            "pipeline_id": pid, "namespace": event.job_namespace, "name": event.job_name,
            "version": version, "pipeline_type": ptype.lower() if ptype else None,
            "code_location": _text(_get(facets, "sourceCodeLocation", "url")),
            "code_version": code_version,
            "description": _text(_get(facets, "documentation", "description")),
            "first_seen": time, "last_seen": time, **catalog_facets.pipeline_props(facets)}, time))
        return pid, version, code_version

    def _data_summary(self, refs: Iterable[DatasetRef], stats: str) -> str | None:
        """A run's inputs or outputs as JSON: id, fingerprint, version, rows and bytes of each."""
        items = []
        for ref in refs:
            item: dict[str, Any] = {"datasetId": self.render(ref.namespace, ref.name)}
            values = {
                "fingerprint": _text(_get(ref.facets, "dataFingerprint", "fingerprint")),
                "version": _text(_get(ref.facets, "version", "datasetVersion")),
                "rows": _get(ref.io_facets, stats, "rowCount") or _get(ref.facets, "dataFingerprint", "rowCount"),
                "bytes": _get(ref.io_facets, stats, "size") or _get(ref.facets, "dataFingerprint", "size"),
            }
            for key, value in values.items():
                if key in ("rows", "bytes"):
                    value = value if isinstance(value, int) and not isinstance(value, bool) else None
                if value is not None:
                    item[key] = value
            items.append(item)
        return json.dumps(items, sort_keys=True, separators=(",", ":")) if items else None

    def _run(self, event: Event, pid: str, version: str | None, code_version: str | None,
             inputs: Iterable[DatasetRef], time: str, out: Assertions, notes: dict[str, str | None],
             target: tuple[str, str] | None = None) -> None:
        run_id = event.run_id or ""
        state = event.event_type
        family = self._family(event)
        nominal = {k: _text(_get(event.run_facets, "nominalTime", k)) for k in ("nominalStartTime", "nominalEndTime")}
        out.vertices.append(VertexAssert(m.RUN, run_id, {
            "run_id": run_id, "pipeline_id": pid, "state": state,
            "started_at": time if state == "START" else None,
            "ended_at": time if state in ("COMPLETE", "ABORT", "FAIL") else None,
            "pipeline_version": version,
            "nominal_start": nominal["nominalStartTime"], "nominal_end": nominal["nominalEndTime"],
            **family,
            "error_message": _text(_get(event.run_facets, "errorMessage", "message")),
            "code_version": code_version,
            "parameters": _parameters(event.run_facets),
            "inputs": self._data_summary(inputs, "inputStatistics"),
            "outputs": self._data_summary(event.outputs, "outputStatistics"),
            "checkpoint": _facet_json(event.run_facets, "checkpoint", "stream"),
            "replay": _facet_json(event.run_facets, "replay", "replayedRunId"),
            **notes, "first_seen": time, "last_seen": time, **catalog_facets.run_props(event.run_facets)}, time))
        out.edges.append(EdgeAssert(m.RUN_OF, (m.RUN, run_id), target or (m.PIPELINE, pid), pid,
                                    {"first_seen": time, "last_seen": time}, time))
        parent = family["parent_run_id"]
        if parent and parent != run_id:
            out.vertices.append(VertexAssert(m.RUN, parent, {
                "run_id": parent, "pipeline_id": family["parent_pipeline_id"], "first_seen": time,
                "last_seen": time}, time))
            out.edges.append(EdgeAssert(m.CHILD_OF, (m.RUN, run_id), (m.RUN, parent), pid,
                                        {"first_seen": time, "last_seen": time}, time))

    def _family(self, event: Event) -> dict[str, str | None]:
        """The parent and root run and job of a run (OpenLineage ``parent`` facet)."""
        facet = event.run_facets.get("parent")
        facet = facet if isinstance(facet, dict) and not facet.get("_deleted") else {}
        root = facet.get("root") if isinstance(facet.get("root"), dict) else {}

        def ids(node: Any) -> tuple[str | None, str | None]:
            node = node if isinstance(node, dict) else {}
            run, job = node.get("run"), node.get("job")
            run_id = _text(run.get("runId")) if isinstance(run, dict) else None
            job_id = None
            if isinstance(job, dict) and _text(job.get("name")):
                job_id = self.render(_text(job.get("namespace")) or "", _text(job.get("name")) or "")
            return run_id, job_id

        parent_run, parent_job = ids(facet)
        root_run, root_job = ids(root)
        return {"parent_run_id": parent_run, "parent_pipeline_id": parent_job,
                "root_run_id": root_run, "root_pipeline_id": root_job}

    # -- events --------------------------------------------------------------

    def _pairs(self, inputs: list[_Node], outputs: list[_Node]) -> tuple[list[tuple[_Node, _Node]], str | None]:
        """(output, input) lineage pairs, within ``max_derived`` (see the class doc)."""
        def eligible(node: _Node, source: _Node) -> bool:
            if (source.label, source.key) == (node.label, node.key):
                return node.label != m.MODEL   # an update in place derives a dataset from itself
            return source.label in (m.DATASET, m.FEATURE) if node.label == m.MODEL else True
        pairs = [(node, source) for node in outputs for source in inputs if eligible(node, source)]
        if len(pairs) <= self.max_derived:
            return pairs, None
        ordered_in = sorted(set(inputs), key=lambda n: (n.key, n.label))
        ordered_out = sorted(set(outputs), key=lambda n: (n.key, n.label))
        per_output = max(1, self.max_derived // len(ordered_out))
        kept: list[tuple[_Node, _Node]] = []
        for node in ordered_out[:self.max_derived]:
            kept.extend([(node, s) for s in ordered_in if eligible(node, s)][:per_output])
        note = json.dumps({
            "rule": f"{len(ordered_in)} inputs x {len(ordered_out)} outputs make {len(pairs)} lineage pairs, "
                    f"over LINEAGE_MAX_DERIVED_EDGES={self.max_derived}: each output is linked to its first "
                    f"{per_output} inputs by id ({len(kept)} edges); the pipeline CONSUMES every input and "
                    "every output is GENERATED_BY it",
            "inputs": [n.key for n in ordered_in], "outputs": [n.key for n in ordered_out]},
            ensure_ascii=False)
        return kept, note

    def translate(self, event: Event) -> Assertions:
        out = Assertions()
        time = event.event_time
        if event.kind == DATASET_EVENT:
            assert event.dataset is not None
            node = self._dataset_node(event.dataset, time, out)
            if node.label == m.DATASET:
                versions.dataset_event_versions(node.key, event.dataset, time, out)
            return out
        if is_check(event):
            self._check(event, time, out)
            return out
        if is_check_statement(event):   # kept in the event log; the check's own events tell its result
            return out
        pid, version, code_version = self._pipeline(event, time, out)
        if not event.inputs:
            event = resolve_sql(event, self.sql_parser)
        inputs_refs = event.inputs or event.sql_inputs or ()
        inputs = [self._dataset_node(ref, time, out) for ref in inputs_refs]
        outputs = [self._dataset_node(ref, time, out) for ref in event.outputs]
        if event.event_type == "COMPLETE":   # a finished run wrote its datasets: the catalog's modified time
            for vertex in out.vertices[-len(outputs):] if outputs else ():
                if vertex.label == m.DATASET:
                    vertex.props["last_updated_at"] = time
        pairs, truncated = self._pairs(inputs, outputs)
        truncated = with_note(truncated, self.columns.assert_columns(
            event, list(zip(inputs_refs, inputs)), list(zip(event.outputs, outputs)), pid, time, out))
        notes = {"sql_parse_error": event.sql_error, "lineage_truncated": truncated}
        if event.kind == RUN_EVENT:
            self._run(event, pid, version, code_version, inputs_refs, time, out, notes)
            self._parent_job(event, pid, time, out)
        elif event.sql_error or truncated:
            pipeline = next(v for v in out.vertices if v.label == m.PIPELINE)
            pipeline.props.update(notes)
        pipe = (m.PIPELINE, pid)

        def edge(label: str, src: tuple[str, str], dst: tuple[str, str], ver: str | None) -> None:
            out.edges.append(EdgeAssert(label, src, dst, pid, {
                "version": ver, "first_seen": time, "last_seen": time}, time))

        for node in inputs:
            edge(m.CONSUMES, pipe, (node.label, node.key), node.version)
        for node in outputs:
            here = (node.label, node.key)
            if node.label == m.FEATURE:
                edge(m.PRODUCES, pipe, here, node.version)
            else:
                edge(m.GENERATED_BY, here, pipe, node.version)
        for node, source in pairs:
            label = m.TRAINED_ON if node.label == m.MODEL else m.DERIVED_FROM
            edge(label, (node.label, node.key), (source.label, source.key), source.version)
        if event.kind == RUN_EVENT:
            versions.run_versions(
                event, pid, [(n.label, n.key, ref) for n, ref in zip(inputs, inputs_refs)],
                [(n.label, n.key, ref) for n, ref in zip(outputs, event.outputs)],
                [((n.label, n.key), (s.label, s.key)) for n, s in pairs], time, out)
        return out

    def _parent_job(self, event: Event, pid: str, time: str, out: Assertions) -> None:
        """A job run by another job's run is that job's child."""
        family = self._family(event)
        parent = family["parent_pipeline_id"]
        if not parent or parent == pid:
            return
        pipeline = next(v for v in out.vertices if v.label == m.PIPELINE and v.key == pid)
        pipeline.props.update(parent_pipeline_id=parent, root_pipeline_id=family["root_pipeline_id"])
        facet = event.run_facets.get("parent") or {}
        job = facet.get("job") if isinstance(facet.get("job"), dict) else {}
        out.vertices.append(VertexAssert(m.PIPELINE, parent, {
            "pipeline_id": parent, "namespace": _text(job.get("namespace")), "name": _text(job.get("name")),
            "first_seen": time, "last_seen": time}, time))
        out.edges.append(EdgeAssert(m.CHILD_OF, (m.PIPELINE, pid), (m.PIPELINE, parent), pid,
                                    {"first_seen": time, "last_seen": time}, time))

    def _check(self, event: Event, time: str, out: Assertions) -> None:
        """A check, the artifacts it tests and, for a run, the run with its result."""
        cid = self.render(event.job_namespace or "", event.job_name or "")
        kind = _text(_get(event.job_facets, "jobType", "integration"))
        failures = sorted(self.render(d.namespace, d.name) for d in event.outputs)
        out.vertices.append(VertexAssert(m.CHECK, cid, {
            "check_id": cid, "namespace": event.job_namespace, "name": event.job_name,
            "check_type": kind.lower() if kind else None,
            "description": _text(_get(event.job_facets, "documentation", "description")),
            "failures_tables": json.dumps(failures) if failures else None,
            "first_seen": time, "last_seen": time}, time))
        for ref in event.inputs:
            node = self._dataset_node(ref, time, out)
            out.edges.append(EdgeAssert(m.CHECKS, (m.CHECK, cid), (node.label, node.key), cid, {
                "version": node.version, "first_seen": time, "last_seen": time}, time))
        if event.kind != RUN_EVENT:
            return
        assertions = assertions_of(event.inputs)
        state = event.event_type
        result = None
        failed = [a for a in assertions if not a["success"]]
        if state == "FAIL" or any(a.get("severity", "").lower() != "warn" for a in failed):
            result = "FAIL"
        elif failed:                     # only assertions the producer calls warnings failed
            result = "WARN"
        elif state == "COMPLETE":
            result = "PASS"
        elif state == "ABORT":
            result = "ABORT"
        self._run(event, cid, None, None, event.inputs, time, out, {}, target=(m.CHECK, cid))
        run = next(v for v in out.vertices if v.label == m.RUN and v.key == (event.run_id or ""))
        run.props.update(result=result, assertions=json.dumps(assertions) if assertions else None)

    def translate_all(self, events: Iterable[Event]) -> Assertions:
        total = Assertions()
        for event in events:
            total.extend(self.translate(event))
        return total
