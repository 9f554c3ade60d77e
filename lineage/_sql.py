"""Inputs recovered from a job's SQL when an event names outputs but no inputs.

Some producers (hand-written emitters, older integrations) send the query in
the ``sql`` job facet and list only what they wrote. openlineage-sql parses the
query; unqualified table names take the schema of the declared output they
match (``menus`` in ``INSERT INTO menus`` is ``public.menus`` when the event
declares ``public.menus``), and the namespace of the declared outputs.
"""

from __future__ import annotations

from typing import Any, Mapping

from ._events import DatasetRef


def _default_schema(out_tables: list[Any], outputs: tuple[DatasetRef, ...]) -> str | None:
    for table in out_tables:
        for ref in outputs:
            if ref.name == table.qualified_name:
                return table.schema
            suffix = "." + table.qualified_name
            if ref.name.endswith(suffix):
                return ref.name[: -len(suffix)] or None
    return None


def inputs_from_sql(job_facets: Mapping[str, Any], outputs: tuple[DatasetRef, ...]) -> tuple[DatasetRef, ...]:
    sql = job_facets.get("sql")
    query = sql.get("query") if isinstance(sql, dict) else None
    if not isinstance(query, str) or not query.strip() or not outputs:
        return ()
    try:
        import openlineage_sql
    except ImportError:  # pragma: no cover - a declared dependency
        return ()
    dialect = sql.get("dialect") if isinstance(sql.get("dialect"), str) else "generic"
    try:
        meta = openlineage_sql.parse([query], dialect=dialect)
    except Exception:  # the parser rejects what it cannot read; the event stays as sent
        return ()
    if meta is None:
        return ()
    schema = _default_schema(list(meta.out_tables), outputs)
    namespace = outputs[0].namespace
    declared = {ref.name for ref in outputs}
    found: list[DatasetRef] = []
    for table in meta.in_tables:
        name = table.qualified_name
        if schema and table.schema is None and table.database is None:
            name = f"{schema}.{name}"
        if name not in declared and all(ref.name != name for ref in found):
            found.append(DatasetRef(namespace=namespace, name=name))
    return tuple(found)
