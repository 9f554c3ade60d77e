"""Plain fields completed directly answer exactly what graphql-core's own completion does."""

import enum
from typing import Optional

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from lineage._gql.execution import PlainFieldsContext


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    note: Optional[str]
    count: int
    ratio: float
    color: Color
    tags: list[str]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


ITEMS = [Item(name="a", note=None, count=1, ratio=0.5, color=Color.RED, tags=["x"]),
         Item(name="b", note="n", count=2, ratio=1.0, color=Color.BLUE, tags=[])]
BROKEN = [Item(name=None, note="n", count=3, ratio=2.0, color=Color.RED, tags=[]),  # type: ignore[arg-type]
          Item(name="c", note=None, count="many", ratio=1.5, color=Color.RED, tags=[])]  # type: ignore[arg-type]


@strawberry.type
class Inner:
    items: list[Item]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ITEMS

    @strawberry.field
    def broken(self) -> list[Optional[Item]]:
        return BROKEN

    @strawberry.field
    def nested(self) -> Inner:
        return Inner(items=ITEMS)


class Upper(SchemaExtension):
    """Wraps every resolver (a middleware): then every field goes the usual way."""

    def resolve(self, _next, root, info, *args, **kwargs):
        value = _next(root, info, *args, **kwargs)
        return value.upper() if isinstance(value, str) else value


QUERIES = [
    "{ items { name note count ratio color tags shout __typename } }",
    "{ items { n: name, c: count, name } nested { items { ...F } } } fragment F on Item { note color }",
    "{ items { name @skip(if: true) count @include(if: false) ratio } }",
    "{ broken { name count note } }",
]


@pytest.mark.parametrize("extensions", [[], [Upper]], ids=["plain", "with a resolve extension"])
@pytest.mark.parametrize("query", QUERIES)
def test_same_answer_as_the_usual_completion(query, extensions):
    usual = strawberry.Schema(query=Query, extensions=extensions)
    direct = strawberry.Schema(query=Query, extensions=extensions, execution_context_class=PlainFieldsContext)
    expected, got = usual.execute_sync(query), direct.execute_sync(query)
    assert got.data == expected.data
    assert list(got.data) == list(expected.data)   # the response keeps the fields' order
    assert [(e.message, e.path) for e in got.errors or []] == [(e.message, e.path) for e in expected.errors or []]


def test_a_null_in_a_non_null_field_is_the_usual_error():
    direct = strawberry.Schema(query=Query, execution_context_class=PlainFieldsContext)
    result = direct.execute_sync("{ broken { name count } }")
    assert result.data == {"broken": [None, None]}
    assert sorted(tuple(e.path) for e in result.errors) == [("broken", 0, "name"), ("broken", 1, "count")]
