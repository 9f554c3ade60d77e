"""OpenLineage HTTP endpoints.

* ``POST /api/v1/lineage``: one RunEvent, DatasetEvent or JobEvent (JSON, gzip
  accepted). 201 once durable; 400 naming the field when malformed; 413 past
  ``LINEAGE_MAX_BODY_BYTES``.
* ``POST /api/v1/lineage/batch``: a JSON array. 200 with a summary; good events
  of a partly bad batch are kept.
* ``GET /api/v1/events/lineage``: logged events, newest first, paged with ``before``.
"""

from __future__ import annotations

import json
import time
import zlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .._errors import InvalidEvent, PayloadTooLarge
from .._events import Event, parse_event
from . import auth


async def read_json(request: Request, limit: int) -> Any:
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
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent("body", f"is not valid JSON ({exc})", "Send the event as a JSON object.") from None


def router(state: Any) -> APIRouter:
    api = APIRouter()
    settings, metrics = state.settings, state.metrics

    def count(events: list[Event], fresh: list[bool]) -> None:
        for event, new in zip(events, fresh):
            metrics.events.labels(event.kind, "accepted" if new else "duplicate").inc()

    @api.post("/api/v1/lineage", status_code=201)
    async def post_event(request: Request) -> JSONResponse:
        auth.check(settings, request.headers.get("authorization"), write=True)
        started = time.perf_counter()
        raw = await read_json(request, settings["LINEAGE_MAX_BODY_BYTES"])
        if isinstance(raw, list):
            raise InvalidEvent("$", "is a JSON array", "POST arrays to /api/v1/lineage/batch, or one event here.")
        try:
            event = parse_event(raw)
        except InvalidEvent as exc:
            metrics.rejected.labels(exc.field).inc()
            raise
        outcome = await state.writer.submit([event])
        count([event], outcome.fresh)
        metrics.ingest_seconds.labels("single").observe(time.perf_counter() - started)
        return JSONResponse({"status": "created" if outcome.fresh[0] else "duplicate",
                             "fingerprint": event.fingerprint}, status_code=201)

    @api.post("/api/v1/lineage/batch")
    async def post_batch(request: Request) -> JSONResponse:
        auth.check(settings, request.headers.get("authorization"), write=True)
        started = time.perf_counter()
        raw = await read_json(request, settings["LINEAGE_MAX_BODY_BYTES"])
        if not isinstance(raw, list):
            raise InvalidEvent("$", f"must be a JSON array of events, got {type(raw).__name__}",
                               "POST single events to /api/v1/lineage.")
        events: list[Event] = []
        index: list[int] = []
        failed = []
        for i, item in enumerate(raw):
            try:
                events.append(parse_event(item))
                index.append(i)
            except InvalidEvent as exc:
                metrics.rejected.labels(exc.field).inc()
                failed.append({"index": i, "reason": exc.message, "field": exc.field, "retriable": False})
        fresh: list[bool] = []
        if events:
            outcome = await state.writer.submit(events)
            fresh = outcome.fresh
            count(events, fresh)
        metrics.ingest_seconds.labels("batch").observe(time.perf_counter() - started)
        accepted = sum(fresh)
        status = "success" if not failed else "partial_success" if events else "failure"
        return JSONResponse({
            "status": status, "received": len(raw), "accepted": accepted,
            "duplicates": len(events) - accepted, "failed": len(failed), "failed_events": failed,
        })

    @api.get("/api/v1/events/lineage")
    async def list_events(request: Request, limit: int = 50, before: int | None = None) -> JSONResponse:
        auth.check(settings, request.headers.get("authorization"), write=False)
        if not 1 <= limit <= 1000:
            raise InvalidEvent("limit", f"must be between 1 and 1000; got {limit}", "Pass ?limit=50.")
        page = await state.read(lambda _: state.event_page(limit, before))
        return JSONResponse({
            "events": [{"seq": e.seq, "receivedAt": e.received_at, "event": e.event} for e in page],
            "next": f"/api/v1/events/lineage?limit={limit}&before={page[-1].seq}" if len(page) == limit else None,
        })

    return api
