"""The audit trail: who wrote each accepted record, from where, and from what.

Whatever delivers records (the HTTP server, ``lineage consume``) opens an
:class:`AuditContext` for the request or message; :func:`stamp` then writes it
into each event as the ``audit`` facet (on the run, else the job, else the
dataset) before the event is logged. The event keeps the fingerprint of what
the producer sent, so a re-sent record is still a duplicate (the first
delivery's audit stands), and the facet is in the logged payload, so
``lineage rebuild`` restores it.

The server's fields (``httpRequestId``, ``principal``, ``clientAddress``,
``receivedAt``) always replace whatever a producer put there; the producer's
(``requestId``, ``execPath``, ``inputRequestIds``, ``dataSourceName``,
``dataSourceType``) come from its own ``audit`` facet, else from the request's
audit headers (``Request-Id``, ``Exec-Path``, ``Input-Request-Id``, repeated
for merged inputs, ``Data-Source-Name``, ``Data-Source-Type``).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator

from .._events import Event
from ..facets import PRODUCER, AuditFacet
from .facets import AUDIT

HEADERS = {"request-id": "requestId", "exec-path": "execPath", "input-request-id": "inputRequestIds",
           "data-source-name": "dataSourceName", "data-source-type": "dataSourceType"}


@dataclass(frozen=True)
class AuditContext:
    http_request_id: str
    principal: str
    client_address: str | None
    received_at: str
    producer: dict[str, Any] = field(default_factory=dict)   # audit headers, as facet fields

    def server_fields(self) -> dict[str, Any]:
        return {"httpRequestId": self.http_request_id, "principal": self.principal,
                "clientAddress": self.client_address, "receivedAt": self.received_at}


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("lineage_audit", default=None)


def current() -> AuditContext | None:
    return _current.get()


@contextlib.contextmanager
def delivering(ctx: AuditContext) -> Iterator[AuditContext]:
    """Stamp events submitted within this block with ``ctx``."""
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def new_request_id() -> str:
    return str(uuid.uuid4())


def producer_fields(headers: list[tuple[str, str]]) -> dict[str, Any]:
    """Audit headers (name, value pairs; names any case) as facet fields."""
    out: dict[str, Any] = {}
    for name, value in headers:
        key = HEADERS.get(name.lower())
        if key is None or not value.strip():
            continue
        if key == "inputRequestIds":
            out.setdefault(key, []).extend(v.strip() for v in value.split(",") if v.strip())
        else:
            out[key] = value.strip()
    return out


def stamp(event: Event, ctx: AuditContext | None = None) -> Event:
    """``event`` with the audit facet of ``ctx`` (default: the current context) merged in.
    Only the dicts on the way to the facet are copied; the producer's JSON is not touched."""
    ctx = ctx or current()
    if ctx is None:
        return event
    raw = dict(event.raw)
    where = "run" if isinstance(raw.get("run"), dict) else "job" if isinstance(raw.get("job"), dict) else "dataset"
    holder = raw[where] = dict(raw[where])
    facets = holder["facets"] = dict(holder.get("facets") or {})
    given = facets.get(AUDIT) if isinstance(facets.get(AUDIT), dict) else {}
    audit = {**{k: v for k, v in ctx.producer.items() if v}, **given, **ctx.server_fields(),
             "_producer": PRODUCER, "_schemaURL": AuditFacet._get_schema()}
    audit.setdefault("requestId", ctx.http_request_id)
    facets[AUDIT] = {k: v for k, v in audit.items() if v is not None}
    if where == "run":
        return dataclasses.replace(event, raw=raw, run_facets=facets)
    if where == "job":
        return dataclasses.replace(event, raw=raw, job_facets=facets)
    return dataclasses.replace(event, raw=raw, dataset=dataclasses.replace(event.dataset, facets=facets))


def stamp_all(events: list[Event]) -> list[Event]:
    ctx = current()
    return events if ctx is None else [stamp(e, ctx) for e in events]
