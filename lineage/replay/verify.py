"""Replays as recorded facts: a replay becomes a run of the job ``lineage.replay``
whose ``replay`` run facet names the run it replayed and each step's recorded
code version and outcome. It goes through the one translator like any event,
and the reproducibility verdict of a model reads it: a model is **verified**
when it is reproducible and every pipeline on its path has a replay that
reproduced a run at the pipeline's current code version."""

from __future__ import annotations

import json
import uuid
from typing import Any

from openlineage.client import event_v2 as ol
from openlineage.client.serde import Serde

from .. import _model as m
from .._builders import now_iso
from ..facets import PRODUCER, ReplayRunFacet

REPLAY_JOB = "lineage.replay"



def replay_event(report: Any, namespace: str) -> dict[str, Any]:
    steps = [{"runId": s.run_id, "pipelineId": s.pipeline_id, "recordedVersion": s.recorded_version,
              "replayedVersion": s.replayed_version, "status": s.status} for s in report.steps]
    facet = ReplayRunFacet(replayedRunId=report.run_id, reproduced=report.reproduced, steps=steps, producer=PRODUCER)
    event = ol.RunEvent(eventType=ol.RunState.COMPLETE, eventTime=now_iso(),
                        run=ol.Run(runId=str(uuid.uuid4()), facets={"replay": facet}),
                        job=ol.Job(namespace=namespace, name=REPLAY_JOB), inputs=[], outputs=[], producer=PRODUCER)
    return Serde.to_dict(event)


def record(report: Any, store: Any) -> str:
    """Store ``report`` as a replay run (``store``: a LineageStore or JanusGraphClient); its run id."""
    target = getattr(store, "store", store)
    event = replay_event(report, target.settings.default_namespace)
    target.ingest([event])
    return event["run"]["runId"]


def verified_versions(graph: Any) -> set[tuple[str, str]]:
    """(pipeline, code version) pairs some recorded replay reproduced, read through the
    graph interface (:class:`lineage.graph.Graph`)."""
    out: set[tuple[str, str]] = set()
    runs = graph.describe(graph.vertices(m.RUN, "pipeline_id", REPLAY_JOB))
    for text in (props.get("replay") for props in runs.values()):
        try:
            facet = json.loads(text)
        except (TypeError, ValueError):
            continue
        for s in facet.get("steps") or []:
            if s.get("status") == "reproduced" and s.get("pipelineId") and s.get("recordedVersion") \
                    and s.get("recordedVersion") == s.get("replayedVersion"):
                out.add((s["pipelineId"], s["recordedVersion"]))
    return out
