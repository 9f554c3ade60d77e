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
class Edge:
    id: strawberry.ID
    label: str
    weight: Optional[int]


EDGES = (Edge(id=strawberry.ID("e1"), label="READS", weight=None), Edge(id=7, label=3, weight=2))  # type: ignore[arg-type]
ODD = [Edge(id=strawberry.ID("e1"), label="READS", weight=1), None,
       Edge(id=strawberry.ID("e2"), label="WRITES", weight=2**40)]


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

    @strawberry.field
    def edges(self) -> list[Edge]:
        return EDGES   # a tuple, with an int ID and an int where text is declared

    @strawberry.field
    def odd(self) -> list[Optional[Edge]]:
        return ODD     # a null item, and an integer past Int's range

    @strawberry.field
    def strict(self) -> Optional[list[Edge]]:
        return ODD     # a null item where none may be


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
    "{ items { name note count ratio color } edges { id label weight } }",
    "{ edges { l: label, ...E } } fragment E on Edge { weight id label }",
    "{ odd { id label weight } }",
    "{ strict { id label } }",
    "{ odd { id } strict { label } edges { __typename id } }",
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


class Counting(PlainFieldsContext):
    objects = 0

    def complete_object_value(self, *args, **kwargs):
        Counting.objects += 1
        return super().complete_object_value(*args, **kwargs)


def test_a_list_of_plain_objects_is_completed_in_one_loop():
    direct = strawberry.Schema(query=Query, execution_context_class=Counting)
    Counting.objects = 0
    assert direct.execute_sync("{ items { name count color } edges { id label } }").data == {
        "items": [{"name": "a", "count": 1, "color": "RED"}, {"name": "b", "count": 2, "color": "BLUE"}],
        "edges": [{"id": "e1", "label": "READS"}, {"id": "7", "label": "3"}]}
    assert Counting.objects == 0   # no item went through the per-object completion
    direct.execute_sync("{ items { name shout } }")   # a resolver: the usual way, per item
    assert Counting.objects == 2
