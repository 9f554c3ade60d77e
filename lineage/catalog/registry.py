"""The data catalog read back from the graph: every dataset, with what producers
registered for it (title, media type, further fields), when it last changed
(``last_updated_at`` from a catalog update or a completed run that wrote it)
and the pipelines that generate it."""

from __future__ import annotations

import json
from typing import Any

from gremlin_python.process.graph_traversal import __

from .. import _model as m


def entries(g: Any) -> list[dict[str, Any]]:
    """One entry per dataset, sorted by id; catalog messages' fields under their own names."""
    rows = g.V().has_label(m.DATASET).project("d", "by").by(__.value_map()) \
        .by(__.out(m.GENERATED_BY).values("pipeline_id").fold()).to_list()
    out = []
    for row in rows:
        props = {k: (v[0] if isinstance(v, list) and v else v) for k, v in row["d"].items()}
        entry: dict[str, Any] = {"id": props["dataset_id"]}
        if props.get("title"):
            entry["title"] = props["title"]
        if props.get("media_type"):
            entry["source_mime_type"] = props["media_type"]
        for key in ("last_updated_at", "registered_at", "description", "layer", "namespace", "name"):
            if props.get(key):
                entry[key] = props[key]
        entry["generated_by"] = sorted(set(row["by"]))
        entry.update(json.loads(props.get("catalog_fields") or "{}"))
        out.append(entry)
    return sorted(out, key=lambda e: e["id"])
