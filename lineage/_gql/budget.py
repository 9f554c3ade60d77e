"""What one GraphQL request may ask for, checked before anything runs.

* **Depth**: selection sets nested at most ``MAX_QUERY_DEPTH`` deep
  (introspection fields aside). Each fragment's depth is computed once and
  reused wherever it is spread, so the check is linear in the document: a
  chain of fragments each spreading the previous one twice costs one visit
  per fragment, not 2^n.
* **Cost**: each field that reads the graph costs 1 (a node lookup, a
  search, a pipeline's runs) and each traversal 10 (lineage, impact, paths,
  the recipes); every alias counts, and a fragment costs what it holds each
  time it is spread. A request over ``MAX_QUERY_COST`` is refused whole.

Fragment cycles are reported by GraphQL's own validation; here they end the walk.
"""

from __future__ import annotations

from typing import Any

from graphql import (FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode,
                     OperationDefinitionNode, SelectionSetNode, ValidationRule)

MAX_QUERY_DEPTH = 8
MAX_QUERY_COST = 200
TRAVERSALS = frozenset({"datasetLineage", "modelLineage", "lineageGraph", "impactAnalysis", "paths",
                        "bronzeToModelPaths", "orphanedDatasets", "unreproducibleModels",
                        "columnLineage", "columnImpact", "columnEdges"})
NESTED_READS = frozenset({"runs"})
TRAVERSAL_COST, READ_COST = 10, 1


class _Walker:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[tuple[str, bool], tuple[int, int]] = {}
        self.active: set[str] = set()

    def selections(self, selection_set: SelectionSetNode | None, root: bool) -> tuple[int, int]:
        """(depth, cost) of a selection set; ``root`` when it is an operation's top level."""
        depth = cost = 0
        if selection_set is None:
            return 0, 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name.startswith("__"):
                    continue
                below, below_cost = self.selections(sel.selection_set, False)
                depth = max(depth, 1 + below if sel.selection_set else 0)
                own = TRAVERSAL_COST if root and name in TRAVERSALS else \
                    READ_COST if root or name in NESTED_READS else 0
                cost += own + below_cost
            elif isinstance(sel, InlineFragmentNode):
                d, c = self.selections(sel.selection_set, root)
                depth, cost = max(depth, d), cost + c
            elif isinstance(sel, FragmentSpreadNode):
                d, c = self.fragment(sel.name.value, root)
                depth, cost = max(depth, d), cost + c
        return depth, cost

    def fragment(self, name: str, root: bool) -> tuple[int, int]:
        key = (name, root)
        if key in self.memo:
            return self.memo[key]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.active:   # unknown or a cycle: GraphQL reports those
            return 0, 0
        self.active.add(name)
        try:
            result = self.selections(fragment.selection_set, root)
        finally:
            self.active.discard(name)
        self.memo[key] = result
        return result


class QueryBudget(ValidationRule):
    """Refuses documents deeper than MAX_QUERY_DEPTH or costlier than MAX_QUERY_COST."""

    def enter_document(self, node: Any, *_args: Any) -> None:
        fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
        walker = _Walker(fragments)
        for definition in node.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            name = definition.name.value if definition.name else "anonymous"
            depth, cost = walker.selections(definition.selection_set, True)
            if depth > MAX_QUERY_DEPTH:
                self.report_error(GraphQLError(
                    f"'{name}' is {depth} levels deep; the limit is {MAX_QUERY_DEPTH}. Select fewer nested fields",
                    definition, extensions={"code": "QUERY_TOO_DEEP", "depth": depth, "limit": MAX_QUERY_DEPTH}))
            if cost > MAX_QUERY_COST:
                self.report_error(GraphQLError(
                    f"'{name}' would cost {cost}; the limit is {MAX_QUERY_COST} (each traversal costs "
                    f"{TRAVERSAL_COST}, each other read {READ_COST}, per alias). Split it into smaller requests",
                    definition, extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": MAX_QUERY_COST}))
