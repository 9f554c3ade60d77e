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


class BoundedGraphQLRouter(OfflineGraphQLRouter):
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

    return BoundedGraphQLRouter(schema, context_getter=context, graphql_ide="graphiql")
