"""The data catalog read back from the graph: every dataset, with what producers
registered for it (title, media type, further fields), when it last changed
(``last_updated_at`` from a catalog update or a completed run that wrote it)
and the pipelines that generate it."""

from __future__ import annotations

import json
from typing import Any

from .. import _model as m
from ..graph.interface import OUT, Graph


def entries(graph: Graph) -> list[dict[str, Any]]:
    """One entry per dataset, sorted by id; catalog messages' fields under their own names."""
    datasets = graph.records(m.DATASET)
    generated_by: dict[Any, set[str]] = {vid: set() for vid in datasets}
    for vid, pipeline in graph.neighbor_values(list(datasets), OUT, [m.GENERATED_BY], "pipeline_id"):
        generated_by[vid].add(pipeline)
    out = []
    for vid, props in datasets.items():
        entry: dict[str, Any] = {"id": props["dataset_id"]}
        if props.get("title"):
            entry["title"] = props["title"]
        if props.get("media_type"):
            entry["source_mime_type"] = props["media_type"]
        for key in ("last_updated_at", "registered_at", "description", "layer", "namespace", "name"):
            if props.get(key):
                entry[key] = props[key]
        entry["generated_by"] = sorted(generated_by[vid])
        if props.get("catalog_fields"):
            entry.update(json.loads(props["catalog_fields"]))
        out.append(entry)
    return sorted(out, key=lambda e: e["id"])
