"""Components, heartbeats and the data catalog over HTTP.

* ``POST /api/v1/heartbeats``: one heartbeat (201) or a JSON array (200 with a
  batch summary; also at ``/api/v1/heartbeats/batch``);
* ``POST /api/v1/catalog``: one catalog message (register or update), or an array;
* ``GET /api/v1/components``: every component and instance with its liveness;
* ``GET /api/v1/catalog``: the catalog as JSON; ``GET /catalog.ttl``: as DCAT Turtle.

Messages are validated like events (400 naming the field), become OpenLineage
events, and go through the writer thread: durable before the answer, and a
re-sent message is a duplicate.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client.core import GaugeMetricFamily

from .._errors import InvalidEvent
from .._events import Event
from ..catalog import dcat, liveness, registry
from ..catalog.messages import catalog_event, heartbeat_event
from . import auth
from .ingest import read_json, rejected_label


class ComponentGauges:
    """``lineage_components{state}`` and ``lineage_component_instances{state}``, computed on scrape."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Any:
        gone = self.state.settings["LINEAGE_COMPONENT_GONE_INTERVALS"]
        try:
            counts = liveness.counts(liveness.components(self.state.readers.graph(), gone_intervals=gone))
        except Exception:
            self.state.metrics.backend_errors.labels("components").inc()
            return
        for name, key, help_text in (("lineage_components", "components", "Components by liveness state"),
                                     ("lineage_component_instances", "instances",
                                      "Component instances by liveness state")):
            family = GaugeMetricFamily(name, help_text, labels=["state"])
            for state_name, value in counts[key].items():
                family.add_metric([state_name], value)
            yield family

    def describe(self) -> list[Any]:
        return []


def router(state: Any) -> APIRouter:
    api = APIRouter()
    settings, metrics = state.settings, state.metrics
    metrics.registry.register(ComponentGauges(state))

    async def accept(request: Request, kind: str, convert: Callable[[Any], Event], batch_only: bool = False):
        auth.check(settings, request.headers.get("authorization"), write=True)
        started = time.perf_counter()
        raw = await read_json(request, settings["LINEAGE_MAX_BODY_BYTES"])
        if not isinstance(raw, list):
            if batch_only:
                raise InvalidEvent("$", f"must be a JSON array, got {type(raw).__name__}",
                                   f"POST single messages to /api/v1/{kind}.")
            try:
                event = convert(raw)
            except InvalidEvent as exc:
                metrics.rejected.labels(rejected_label(exc.field)).inc()
                raise
            outcome = await state.writer.submit([event])
            metrics.events.labels(kind, "accepted" if outcome.fresh[0] else "duplicate").inc()
            metrics.ingest_seconds.labels(kind).observe(time.perf_counter() - started)
            return JSONResponse({"status": "created" if outcome.fresh[0] else "duplicate",
                                 "fingerprint": event.fingerprint}, status_code=201)
        events, failed = [], []
        for i, item in enumerate(raw):
            try:
                events.append(convert(item))
            except InvalidEvent as exc:
                metrics.rejected.labels(rejected_label(exc.field)).inc()
                failed.append({"index": i, "reason": exc.message, "field": exc.field, "retriable": False})
        fresh = (await state.writer.submit(events)).fresh if events else []
        for new in fresh:
            metrics.events.labels(kind, "accepted" if new else "duplicate").inc()
        metrics.ingest_seconds.labels(kind).observe(time.perf_counter() - started)
        status = "success" if not failed else "partial_success" if events else "failure"
        return JSONResponse({"status": status, "received": len(raw), "accepted": sum(fresh),
                             "duplicates": len(events) - sum(fresh), "failed": len(failed),
                             "failed_events": failed})

    def to_catalog_event(msg: Any) -> Event:
        return catalog_event(msg, settings.default_namespace)

    @api.post("/api/v1/heartbeats", status_code=201)
    async def post_heartbeats(request: Request) -> JSONResponse:
        return await accept(request, "heartbeats", heartbeat_event)

    @api.post("/api/v1/heartbeats/batch")
    async def post_heartbeat_batch(request: Request) -> JSONResponse:
        return await accept(request, "heartbeats", heartbeat_event, batch_only=True)

    @api.post("/api/v1/catalog", status_code=201)
    async def post_catalog(request: Request) -> JSONResponse:
        return await accept(request, "catalog", to_catalog_event)

    @api.get("/api/v1/components")
    async def get_components(request: Request) -> JSONResponse:
        auth.check(settings, request.headers.get("authorization"), write=False)
        gone = settings["LINEAGE_COMPONENT_GONE_INTERVALS"]
        items = await state.read(lambda q: liveness.components(q.graph, gone_intervals=gone))
        return JSONResponse({"components": items, "counts": liveness.counts(items)})

    @api.get("/api/v1/catalog")
    async def get_catalog(request: Request) -> JSONResponse:
        auth.check(settings, request.headers.get("authorization"), write=False)
        return JSONResponse({"datasets": await state.read(lambda q: registry.entries(q.graph))})

    @api.get("/catalog.ttl")
    async def get_catalog_turtle(request: Request) -> Response:
        auth.check(settings, request.headers.get("authorization"), write=False)
        entries = await state.read(lambda q: registry.entries(q.graph))
        body = await anyio.to_thread.run_sync(lambda: dcat.to_turtle(entries))
        return Response(body, media_type="text/turtle; charset=utf-8")

    return api
