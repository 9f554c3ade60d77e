"""Column lineage as graph assertions, for the one translator (:mod:`lineage._translate`).

For each output of a run or job event, the derivations its ``columnLineage``
facet declares (:mod:`.facet`), or, when no output carries the facet and the
job has a ``sql`` facet, the ones openlineage-sql reads from the query
(:func:`from_sql`). Each becomes

* a ``Field`` vertex for the output field and for the input field (identity:
  the artifact's id and the field name, :func:`lineage.columns.ids.field_id`),
  each ``HAS_FIELD`` of its dataset (or feature view, model);
* a ``FIELD_DERIVED_FROM`` edge from the output field to the input field,
  carrying the pipeline and the transformations (:func:`.facet.summary`).

An input field of a dataset the event does not list (as an input, an output, or
a table its SQL reads) is left out. Edges past the translator's ``max_derived`` bound are left out, in a stable
order, and the run's ``lineage_truncated`` note says so.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Sequence

from .. import _model as m
from .._events import DatasetRef, Event
from .._sql import sql_query, shared_parser
from ..limits.sqlparse import SqlParse, SqlParser
from .facet import Derivation, Transformation, derivations, summary
from .ids import field_id

# (the output's ref, its node), where a node has .label, .key
Pair = tuple[DatasetRef, Any]


def _qualified(parts: Sequence[Any]) -> str:
    return ".".join(str(p) for p in parts if p)


def _match(table: Sequence[Any], refs: Sequence[DatasetRef]) -> DatasetRef | None:
    """The declared dataset a parsed table names: same name, or a name ending in it."""
    qualified = _qualified(table)
    if not qualified:
        return None
    for ref in refs:
        if ref.name == qualified or ref.name.endswith("." + qualified):
            return ref
    return None


def from_sql(parsed: SqlParse, inputs: Sequence[DatasetRef], outputs: Sequence[DatasetRef]) -> dict[int, list[Derivation]]:
    """Derivations per output index from openlineage-sql's column lineage. A source table
    is the declared input it names; else a dataset in the output's namespace, an
    unqualified name taking the schema of the output (as :mod:`lineage._sql` does).
    The parser gives no transformation types: the derivations carry none."""
    found: dict[int, list[Derivation]] = {}
    if not parsed.columns or not outputs:
        return found
    target = _match(parsed.outputs[0], outputs) if parsed.outputs else None
    target = target or outputs[0]
    schema = None
    if parsed.outputs:
        table = parsed.outputs[0]
        qualified = _qualified(table)
        schema = table[1] or (target.name[: -len(qualified) - 1] or None
                              if target.name.endswith("." + qualified) else None)
    tables = {_qualified(t) for t in parsed.inputs}
    for column, table, sources in parsed.columns:
        out_ref = (_match(table, outputs) if table else None) or target
        for database, sch, name, source in sources:
            # a source the parser could not trace to a table it reads (a CTE over SELECT *) is left out
            if not name or not source or _qualified((database, sch, name)) not in tables:
                continue
            ref = _match((database, sch, name), inputs)
            if ref is None:
                qualified = _qualified((database, sch, name))
                if schema and not database and not sch:
                    qualified = f"{schema}.{name}"
                ref = DatasetRef(namespace=out_ref.namespace, name=qualified)
            found.setdefault(outputs.index(out_ref), []).append(
                Derivation(column, ref.namespace, ref.name, source, ()))
    return found


class ColumnTranslator:
    """Column lineage assertions of one run or job event, on the nodes the translator made."""

    def __init__(self, render: Callable[[str, str], str], max_edges: int,
                 sql_parser: SqlParser | None = None) -> None:
        self.render = render
        self.max_edges = max_edges
        self.sql_parser = sql_parser

    def derivations(self, event: Event, inputs: Sequence[DatasetRef], outputs: Sequence[DatasetRef]
                    ) -> dict[int, list[Derivation]]:
        limit = 4 * self.max_edges    # identical pairs merge: read past the bound, but not without end
        declared = {i: d for i, ref in enumerate(outputs) if (d := derivations(ref.facets, limit)) is not None}
        if declared or not outputs:
            return declared
        wanted = sql_query(event.job_facets)
        if wanted is None:
            return {}
        return from_sql((self.sql_parser or shared_parser()).parse(*wanted), inputs, outputs)

    def assert_columns(self, event: Event, inputs: list[Pair], outputs: list[Pair], pid: str, time: str,
                       out: Any) -> str | None:
        """Add the event's column lineage to ``out``; returns a note when edges were left out."""
        from .._translate import EdgeAssert, VertexAssert

        found = self.derivations(event, [r for r, _ in inputs], [r for r, _ in outputs])
        if not found:
            return None
        nodes = {self.render(r.namespace, r.name): n for r, n in (*inputs, *outputs)}
        edges: dict[tuple[str, str], set[Transformation]] = {}
        owners: dict[str, tuple[str, str, str]] = {}      # field id -> (owner label, owner key, field)

        def field(ref_ns: str, ref_name: str, name: str) -> str | None:
            node = nodes.get(self.render(ref_ns, ref_name))
            if node is None:
                return None
            fid = field_id(node.key, name)
            owners.setdefault(fid, (node.label, node.key, name))
            return fid

        for index, items in sorted(found.items()):
            ref, _node = outputs[index]
            for d in items:
                target = field(ref.namespace, ref.name, d.field)
                # an input field of a dataset the event does not name is left out: it would make
                # a dataset no pipeline reads or writes (a producer's typo, e.g. a column as a table)
                source = field(d.namespace, d.name, d.source_field)
                if source is not None and target is not None and source != target:
                    edges.setdefault((target, source), set()).update(d.transformations)
        ordered = sorted(edges)
        note = None
        if any(len(items) >= 4 * self.max_edges for items in found.values()):
            note = (f"an output's columnLineage facet lists over {4 * self.max_edges} derivations (4 x "
                    f"LINEAGE_MAX_DERIVED_EDGES): the first ones in the facet's order were read")
        if len(ordered) > self.max_edges:
            note = ((note + "; ") if note else "") + (
                f"{len(ordered)} column lineage edges, over LINEAGE_MAX_DERIVED_EDGES={self.max_edges}: "
                f"the first {self.max_edges} by output and input field id are kept")
            ordered = ordered[:self.max_edges]
        used = {f for pair in ordered for f in pair}
        stamp = {"first_seen": time, "last_seen": time}
        for fid in sorted(used):
            label, key, name = owners[fid]
            out.vertices.append(VertexAssert(m.FIELD, fid, {
                "field_id": fid, "field_name": name, "field_of": key, **stamp}, time))
            out.edges.append(EdgeAssert(m.HAS_FIELD, (label, key), (m.FIELD, fid), "", dict(stamp), time))
        for target, source in ordered:
            out.edges.append(EdgeAssert(m.FIELD_DERIVED_FROM, (m.FIELD, target), (m.FIELD, source), pid,
                                        {**summary(edges[(target, source)]), **stamp}, time))
        return note


def with_note(truncated: str | None, note: str | None) -> str | None:
    """The run's ``lineage_truncated`` with the column lineage note added under ``columns``."""
    if note is None:
        return truncated
    data = json.loads(truncated) if truncated else {}
    data["columns"] = note
    return json.dumps(data, ensure_ascii=False)
