"""An OpenLineage event as a vertex of a remote graph: the ``Event`` label, how a vertex
is added, and how its raw JSON is stored (zlib-compressed, base64). Shared by the
event log (:mod:`lineage._eventlog`) and its inbox (:mod:`lineage._inbox`)."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import datetime, timezone
from typing import Any, Callable

from ._events import canonical_json

EVENT = "Event"
WITHIN = 200    # fingerprints per P.within(...) read


def add_event(props: dict[str, Any]) -> Callable[[Any], Any]:
    def op(source: Any) -> Any:
        t = source.add_v(EVENT)
        for k, v in props.items():
            if v is not None:
                t = t.property(k, v)
        return t
    return op


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pack(raw: Any) -> str:
    return base64.b64encode(zlib.compress(canonical_json(raw).encode("utf-8"), 6)).decode("ascii")


def inflate(text: str) -> str:
    return zlib.decompress(base64.b64decode(text)).decode("utf-8")


def unpack(text: str) -> dict[str, Any]:
    return json.loads(inflate(text))
