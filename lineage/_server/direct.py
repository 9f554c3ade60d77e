"""The ingest routes and GraphQL POSTs, answered without FastAPI's routing and middleware stack.

A single-event POST is the request producers send most, and the work of
answering it is small: read the body, validate it, hand it to the writer. Of
the event loop's time per POST, FastAPI's stack (the error, telemetry, body
limit, exception and exit-stack middleware, route matching over every route,
dependency solving) took about as much as that work itself. On one interpreter
the event loop shares with the writer thread, that time is taken from writes.

So :class:`LineageAPI` answers ``POST /api/v1/lineage``, ``POST
/api/v1/lineage/batch`` and ``POST /graphql`` itself: the same endpoint
functions (for GraphQL, what Strawberry's route does once FastAPI has solved
its dependencies: :func:`lineage._server.graphql_route.direct_post`), wrapped in
the same access log and audit middleware, and errors answered as the app's
exception handlers answer them (:func:`error_response`). Everything else, including other
methods on those paths and paths that differ only by a trailing slash, goes
through FastAPI as before; the routes stay registered there too, so the OpenAPI
document is unchanged.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from .._errors import BackendError, LineageError

log = logging.getLogger("lineage.http")

# (method, path) of the routes answered directly
DIRECT = (("POST", "/api/v1/lineage"), ("POST", "/api/v1/lineage/batch"), ("POST", "/graphql"))


class LineageAPI(FastAPI):
    """FastAPI, with :data:`DIRECT` routes dispatched before its middleware stack."""

    direct: dict[tuple[str, str], Callable[..., Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direct = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            handler = self.direct.get((scope["method"], scope["path"]))
            if handler is not None:
                scope["app"] = self
                await handler(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def error_response(exc: Exception, route: str, path: str, metrics: Any,
                   render: Callable[..., JSONResponse]) -> JSONResponse:
    """The answer to an exception raised by an endpoint: a :class:`LineageError` as its
    status and JSON shape (``render`` writes it), anything else a logged 500."""
    if isinstance(exc, LineageError):
        if isinstance(exc, BackendError):
            metrics.backend_errors.labels(route).inc()
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if getattr(exc, "retry_after", None):
            headers = {"Retry-After": str(exc.retry_after)}
        return render(exc.to_dict(), status_code=exc.status, headers=headers)
    metrics.backend_errors.labels(route).inc()
    log.error("unhandled error on %s", path, exc_info=exc)
    return JSONResponse({"error": "internal", "message": "internal error; the server log has details"},
                        status_code=500)


def _takes_only_the_request(endpoint: Callable[..., Any]) -> bool:
    params = list(inspect.signature(endpoint).parameters.values())
    return len(params) == 1 and params[0].annotation in (Request, "Request")


def install(app: LineageAPI, routes: list[Any], wrap: Callable[[Any], Any], metrics: Any,
            render: Callable[..., JSONResponse]) -> None:
    """Answer the :data:`DIRECT` routes among ``routes`` (included in ``app`` without a
    prefix) directly; ``wrap`` adds the app's own middleware (access log, audit) around each."""
    for route in routes:
        if not isinstance(route, APIRoute) or route.dependencies or not _takes_only_the_request(route.endpoint):
            continue
        for method in route.methods:
            if (method, route.path) in DIRECT:
                add(app, method, route.path, route, route.endpoint, wrap, metrics, render)


def add(app: LineageAPI, method: str, path: str, route: Any, endpoint: Callable[[Request], Any],
        wrap: Callable[[Any], Any], metrics: Any, render: Callable[..., JSONResponse]) -> None:
    """Answer ``method path`` with ``endpoint(request)`` (a coroutine returning the
    response); ``route`` is what the access log and ``request.scope["route"]`` see."""
    app.direct[(method, path)] = wrap(_endpoint_app(route, endpoint, metrics, render))


def _endpoint_app(route: Any, endpoint: Callable[[Request], Any], metrics: Any,
                  render: Callable[..., JSONResponse]) -> Callable[..., Any]:
    async def answer(scope: dict, receive: Any, send: Any) -> None:
        scope["route"] = route
        scope["endpoint"] = endpoint
        try:
            response = await endpoint(Request(scope, receive, send))
        except Exception as exc:
            response = error_response(exc, getattr(route, "path", "unmatched"), scope["path"], metrics, render)
        await response(scope, receive, send)
    return answer
