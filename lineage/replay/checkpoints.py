"""Temporal checkpoints of streaming and incremental jobs.

A checkpoint is one committed slice of a stream: a run of the stream's job
whose ``checkpoint`` run facet carries its id (the run id), sequence, offsets
(or partition / snapshot), status (IN_PROGRESS at START, COMPLETE or FAILED at
the end) and the provenance record of every captured function applied to the
slice (function id, version hash, input and output hashes, parameters, time).
The steps themselves are runs nested in it, so a checkpoint replays like any
run, and a range of checkpoints like a range of runs of the stream::

    with tracker.checkpoint("orders_stream", sequence=3, offset=300, end_offset=400):
        enrich(clean(slice_df))

It travels as OpenLineage events through the one translator, so it is durable,
deduplicated and replayable on both backends; :func:`checkpoints` lists a
stream's checkpoints by sequence and time.
"""

from __future__ import annotations

import json
from typing import Any

from .. import _model as m
from .._errors import InvalidArgument, NotFound
from . import records


def begin(tracker: Any, stream: str, *, sequence: int | None = None, offset: int | None = None,
          end_offset: int | None = None, partition: str | None = None, snapshot: str | None = None,
          checkpoint_id: str | None = None, namespace: str | None = None) -> Any:
    from ..capture.record import OperationType
    from ..capture.tracker import Operation

    op = Operation(tracker, stream, OperationType.EXECUTE, namespace=namespace)
    if checkpoint_id is not None:
        op.record.run_id = checkpoint_id
    counters = tracker.__dict__.setdefault("_checkpoint_sequences", {})
    seq = counters.get(stream, 0) + 1 if sequence is None else sequence
    counters[stream] = seq
    op.record.checkpoint = {"stream": stream, "sequence": seq, "offset": offset, "endOffset": end_offset,
                            "partition": partition, "snapshot": snapshot, "provenanceRecords": []}
    return op


def collect(parent: Any, step: Any) -> None:
    """Add a finished step's provenance record to the checkpoint it ran in."""
    if parent is None or parent.record.checkpoint is None or step.parent_run_id != parent.run_id:
        return
    parent.record.checkpoint["provenanceRecords"].append({
        "runId": step.run_id, "functionId": step.function_id, "functionVersionHash": step.code_version,
        "inputDataHashes": [d.fingerprint for d in step.inputs if d.fingerprint],
        "outputDataHashes": [d.fingerprint for d in step.outputs if d.fingerprint],
        "parameters": dict(step.parameters), "executionTimestamp": step.started_at})


def checkpoints(source: Any, stream: str, *, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    """A stream's checkpoints in sequence order, optionally those started in [since, until]."""
    q = records.analysis(source)
    out = []
    for run in records.runs_of(q, stream):
        facet = run.get("checkpoint")
        if not isinstance(facet, str):
            continue
        cp = json.loads(facet)
        cp.update(runId=run["run_id"], startedAt=run.get("started_at"), endedAt=run.get("ended_at"),
                  state=run.get("state"))
        if since and (cp["startedAt"] or "") < since or until and (cp["startedAt"] or "") > until:
            continue
        out.append(cp)
    out.sort(key=lambda c: (c.get("sequence") is None, c.get("sequence") or 0, c["startedAt"] or ""))
    return out


def resolve(source: Any, ref: str) -> str:
    """A run id, or ``stream@sequence`` for a checkpoint, as a run id."""
    stream, sep, seq = ref.rpartition("@")
    if not sep or not seq.isdigit():
        return ref
    q = records.analysis(source)
    try:
        q.resolve(stream, m.PIPELINE)
    except NotFound:
        return ref
    for cp in checkpoints(q, stream):
        if cp.get("sequence") == int(seq):
            return cp["runId"]
    raise InvalidArgument(f"stream {stream} has no checkpoint {seq}; list them with lineage checkpoints {stream}")
