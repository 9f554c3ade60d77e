"""The FastAPI application: one process that OpenLineage producers post to and
the web page and GraphQL clients read from.

Routes: ``/api/v1/lineage`` (+ ``/batch``), ``/api/v1/events/lineage``,
``/graphql`` (with GraphiQL), ``/vendor`` (the browser libraries), ``/healthz``, ``/readyz``, ``/metrics``, and the
lineage explorer at ``/``. Every error is one JSON shape:
``{"error": code, "message": what to fix, "details": {...}}``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from .. import _model as m
from .._analysis import LineageAnalysis
from .._errors import LineageError
from .._recorder import Recorder, summary
from .._settings import Settings
from .._sql import shared_parser
from .._store import LineageStore
from .._writer import WriteStats
from ..graph.sizes import EVENTS, RunningSizes, read_sizes
from . import assets, auth, catalog, direct, exports, ingest
from .audit import AuditMiddleware
from .metrics import Metrics
from .graphql_route import graphql_router
from ..provenance import ProvenanceRecorder
from .provenance import Maintenance, ProvenanceMetrics, flush_now
from .provenance import router as provenance_router
from .readers import Readers
from .readpool import ReadPool, replay_into, timed_into
from .readsfirst import ReadsFirst
from .inbox import Inbox
from .worker import WriteWorker

T = TypeVar("T")
log = logging.getLogger("lineage.http")
STATIC = Path(__file__).resolve().parent.parent / "static"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    root = logging.getLogger("lineage")
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.propagate = False
    root.setLevel(level.upper())


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


class AccessLog:
    """One JSON log line and one request counter per HTTP request (plain ASGI: no
    per-request task or body copying, unlike a BaseHTTPMiddleware)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method, path = scope["method"], scope["path"]
            # labels from a fixed set: a client inventing methods must not grow the metrics
            self.metrics.requests.labels(method if method in _METHODS else "OTHER", route, str(status)).inc()
            if log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                log.info("%s %s %s", method, path, status, extra={"fields": {
                    "method": method, "path": path, "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None}})


class AsciiJSONResponse(JSONResponse):
    """Errors quote what the client sent; escaped, even a lone surrogate can be written."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def _route(request: Request) -> str:
    """The route template (bounded), never the raw path (any client can vary it)."""
    return getattr(request.scope.get("route"), "path", "unmatched")


class AppState:
    """What the routes share: settings, the writer thread, read connections, metrics."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # graph sizes: the file's own counts when embedded; on a server, what this
        # process's commits added to a count taken again every 5 minutes
        self.running_sizes = RunningSizes(self._count_sizes) if settings.gremlin_url else None
        self.metrics = Metrics(self._sizes, settings=settings)
        self.readers = Readers(settings, wrap=self.metrics.graph.timed_connection,
                               wrap_graph=self.metrics.graph.timed_graph)
        self.sql_parser = shared_parser(settings["LINEAGE_SQL_MAX_BYTES"], settings["LINEAGE_SQL_TIMEOUT"])
        self.provenance = ProvenanceRecorder(settings, self.readers.analysis) \
            if settings["LINEAGE_PROVENANCE_ENABLED"] else None
        threads = settings["LINEAGE_WRITE_THREADS"] if settings.gremlin_url else 1
        # the embedded writer shares this process's CPU and interpreter lock with the queries
        self.reads_first = ReadsFirst(0 if settings.gremlin_url else settings["LINEAGE_READS_FIRST_MS"])
        self.writer = WriteWorker(lambda: LineageStore(settings, provenance=self.provenance),
                                  settings["LINEAGE_BATCH_SIZE"], threads,
                                  on_error=lambda exc: self.metrics.graph.failed("write", exc),
                                  linger=bool(settings.gremlin_url), on_commit=self._committed,
                                  niceness=settings["LINEAGE_WRITER_NICENESS"], reads_first=self.reads_first)
        # logged acknowledgements (a Gremlin Server only): requests wait for the inbox
        self.inbox = Inbox(lambda: LineageStore(settings, provenance=False), settings["LINEAGE_BATCH_SIZE"],
                           settings["LINEAGE_APPLIER_LEASE_SECONDS"], on_commit=self._committed,
                           on_error=lambda exc: self.metrics.graph.failed("write", exc),
                           apply_store=lambda: LineageStore(settings, provenance=self.provenance)) \
            if settings.gremlin_url else None
        processes = 0 if settings.gremlin_url else settings["LINEAGE_READ_PROCESSES"]
        self.read_pool = ReadPool(settings, processes, replay_into(self.metrics),
                                   timed_into(self.metrics)) if processes else None
        self.provenance_metrics = ProvenanceMetrics(self.metrics.registry)
        if self.provenance is not None:
            self.provenance.listeners.append(self.provenance_metrics.count)
        self.maintenance = Maintenance(settings, self.provenance, lambda: LineageStore(settings, provenance=False),
                                       self.provenance_metrics)

    def _count_sizes(self) -> dict[str, int]:
        graph = self.readers.graph()
        return {**{label: graph.count(label) for label in m.VERTEX_LABELS}, EVENTS: self.readers.event_log().count()}

    def _sizes(self) -> dict[str, int]:
        if self.running_sizes is not None:
            return self.running_sizes.current()
        kept = read_sizes(self.readers.event_log().con)
        return kept if kept is not None else self._count_sizes()   # a file never opened for writing

    def _committed(self, fresh: list[Any], writes: WriteStats) -> None:
        if self.running_sizes is not None:
            self.running_sizes.committed({**writes.created, EVENTS: len(fresh)})

    def analysis(self) -> LineageAnalysis:
        """This thread's query module, each query counted and timed for /metrics."""
        return self.metrics.graph.instrument(self.readers.analysis())  # type: ignore[return-value]

    async def read(self, fn: Callable[[LineageAnalysis], T]) -> T:
        return await anyio.to_thread.run_sync(lambda: fn(self.analysis()))

    def event_page(self, limit: int, before: int | None) -> list[Any]:
        return self.readers.event_log().page(limit, before)

    def recorder(self) -> Recorder:
        """A Recorder whose events go through the writer thread (called from a worker thread)."""
        from .._events import parse_event

        def emit(events: list[dict[str, Any]]) -> dict[str, Any]:
            outcome = self.writer.submit_sync([parse_event(e) for e in events])
            return summary(events, sum(outcome.fresh))

        return Recorder(self.settings.default_namespace, emit)

    def close(self) -> None:
        """The graceful-shutdown sequence: stop the schedule, commit what is queued,
        flush and compact provenance through the current hour, close connections."""
        self.maintenance.stop()
        if self.inbox is not None:   # what it logged and did not hand over waits in the inbox
            self.inbox.close()
        self.writer.close()
        try:
            if self.provenance is not None:
                flush_now(self.settings, self.provenance, self.provenance_metrics)
        except Exception:
            log.exception("provenance flush at shutdown failed")
        finally:
            self.readers.close()
            if self.read_pool is not None:
                self.read_pool.close()
            self.metrics.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    configure_logging(settings["LINEAGE_LOG_LEVEL"])
    state = AppState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        yield
        state.close()

    app = direct.LineageAPI(title="lineage", version="0.1.0", lifespan=lifespan,
                            description="OpenLineage ingestion and lineage queries over a property graph.")
    app.state.lineage = state

    @app.exception_handler(LineageError)
    async def lineage_error(request: Request, exc: LineageError) -> JSONResponse:
        return direct.error_response(exc, _route(request), request.url.path, state.metrics, AsciiJSONResponse)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()]
        first = problems[0] if problems else {"field": "request", "problem": "is invalid"}
        return JSONResponse({"error": "invalid_request", "message": f"{first['field']}: {first['problem']}",
                             "details": {"problems": problems}}, status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return direct.error_response(exc, _route(request), request.url.path, state.metrics, AsciiJSONResponse)

    app.add_middleware(AuditMiddleware, settings=settings)
    app.add_middleware(AccessLog, metrics=state.metrics)

    ingest_routes = ingest.router(state)
    app.include_router(ingest_routes)
    # the ingest routes skip FastAPI's stack, inside the same two middleware
    direct.install(app, ingest_routes.routes,
                   lambda endpoint: AccessLog(AuditMiddleware(endpoint, settings=settings), metrics=state.metrics),
                   state.metrics, AsciiJSONResponse)
    app.include_router(provenance_router(state))
    app.include_router(exports.router(state))
    app.include_router(catalog.router(state))

    gql = graphql_router(state)
    app.include_router(gql, prefix="/graphql")
    post_route = next(r for r in gql.routes if "POST" in getattr(r, "methods", ()))
    direct.add(app, "POST", "/graphql", post_route, gql.direct_post,
               lambda endpoint: AccessLog(AuditMiddleware(endpoint, settings=settings), metrics=state.metrics),
               state.metrics, AsciiJSONResponse)
    app.include_router(assets.router(settings))

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            await state.read(lambda q: q.graph.has_vertices())
        except Exception as exc:  # any failure means not ready; say why
            state.metrics.graph.failed("readyz", exc)
            return JSONResponse({"status": "unavailable", "message": f"the graph is not reachable: {exc}"},
                                status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        # graph size and event counts are reads: protected like the others
        auth.check(settings, request.headers.get("authorization"), write=False)
        body = await anyio.to_thread.run_sync(state.metrics.render)
        return Response(body, media_type="text/plain; version=0.0.4")

    return app
