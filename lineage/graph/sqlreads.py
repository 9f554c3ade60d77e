"""The embedded file's answers to the query layer's composite reads, one statement each.

Each function gives what a :class:`lineage.graph.interface.Graph` method returns,
from one SQL statement that reads the node records (:mod:`lineage.graph.records`)
alongside the edges, so a query needs no second round trip to describe what it
found; or None when it cannot (a time to answer as of, or a file without
records), and :class:`lineage.graph.sql.SqlGraph` then takes the interface's
general path.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from .. import _model as m
from .interface import DOWN, UP, Expansion
from .records import NODES
from .sqlexpand import from_node_rows, from_records, loads, nodes_sql, records_sql

Pipelines = tuple[dict[Any, set[Any]], dict[Any, set[Any]], dict[Any, dict[str, Any]]]


def expand_nodes(graph: Any, start: Any, direction: str, max_depth: int,
                 node_cap: int) -> tuple[list[dict[str, Any]], bool] | None:
    if direction not in (UP, DOWN) or not graph._records():
        return None
    args = (node_cap + 2, start, max_depth)
    rows = graph.con.execute(nodes_sql(direction, False), args).fetchall()
    if len(rows) > node_cap + 1:   # more than kept: which ones, SQL decides in order
        rows = graph.con.execute(nodes_sql(direction, True), args).fetchall()
    return from_node_rows(rows, node_cap)


def _described(graph: Any, records: dict[Any, str | None]) -> dict[Any, dict[str, Any]]:
    """Descriptions from records read beside the edges (None: no record; decoded from gremlite's rows)."""
    missing = [v for v, props in records.items() if props is None]
    described = graph.decoded(missing) if missing else {}
    present = [v for v, props in records.items() if props is not None]
    if present:
        described.update(zip(present, loads("[" + ",".join([records[v] for v in present]) + "]")))
    return described


def expand_readers(graph: Any, start: Any, max_depth: int, node_cap: int, as_of: str | None
                   ) -> tuple[Expansion, dict[Any, set[Any]], dict[Any, dict[str, Any]]] | None:
    codes = graph._edge_codes([m.CONSUMES])
    if as_of is not None or not codes or not graph._records():
        return None
    args = (node_cap + 2, start, max_depth)
    rows = graph.con.execute(records_sql(DOWN, graph._identity_map(), True, reader_code=codes[0]), args).fetchall()
    kept = [r for r in rows if r[1] is not None]
    if len(kept) > node_cap + 1:   # more than kept: which ones, SQL decides in order
        rows = graph.con.execute(records_sql(DOWN, graph._identity_map(), True, cut=True, reader_code=codes[0]),
                                 args).fetchall()
        kept = [r for r in rows if r[1] is not None]
    result = from_records(graph, kept, start, node_cap, True)
    found: dict[Any, set[Any]] = {}
    records: dict[Any, str | None] = {}
    for r in rows:
        if r[1] is None and r[5] in result.distance:
            found.setdefault(r[5], set()).add(r[0])
            records[r[0]] = r[2]
    return result, found, _described(graph, records)


def pipelines(graph: Any, wrote: Sequence[Any], read: Sequence[Any], as_of: str | None) -> Pipelines | None:
    if as_of is not None or not graph._records():
        return None
    labels = (m.GENERATED_BY, m.PRODUCES, m.CONSUMES)
    names = graph._schema(labels)
    made, produces, consumes = (-names[label] if label in names else None for label in labels)
    # each kind of edge from a list of ids, an index search per id (NULL: no such edge yet)
    rows = graph.con.execute(
        "SELECT 0, j.value, q.o, n.props FROM json_each(?1) j CROSS JOIN quads q ON q.s = j.value AND q.p = ?3 "
        f"LEFT JOIN {NODES} n ON n.id = q.o UNION ALL "
        "SELECT 0, j.value, q.s, n.props FROM json_each(?1) j CROSS JOIN quads q ON q.o = j.value AND q.p = ?4 "
        f"LEFT JOIN {NODES} n ON n.id = q.s UNION ALL "
        "SELECT 1, j.value, q.s, n.props FROM json_each(?2) j CROSS JOIN quads q ON q.o = j.value AND q.p = ?5 "
        f"LEFT JOIN {NODES} n ON n.id = q.s",
        (json.dumps(list(wrote)), json.dumps(list(read)), made, produces, consumes)).fetchall()
    found: tuple[dict[Any, set[Any]], dict[Any, set[Any]]] = ({}, {})
    records: dict[Any, str | None] = {}
    for kind, artifact, pipeline, props in rows:
        found[kind].setdefault(artifact, set()).add(pipeline)
        records[pipeline] = props
    return found[0], found[1], _described(graph, records)


def hop_values(graph: Any, vids: Iterable[Any], direction: str, labels: Sequence[str], prop: str,
               as_of: str | None) -> list[tuple[Any, str, Any, Any]]:
    scan = graph._edges_of(vids, direction, labels, as_of)
    if scan is None:
        return []
    here, there, edges_sql, params = scan
    rows = graph.con.execute(f"SELECT {here}, q.p, {there}, pq.o {edges_sql} "
                             "LEFT JOIN quads pq ON pq.s = q.g AND pq.p = ?", (*params, graph.sid(prop) or 0)).fetchall()
    graph._fill({-r[1] for r in rows} | {r[3] for r in rows if r[3] is not None})
    texts, decode = graph._texts, graph._decode
    return [(source, texts[-p], target, None if value is None else decode(value)) for source, p, target, value in rows]
