"""Dataset versions as graph elements, asserted by the one translator.

Each output of a run that names a version becomes a ``DatasetVersion`` vertex
(identity ``version_id`` = ``dataset_id@version``):

* the standard ``version`` facet (``datasetVersion``): an Iceberg snapshot id,
  a Delta version, a dbt or Spark producer's own version. When it equals our
  ``dataFingerprint`` facet's fingerprint (the capture SDK sends both), the
  source is ``fingerprint``, otherwise ``version``;
* else our ``dataFingerprint`` facet: the fingerprint is the version;
* else, on a COMPLETE run event, the run's write itself (``run:<run id>``,
  source ``run``), as Marquez makes a version of every write.

The version is ``VERSION_OF`` its dataset and ``CREATED_BY`` the run (a
DatasetEvent asserts a version with no run). It keeps the schema (``schema``
facet fields), the row count (``outputStatistics``, else the fingerprint's) and
``created_at``, the earliest event time that asserted it. Each output version is
``COMPUTED_FROM`` each input's version when the input names one (that version
is asserted too, without a run), else from the input ``Dataset`` itself: the
read side resolves that to the input's newest version created at or before the
output version (:mod:`lineage.versions.history`). Every property merges
monotonically, so re-sending or reordering events gives the same history.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Sequence

from .. import _model as m
from .._checkfacets import facet_text as _text, facet_value as _get
from .._events import DatasetRef, Event

if TYPE_CHECKING:
    from .._translate import Assertions

RUN_SOURCE, FACET_SOURCE, FINGERPRINT_SOURCE = "run", "version", "fingerprint"


def version_id(dataset_id: str, version: str) -> str:
    """The identity of one version of a dataset."""
    return f"{dataset_id}@{version}"


def explicit_version(ref: DatasetRef) -> tuple[str, str] | None:
    """(version, source) a dataset reference names, or None."""
    fingerprint = _text(_get(ref.facets, "dataFingerprint", "fingerprint"))
    version = _text(_get(ref.facets, "version", "datasetVersion"))
    if version:
        return version, FINGERPRINT_SOURCE if version == fingerprint else FACET_SOURCE
    if fingerprint:
        return fingerprint, FINGERPRINT_SOURCE
    return None


def _schema(ref: DatasetRef) -> str | None:
    fields = _get(ref.facets, "schema", "fields")
    if not isinstance(fields, list):
        return None
    return json.dumps([{"name": f.get("name"), "type": f.get("type")} for f in fields if isinstance(f, dict)],
                      ensure_ascii=False)


def _rows(ref: DatasetRef, stats: str) -> str | None:
    for value in (_get(ref.io_facets, stats, "rowCount"), _get(ref.facets, "dataFingerprint", "rowCount")):
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _vertex(dataset_id: str, version: str, source: str, ref: DatasetRef, time: str,
            stats: str, created: bool) -> Any:
    from .._translate import VertexAssert

    vid = version_id(dataset_id, version)
    return VertexAssert(m.DATASET_VERSION, vid, {
        "version_id": vid, "dataset_id": dataset_id, "version": version, "version_source": source,
        "created_at": time if created else None, "row_count": _rows(ref, stats), "schema_fields": _schema(ref),
        "fingerprint": _text(_get(ref.facets, "dataFingerprint", "fingerprint")),
        "first_seen": time, "last_seen": time}, time)


def _edge(label: str, out: tuple[str, str], in_: tuple[str, str], pid: str, time: str) -> Any:
    from .._translate import EdgeAssert

    return EdgeAssert(label, out, in_, pid, {"first_seen": time, "last_seen": time}, time)


def dataset_event_versions(dataset_id: str, ref: DatasetRef, time: str, out: "Assertions") -> None:
    """A DatasetEvent naming a version declares that version (no run wrote it here)."""
    named = explicit_version(ref)
    if named is None:
        return
    vertex = _vertex(dataset_id, named[0], named[1], ref, time, "outputStatistics", True)
    out.vertices.append(vertex)
    out.edges.append(_edge(m.VERSION_OF, (m.DATASET_VERSION, vertex.key), (m.DATASET, dataset_id), "", time))


def run_versions(event: Event, pid: str, inputs: Sequence[tuple[str, str, DatasetRef]],
                 outputs: Sequence[tuple[str, str, DatasetRef]], pairs: Sequence[tuple[tuple[str, str], tuple[str, str]]],
                 time: str, out: "Assertions") -> None:
    """The versions a run event wrote and read, and what each output version was computed from.

    ``inputs``/``outputs`` are (label, key, reference) of the event's artifacts; ``pairs``
    the (output, input) lineage pairs the translator kept (within its edge bound)."""
    run_id = event.run_id or ""
    written: dict[tuple[str, str], str] = {}
    read: dict[tuple[str, str], str] = {}
    for label, key, ref in outputs:
        if label != m.DATASET:
            continue
        named = explicit_version(ref)
        if named is None and event.event_type == "COMPLETE" and run_id:
            named = (f"run:{run_id}", RUN_SOURCE)
        if named is None:
            continue
        vertex = _vertex(key, named[0], named[1], ref, time, "outputStatistics", True)
        out.vertices.append(vertex)
        here = (m.DATASET_VERSION, vertex.key)
        out.edges.append(_edge(m.VERSION_OF, here, (m.DATASET, key), "", time))
        if run_id:
            out.edges.append(_edge(m.CREATED_BY, here, (m.RUN, run_id), pid, time))
        written[(label, key)] = vertex.key
    for label, key, ref in inputs:
        named = explicit_version(ref) if label == m.DATASET else None
        if named is None:
            continue
        vertex = _vertex(key, named[0], named[1], ref, time, "inputStatistics", False)
        out.vertices.append(vertex)
        out.edges.append(_edge(m.VERSION_OF, (m.DATASET_VERSION, vertex.key), (m.DATASET, key), "", time))
        read[(label, key)] = vertex.key
    for output, source in pairs:
        if output not in written or source[0] != m.DATASET:
            continue
        target = (m.DATASET_VERSION, read[source]) if source in read else source
        if target == (m.DATASET_VERSION, written[output]):
            continue   # an update in place that names one version for both sides
        out.edges.append(_edge(m.COMPUTED_FROM, (m.DATASET_VERSION, written[output]), target, pid, time))
