"""Inputs recovered from a job's SQL when an event names outputs but no inputs.

Some producers (hand-written emitters, older integrations) send the query in
the ``sql`` job facet and list only what they wrote. openlineage-sql parses the
query, in a worker process with a size cap and a time limit
(:mod:`lineage.limits.sqlparse`); unqualified table names take the schema of
the declared output they match (``menus`` in ``INSERT INTO menus`` is
``public.menus`` when the event declares ``public.menus``), and the namespace
of the declared outputs. A query that cannot be parsed leaves the event as
sent, and :attr:`Event.sql_error` says why (the run shows it).
"""

from __future__ import annotations

import atexit
import dataclasses
import threading
from typing import Any, Mapping

from ._events import DatasetRef, Event
from .limits.sqlparse import SqlParse, SqlParser

_PARSERS: dict[tuple[int, float], SqlParser] = {}
_LOCK = threading.Lock()


def shared_parser(max_bytes: int = 65_536, timeout: float = 2.0) -> SqlParser:
    """The process's parser for these limits (its workers are shared by every store and app)."""
    with _LOCK:
        parser = _PARSERS.get((max_bytes, timeout))
        if parser is None:
            parser = _PARSERS[(max_bytes, timeout)] = SqlParser(max_bytes, timeout)
        return parser


@atexit.register
def _close_parsers() -> None:
    for parser in list(_PARSERS.values()):
        parser.close()


def _qualified(table: tuple[Any, Any, str]) -> str:
    return ".".join(part for part in table if part)


def _default_schema(out_tables: tuple[tuple[Any, Any, str], ...], outputs: tuple[DatasetRef, ...]) -> str | None:
    for table in out_tables:
        qualified = _qualified(table)
        for ref in outputs:
            if ref.name == qualified:
                return table[1]
            suffix = "." + qualified
            if ref.name.endswith(suffix):
                return ref.name[: -len(suffix)] or None
    return None


def sql_query(job_facets: Mapping[str, Any]) -> tuple[str, str] | None:
    """The query and dialect of the ``sql`` facet, when there is one to parse."""
    sql = job_facets.get("sql")
    query = sql.get("query") if isinstance(sql, dict) else None
    if not isinstance(query, str) or not query.strip():
        return None
    dialect = sql.get("dialect")
    return query, dialect if isinstance(dialect, str) and 0 < len(dialect) <= 64 else "generic"


def tables_to_inputs(parsed: SqlParse, outputs: tuple[DatasetRef, ...]) -> tuple[DatasetRef, ...]:
    schema = _default_schema(parsed.outputs, outputs)
    namespace = outputs[0].namespace
    declared = {ref.name for ref in outputs}
    found: list[DatasetRef] = []
    for table in parsed.inputs:
        name = _qualified(table)
        if schema and table[0] is None and table[1] is None:
            name = f"{schema}.{name}"
        if name not in declared and all(ref.name != name for ref in found):
            found.append(DatasetRef(namespace=namespace, name=name))
    return tuple(found)


def resolve_sql(event: Event, parser: SqlParser | None = None) -> Event:
    """``event`` with :attr:`Event.sql_inputs` (and ``sql_error``) filled in: the inputs
    its SQL facet names when it declares outputs but no inputs, else ``()``."""
    if event.sql_inputs is not None:
        return event
    wanted = sql_query(event.job_facets) if event.outputs and not event.inputs else None
    if wanted is None:
        return dataclasses.replace(event, sql_inputs=())
    parsed = (parser or shared_parser()).parse(*wanted)
    inputs = tables_to_inputs(parsed, event.outputs) if parsed.inputs else ()
    return dataclasses.replace(event, sql_inputs=inputs, sql_error=None if inputs else parsed.error)


def inputs_from_sql(job_facets: Mapping[str, Any], outputs: tuple[DatasetRef, ...],
                    parser: SqlParser | None = None) -> tuple[DatasetRef, ...]:
    wanted = sql_query(job_facets) if outputs else None
    if wanted is None:
        return ()
    parsed = (parser or shared_parser()).parse(*wanted)
    return tables_to_inputs(parsed, outputs) if parsed.inputs else ()
