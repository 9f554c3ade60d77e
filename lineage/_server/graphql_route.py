"""The GraphQL route: Strawberry's router, with its request JSON decoded within
the same bounds as events, and POSTs required to be declared JSON (so a page
on another site cannot send a mutation through a browser). Its GraphiQL page
loads its scripts from this server (see ``assets``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
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

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any, context: Any,
                             root_value: Any, request_data: Any) -> Any:
        pool = self.read_pool
        if (pool is not None and request_data.query and not request_data.extensions
                and (request_adapter.method == "POST" or self.allow_queries_via_get)
                and is_query(request_data.query, request_data.operation_name)):
            result = await pool.execute(request_data.query, request_data.variables, request_data.operation_name,
                                        getattr(request, "is_disconnected", None))
            if result is not None:
                return result
        return await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                            request_data)

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
    return router
