"""OpenLineage HTTP endpoints.

* ``POST /api/v1/lineage``: one RunEvent, DatasetEvent or JobEvent (JSON, gzip
  accepted). 201 once durable and applied to the graph (202 once durable in the
  shared log, with ``?ack=logged`` or ``LINEAGE_INGEST_ACK=logged`` on a Gremlin
  Server: see inbox.py); 400 naming the field when malformed; 413 past
  ``LINEAGE_MAX_BODY_BYTES``; 415 unless the body is declared JSON.
* ``POST /api/v1/lineage/batch``: a JSON array. 200 with a summary (202 when
  only logged); good events of a partly bad batch are kept, whatever the bad ones hold.
* ``GET /api/v1/events/lineage``: logged events, newest first, paged with ``before``.
* ``GET /api/v1/events/pending``: how many logged events wait to be applied.

Bodies are decoded within :data:`lineage.limits.LIMITS` (nesting, number and
string length, item counts; no NaN or Infinity), and the inputs of SQL facets
are parsed (bounded, in a worker process) before the events reach the writer.
"""

from __future__ import annotations

import re
import time
import zlib
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .._errors import InvalidEvent, PayloadTooLarge, UnsupportedMediaType
from .._events import Event, parse_event
from .._sql import resolve_sql
from ..limits import decode, decode_array
from . import auth

_JSON_TYPE = re.compile(r"application/(?:[a-z0-9.+-]+\+)?json", re.I)


def require_json(request: Request) -> None:
    """Writes must declare a JSON body (``application/json`` or ``application/*+json``,
    gzip-encoded or not, as the OpenLineage client sends it)."""
    declared = request.headers.get("content-type", "")
    media = declared.split(";", 1)[0].strip()
    if not _JSON_TYPE.fullmatch(media):
        raise UnsupportedMediaType(
            f"the body must be sent as Content-Type: application/json (got {declared[:60]!r}); "
            "gzip it with Content-Encoding: gzip if you like", content_type=declared[:60])


async def read_body(request: Request, limit: int) -> bytes | bytearray:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit} (LINEAGE_MAX_BODY_BYTES). "
                              "Send fewer events per request or raise the limit")
    body = bytearray()   # appends in place; bytes += would copy the whole body per chunk
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the body is over {limit} bytes (LINEAGE_MAX_BODY_BYTES); "
                                  "send fewer events per request or raise the limit")
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise InvalidEvent("body", f"is not valid gzip ({exc})", "Compress with gzip or drop Content-Encoding.")
        if len(body) > limit or inflater.unconsumed_tail:
            raise PayloadTooLarge(f"the decompressed body is over {limit} bytes (LINEAGE_MAX_BODY_BYTES)")
    if not body.strip():
        raise InvalidEvent("body", "is empty", "Send an OpenLineage event as JSON.")
    return body


async def read_json(request: Request, limit: int) -> Any:
    return decode(await read_body(request, limit))


def rejected_label(field: str) -> str:
    """A bounded label for a rejected field: indices and keys under facets are
    dropped (``inputs[3].name`` -> ``inputs[].name``; ``run.facets.x`` -> ``run.facets``),
    so hostile field names cannot grow the metrics without end."""
    field = re.sub(r"\[\d+\]", "[]", field)
    parts = field.split(".")
    for i, part in enumerate(parts):
        if part.endswith("facets") or part.endswith("Facets"):
            return ".".join(parts[:i + 1])
    return field if len(field) <= 40 else field[:40]


def router(state: Any) -> APIRouter:
    api = APIRouter()
    settings, metrics = state.settings, state.metrics

    def count(events: list[Event], fresh: list[bool]) -> None:
        for event, new in zip(events, fresh):
            metrics.events.labels(event.kind, "accepted" if new else "duplicate").inc()

    def reject(exc: InvalidEvent) -> None:
        metrics.rejected.labels(rejected_label(exc.field)).inc()

    def logged_only(request: Request) -> bool:
        """Whether this request is answered once logged (202) rather than applied."""
        asked = request.query_params.get("ack")
        if asked is not None and asked not in ("applied", "logged"):
            raise InvalidEvent("ack", f"must be applied or logged; got {asked[:20]!r}",
                               "Pass ?ack=applied to wait for the graph, ?ack=logged for the log only.")
        return (asked or settings["LINEAGE_INGEST_ACK"]) == "logged" and state.inbox is not None

    async def prepared(events: list[Event]) -> list[Event]:
        """SQL facets parsed off the event loop, before the writer takes the events."""
        if not any(not e.inputs and e.outputs and "sql" in e.job_facets for e in events):
            return events
        return await anyio.to_thread.run_sync(lambda: [resolve_sql(e, state.sql_parser) for e in events])

    @api.post("/api/v1/lineage", status_code=201)
    async def post_event(request: Request) -> JSONResponse:
        auth.check(settings, request.headers.get("authorization"), write=True)
        require_json(request)
        started = time.perf_counter()
        try:
            raw = await read_json(request, settings["LINEAGE_MAX_BODY_BYTES"])
            if isinstance(raw, list):
                raise InvalidEvent("$", "is a JSON array", "POST arrays to /api/v1/lineage/batch, or one event here.")
            event = parse_event(raw)
        except InvalidEvent as exc:
            reject(exc)
            raise
        logged = logged_only(request)
        [event] = await prepared([event])
        outcome = await (state.inbox if logged else state.writer).submit([event])
        count([event], outcome.fresh)
        metrics.ingest_seconds.labels("single").observe(time.perf_counter() - started)
        if logged:
            return JSONResponse({"status": "logged" if outcome.fresh[0] else "duplicate",
                                 "fingerprint": event.fingerprint, "applied": False}, status_code=202)
        return JSONResponse({"status": "created" if outcome.fresh[0] else "duplicate",
                             "fingerprint": event.fingerprint}, status_code=201)

    @api.post("/api/v1/lineage/batch")
    async def post_batch(request: Request) -> JSONResponse:
        auth.check(settings, request.headers.get("authorization"), write=True)
        require_json(request)
        started = time.perf_counter()
        raw = decode_array(await read_body(request, settings["LINEAGE_MAX_BODY_BYTES"]))
        if not isinstance(raw, list):
            raise InvalidEvent("$", f"must be a JSON array of events, got {type(raw).__name__}",
                               "POST single events to /api/v1/lineage.")
        logged = logged_only(request)
        events: list[Event] = []
        failed = []
        for i, item in enumerate(raw):
            try:
                if isinstance(item, InvalidEvent):
                    raise item
                events.append(parse_event(item))
            except InvalidEvent as exc:
                reject(exc)
                failed.append({"index": i, "reason": exc.message, "field": exc.field, "retriable": False})
        fresh: list[bool] = []
        if events:
            events = await prepared(events)
            outcome = await (state.inbox if logged else state.writer).submit(events)
            fresh = outcome.fresh
            count(events, fresh)
        metrics.ingest_seconds.labels("batch").observe(time.perf_counter() - started)
        accepted = sum(fresh)
        status = "success" if not failed else "partial_success" if events else "failure"
        return JSONResponse({
            "status": status, "received": len(raw), "accepted": accepted,
            "duplicates": len(events) - accepted, "failed": len(failed), "failed_events": failed,
            **({"applied": False} if logged else {}),
        }, status_code=202 if logged and events else 200)

    @api.get("/api/v1/events/pending")
    async def pending_events(request: Request) -> JSONResponse:
        """Logged events not applied to the graph yet (0 on the embedded file, which
        applies before it answers): poll until 0 to read what was posted with ack=logged."""
        auth.check(settings, request.headers.get("authorization"), write=False)
        log = state.readers.event_log()
        count = await anyio.to_thread.run_sync(lambda: log.pending_count() if state.inbox is not None else 0)
        return JSONResponse({"pending": count})

    @api.get("/api/v1/events/lineage")
    async def list_events(request: Request, limit: int = 50, before: int | None = None) -> JSONResponse:
        auth.check(settings, request.headers.get("authorization"), write=False)
        if not 1 <= limit <= 1000:
            raise InvalidEvent("limit", f"must be between 1 and 1000; got {limit}", "Pass ?limit=50.")
        page = await state.read(lambda _: state.event_page(limit, before))
        return JSONResponse({
            "events": [{"seq": e.seq, "receivedAt": e.received_at, "event": e.event,
                        **({"unreadable": e.unreadable} if e.unreadable else {})} for e in page],
            "next": f"/api/v1/events/lineage?limit={limit}&before={page[-1].seq}" if len(page) == limit else None,
        })

    return api
