"""The schema, with a depth and cost budget (:mod:`.budget`) and masked unexpected errors. ``graphql/schema.graphql``
is its printed SDL (``lineage graphql-schema``); a test fails when they drift."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry import Schema
from strawberry.tools import merge_types
from strawberry.extensions import AddValidationRules, MaskErrors, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from .budget import QueryBudget
from .columns import ColumnQuery
from .execution import PlainFieldsContext
from .iceberg import IcebergQuery
from .mutation import Mutation
from .query import Query
from .types import LONG_SCALAR, VERSION_SCALAR, Long, Version


def _unexpected(error: GraphQLError) -> bool:
    """Mask anything but our typed errors and GraphQL's own validation messages."""
    if error.extensions and "code" in error.extensions:
        return False
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


class LineageSchema(Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log only what was unexpected; typed errors are answers, not incidents."""
        unexpected = [e for e in errors if not (e.extensions and "code" in e.extensions)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


# Distinct query texts remembered, parsed and validated (with the budget rule: it
# depends on the document alone, never on variables). Clients send the same few
# texts with new variables; validating each anew cost a read more CPU than its SQL.
# Bounded, so unique texts from a hostile client cannot grow memory.
DOCUMENT_CACHE_SIZE = 256

# factories: each request gets fresh extension instances (the caches are shared, per size)
EXTENSIONS = [
    lambda: AddValidationRules([QueryBudget]),
    lambda: MaxTokensLimiter(max_token_count=5000),
    lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
    lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
    lambda: MaskErrors(should_mask_error=_unexpected, error_message="internal error; the server log has details"),
]

schema = LineageSchema(query=merge_types("Query", (Query, IcebergQuery, ColumnQuery)), mutation=Mutation, extensions=EXTENSIONS,
                       execution_context_class=PlainFieldsContext, config=StrawberryConfig(scalar_map={Version: VERSION_SCALAR, Long: LONG_SCALAR}))
