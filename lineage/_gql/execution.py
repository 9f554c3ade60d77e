"""Completing plain fields without the per-field machinery.

graphql-core completes every field of every object the same way: it builds a
resolve info, calls Strawberry's resolver wrapper, checks for an awaitable and
coerces the value, about twenty Python calls per field. A lineage graph of 50
nodes and 100 edges is some 500 fields, so answering it cost more CPU than
reading it from the graph.

Most of those fields are plain: an attribute of a Strawberry type with no
resolver, no field extension and no arguments, whose type is a scalar or an
enum (:attr:`strawberry.types.field.StrawberryField.is_basic_field`). For
those this context reads the attribute and coerces it directly, as the
default resolver and :meth:`complete_leaf_value` would; anything else (object
and list fields, resolvers, ``__typename``, a null that must raise the usual
error) goes the usual way. Schema extensions that wrap resolvers are
middleware; with one present, every field goes the usual way.

A list of objects whose selected fields are all plain (the nodes and edges of
a lineage graph) is completed in one loop: each item becomes its dict directly,
without the per-item completion, path and sub-selection calls. Any item that
would need the usual handling (a null item, a null in a non-null field, a value
its scalar refuses, an awaitable) sends the whole list the usual way, which
reports it as before.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLID, GraphQLNonNull, GraphQLObjectType, GraphQLString, is_leaf_type
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_DEFINITION = "strawberry-definition"
# scalars whose output coercion returns a str value unchanged
_TEXT = (GraphQLString, GraphQLID)


class PlainFieldsContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # per selection (the grouped field set graphql-core reuses for every object of a
        # list): how to complete each of its fields; the set itself is kept so its id stays its own
        self._plans: dict[int, tuple[Any, list[tuple[str, Any, Any, Any]]]] = {}
        # per selection: (response name, attribute, coercion, nullable, text) of each field
        # when every one is plain, else None
        self._rows: dict[int, tuple[Any, list[tuple[str, str, Any, bool, bool]] | None]] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[tuple[str, Any, Any, Any]]:
        found = self._plans.get(id(grouped_field_set))
        if found is not None and found[0] is grouped_field_set:
            return found[1]
        plan = []
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            field_def = parent_type.fields.get(node.name.value)
            plain = None
            if field_def is not None and not node.arguments and getattr(field_def.resolve, "_is_default", False):
                definition = (field_def.extensions or {}).get(_DEFINITION)
                leaf = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
                if definition is not None and is_leaf_type(leaf) and definition.default_resolver is getattr:
                    plain = (definition.python_name, leaf.coerce_output_value)
            plan.append((response_name, details, *(plain or (None, None))))
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def _row_plan(self, parent_type: GraphQLObjectType,
                  grouped_field_set: Any) -> list[tuple[str, str, Any, bool, bool]] | None:
        found = self._rows.get(id(grouped_field_set))
        if found is not None and found[0] is grouped_field_set:
            return found[1]
        fields: list[tuple[str, str, Any, bool, bool]] | None = []
        for response_name, details, attr, coerce in self._plan(parent_type, grouped_field_set):
            if attr is None:
                fields = None
                break
            field_type = parent_type.fields[details[0].node.name.value].type
            nullable = not isinstance(field_type, GraphQLNonNull)
            leaf = field_type if nullable else field_type.of_type
            fields.append((response_name, attr, coerce, nullable, any(leaf is t for t in _TEXT)))
        self._rows[id(grouped_field_set)] = (grouped_field_set, fields)
        return fields

    def _plain_rows(self, item_type: Any, field_details_list: Any, path: Any, items: Any) -> list[Any] | None:
        """The completed list when every item completes plainly, else None."""
        if type(items) is not list and type(items) is not tuple:
            return None
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return None
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if type(object_type) is not GraphQLObjectType or object_type.is_type_of:
            return None
        try:
            if self.get_stream_usage(field_details_list, path):
                return None
            grouped, defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        except Exception:   # the usual way raises it where it belongs
            return None
        if defer_usages:
            return None
        fields = self._row_plan(object_type, grouped)
        if fields is None:
            return None
        rows = []
        plain_types: set[type] = set()
        for item in items:
            kind = type(item)
            if kind not in plain_types:
                if item is None or self.is_awaitable(item):
                    return None
                plain_types.add(kind)
            row: dict[str, Any] = {}
            for response_name, attr, coerce, nullable, text in fields:
                try:
                    value = getattr(item, attr)
                except Exception:
                    return None
                if value is None:
                    if not nullable:
                        return None
                elif not (text and type(value) is str):
                    try:
                        value = coerce(value)
                    except Exception:
                        return None
                    if value is None or value is Undefined:
                        return None
                row[response_name] = value
            rows.append(row)
        return rows

    def complete_list_value(self, return_type: Any, field_details_list: Any, info: Any, path: Any, result: Any,
                            position_context: Any) -> Any:
        rows = self._plain_rows(return_type.of_type, field_details_list, path, result)
        if rows is not None:
            return rows
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Any,
                       grouped_field_set: Any, position_context: Any) -> Any:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        slow: dict[str, Any] = {}
        for response_name, details, attr, coerce in self._plan(parent_type, grouped_field_set):
            if attr is not None:
                value = getattr(source_value, attr)
                if value is None:
                    if not isinstance(parent_type.fields[details[0].node.name.value].type, GraphQLNonNull):
                        results[response_name] = None
                        continue
                else:
                    try:
                        value = coerce(value)
                    except Exception:   # not of the field's type: the usual way reports it
                        value = None
                    if value is not None and value is not Undefined:
                        results[response_name] = value
                        continue
            # the usual way, which also raises the usual errors
            slow[response_name] = details
            results[response_name] = None   # keeps the response's field order
        if not slow:
            return results
        rest = super().execute_fields(parent_type, source_value, path, slow, position_context)
        if self.is_awaitable(rest):
            async def merged() -> dict[str, Any]:
                results.update(await rest)
                return results
            return merged()
        results.update(rest)
        return results
