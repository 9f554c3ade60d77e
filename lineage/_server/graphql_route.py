"""The GraphQL route: Strawberry's router, with its request JSON decoded within
the same bounds as events, and POSTs required to be declared JSON (so a page
on another site cannot send a mutation through a browser). Its GraphiQL page
loads its scripts from this server (see ``assets``)."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Awaitable, Callable

import orjson
from cross_web import HTTPException
from fastapi import BackgroundTasks, Request
from fastapi.responses import PlainTextResponse, Response
from strawberry.fastapi import GraphQLRouter

from .._errors import InvalidArgument, InvalidEvent
from .._gql import schema
from .._gql.context import Context
from ..limits import check_tree, decode
from . import auth
from .assets import OfflineGraphQLRouter
from .ingest import require_json
from .readpool import is_query


class BoundedGraphQLRouter(OfflineGraphQLRouter):
    read_pool: Any = None   # reader processes for queries (``readpool``), when configured
    reads_first: Any = None   # queries in flight, which the writer lets go first (``readsfirst``)
    direct_post: Callable[[Request], Awaitable[Response]]   # POST without FastAPI (see ``direct``)

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any, context: Any,
                             root_value: Any, request_data: Any) -> Any:
        query = bool(request_data.query and (request_adapter.method == "POST" or self.allow_queries_via_get)
                     and is_query(request_data.query, request_data.operation_name))
        with self.reads_first.reading() if query and self.reads_first is not None else nullcontext():
            pool = self.read_pool
            if pool is not None and query and not request_data.extensions:
                result = await pool.execute(request_data.query, request_data.variables, request_data.operation_name,
                                            getattr(request, "is_disconnected", None))
                if result is not None:
                    return result
            return await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                                request_data)

    def encode_json(self, data: object) -> str | bytes:
        """The response as compact JSON, written by orjson (a lineage graph's answer took
        json.dumps a tenth of the request's CPU); what orjson refuses (integers past 64
        bits, unpaired surrogates) is written by json.dumps as before."""
        try:
            return orjson.dumps(data)
        except TypeError:   # orjson.JSONEncodeError included
            return super().encode_json(data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            value = decode(data)
            check_tree(value)
        except InvalidEvent as exc:
            raise InvalidArgument(f"the GraphQL request: {exc.message}", field=exc.field) from None
        return value


def graphql_router(state: Any) -> GraphQLRouter:
    settings = state.settings

    async def context(request: Request) -> Context:
        auth.check(settings, request.headers.get("authorization"), write=False)
        if request.method == "POST":
            require_json(request)
        return Context(state)

    router = BoundedGraphQLRouter(schema, context_getter=context, graphql_ide="graphiql")
    router.read_pool = getattr(state, "read_pool", None)
    router.reads_first = getattr(state, "reads_first", None)
    router.direct_post = direct_post(router, context)
    return router


def direct_post(router: BoundedGraphQLRouter, context: Callable[[Request], Awaitable[Context]]
                ) -> Callable[[Request], Awaitable[Response]]:
    """What the router's POST route does once FastAPI has solved its dependencies
    (our context, then Strawberry's: the request, background tasks and a sub-response
    on the context; no root value), without solving them per request."""

    async def post(request: Request) -> Response:
        ctx = await context(request)
        background = BackgroundTasks()
        sub_response = Response()          # as FastAPI makes it for a ``response`` parameter
        del sub_response.headers["content-length"]
        sub_response.status_code = None    # type: ignore[assignment]
        ctx.request, ctx.background_tasks, ctx.response = request, background, sub_response
        router.temporal_response = sub_response
        try:
            response = await router.run(request=request, context=ctx, root_value=None)
        except HTTPException as exc:
            response = PlainTextResponse(exc.reason, status_code=exc.status_code)
        if response.background is None:
            response.background = background
        return response
    return post
