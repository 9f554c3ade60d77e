"""Breadth-first expansion on the embedded file in one SQL statement.

With the records of :mod:`lineage.graph.records` the statement is a recursive
CTE over ``lineage_edge`` (an index search per node, like a plain edge table)
that returns, for each kept node, its distance, its record and its sort key,
already in ``(distance, key)`` order and cut at the node cap; with ``paths``
also its predecessors. A node without a record gets its label and key from
``quads`` in the same statement and its properties decoded afterwards.

Without the records (a file not yet opened for writing by this version, read
through a read-only connection) the statement walks gremlite's ``quads``
directly (:func:`quads_sql`).
"""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any

import orjson

from .interface import UP, Expansion, node_key
from .records import EDGES, NODES


def loads(text: str) -> Any:
    """JSON text of records (written by ``json.dumps``) as Python values: orjson, about
    twice as fast, unless the text holds what only ``json`` reads (NaN, huge integers)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _label_sql(v: str) -> str:
    return f"(SELECT ls.v FROM quads lq, strings ls WHERE lq.s = {v} AND lq.p = 0 AND ls.id = lq.o)"


def _key_sql(v: str) -> str:
    # CROSS JOIN keeps the loop order (from the node outwards): with ANALYZE statistics
    # the planner would otherwise start from the label map and Bloom-filter the label rows
    return (f"COALESCE((SELECT ks.v FROM quads lq CROSS JOIN idmap CROSS JOIN quads kq CROSS JOIN strings ks "
            f"WHERE lq.s = {v} AND lq.p = 0 AND idmap.l = lq.o AND kq.s = {v} AND kq.p = idmap.p "
            "AND ks.id = kq.o), '')")


def records_sql(direction: str, identity_map: str, paths: bool, cut: bool = False,
                reader_code: int | None = None) -> str:
    """?1 how many to keep (start and cap, plus one to see a cut), ?2 the start, ?3 the depth.
    Without ``cut`` the first ?1 nodes reached in no order (the kept nodes are ordered in
    Python, cheaper than sorting their records here): when that is all of them, nothing
    was cut; otherwise the caller asks again with ``cut``, for the first ?1 in (distance,
    key) order. With ``reader_code`` (and ``paths``) each kept node's readers follow:
    the out vertices of its in edges of that code, as (reader, NULL, record, label, key,
    the node read)."""
    near, far = ("src", "dst") if direction == UP else ("dst", "src")
    preds = f", (SELECT group_concat(e.{near}) FROM {EDGES} e WHERE e.{far} = k.v)" if paths else ""
    readers = ""
    if paths and reader_code is not None:
        # each node's readers in a subquery (an index search per node): as a join, ANALYZE
        # statistics lead the planner to a Bloom filter that scans every quad
        readers = (f" UNION ALL SELECT j.value, NULL, n.props, {_label_key('j.value')}, k.v FROM k "
                   f"CROSS JOIN json_each((SELECT json_group_array(q.s) FROM quads q WHERE q.o = k.v "
                   f"AND q.p = {int(reader_code)})) j LEFT JOIN {NODES} n ON n.id = j.value")
    return (
        f"WITH RECURSIVE r(v, d) AS (SELECT ?2, 0 UNION SELECT e.{far}, r.d + 1 FROM r "
        # CROSS JOIN keeps the loop order: from the nodes reached, an index search each
        f"CROSS JOIN {EDGES} e ON e.{near} = r.v WHERE r.d < ?3), "
        f"idmap(l, p) AS (VALUES {identity_map}), "
        f"k(v, d, props, lab, key) AS {'MATERIALIZED ' if readers else ''}(SELECT b.v, b.d, n.props, {_label_key('b.v')} "
        f"FROM (SELECT v, MIN(d) d FROM r GROUP BY v) b LEFT JOIN {NODES} n ON n.id = b.v "
        f"{'ORDER BY 2, 5, 4, 1 ' if cut else ''}LIMIT ?1) "
        f"SELECT v, d, props, lab, key{preds} FROM k{readers}")


def _label_key(v: str) -> str:
    return f"COALESCE(n.label, {_label_sql(v)}), COALESCE(n.key, {_key_sql(v)})"


def nodes_sql(direction: str, cut: bool) -> str:
    """The nodes an expansion reaches as (distance, record, key, label, vertex), at most ?1
    of them: ?2 the start, ?3 the depth. Without ``cut`` in no order (sorting the records
    in SQL costs more than sorting their keys in Python), so ?1 is the start, the cap and
    one more to see whether there are more; with ``cut``, the first ?1 in (distance, key)
    order. A vertex without a record comes back with NULLs."""
    near, far = ("src", "dst") if direction == UP else ("dst", "src")
    return (
        f"WITH RECURSIVE r(v, d) AS (SELECT ?2, 0 UNION SELECT e.{far}, r.d + 1 FROM r "
        # CROSS JOIN keeps the loop order: from the nodes reached, an index search each
        f"CROSS JOIN {EDGES} e ON e.{near} = r.v WHERE r.d < ?3) "
        f"SELECT b.d, n.props, n.key, n.label, b.v FROM (SELECT v, MIN(d) d FROM r GROUP BY v) b "
        f"LEFT JOIN {NODES} n ON n.id = b.v {'ORDER BY 1, 3, 4, 5 ' if cut else ''}LIMIT ?1")


_ORDER = itemgetter(0, 2, 3, 4)


def from_node_rows(rows: list[tuple[Any, ...]], node_cap: int) -> tuple[list[dict[str, Any]], bool] | None:
    """Finished nodes (:meth:`lineage.graph.interface.Graph.expand_nodes`) from the rows of
    :func:`nodes_sql`; None when a kept vertex has no record (or no identity value)."""
    for r in rows:
        if not r[2]:   # no record, or no identity value: the id is then the handle, as node_dict makes it
            return None
    rows.sort(key=_ORDER)
    truncated = len(rows) > node_cap + 1
    if truncated:
        del rows[node_cap + 1:]
    if not rows or rows[0][0] != 0:
        return None
    nodes = loads("[" + ",".join([r[1] for r in rows]) + "]")
    for r, node in zip(rows, nodes):
        label = node.pop("label")
        node["id"] = r[2]
        node["label"] = label
        node["distance"] = r[0]
    return nodes, truncated


def from_records(graph: Any, rows: list[tuple[Any, ...]], start: Any, node_cap: int, paths: bool) -> Expansion:
    """The expansion from the rows of :func:`records_sql`."""
    result = Expansion(start)
    rows.sort(key=lambda r: (r[1], r[4], r[3], r[0]))
    if not rows or rows[0][0] != start or rows[0][3] is None:
        return result  # the start is not a vertex of this graph
    if len(rows) > node_cap + 1:
        rows, result.truncated = rows[:node_cap + 1], True
    records = [r[2] for r in rows]
    if None in records:
        decoded = graph.decoded([r[0] for r in rows if r[2] is None])
        infos = [loads(r[2]) if r[2] is not None else decoded[r[0]] for r in rows]
        keys = {r[0]: node_key(i) for r, i in zip(rows, infos)}
        order = sorted(range(len(rows)), key=lambda i: (rows[i][1], keys[rows[i][0]]))
        rows, infos = [rows[i] for i in order], [infos[i] for i in order]
    else:
        infos = loads("[" + ",".join(records) + "]")
        keys = {r[0]: (r[4], r[3]) for r in rows}
    distance = result.distance
    for r, i in zip(rows, infos):
        distance[r[0]] = r[1]
        result.info[r[0]] = i
    result.order = [r[0] for r in rows[1:]]
    if paths:
        parent = result.parent
        for r in rows[1:]:
            d = r[1] - 1
            before = [p for p in map(int, r[5].split(",")) if distance.get(p) == d]
            parent[r[0]] = min(before, key=keys.__getitem__)
    return result


def quads_sql(codes: list[int], direction: str, identity_map: str, paths: bool,
              live: tuple[str, str] = ("", "")) -> str:
    """The expansion over gremlite's own rows: ?1 how many to keep, ?2 the start, ?3 the depth.
    Returns each kept node's property rows (p >= 0, the label row too), then, for paths,
    its predecessors' ids (rows with p = -1). ``live``: extra conditions on the edge rows
    ``q`` (steps) and ``e`` (predecessors), e.g. that the edge existed at a time."""
    live_q, live_e = live
    marks = ",".join(str(c) for c in codes)
    near, far = ("s", "o") if direction == UP else ("o", "s")
    preds = (f" UNION ALL SELECT k.v, -1, j.value, k.d FROM k, json_each((SELECT json_group_array(e.{near}) "
             f"FROM quads e WHERE e.{far} = k.v AND e.p IN ({marks}){live_e})) j") if paths else ""
    return (
        "WITH RECURSIVE r(v, d) AS (SELECT ?2, 0 UNION "
        # each step reads a node's edges in a subquery (an index search per node): as a join,
        # ANALYZE statistics lead the planner to a Bloom filter that scans every quad
        f"SELECT j.value, r.d + 1 FROM r, json_each((SELECT json_group_array(q.{far}) FROM quads q "
        f"WHERE q.{near} = r.v AND q.p IN ({marks}){live_q})) j WHERE r.d < ?3), "
        f"idmap(l, p) AS (VALUES {identity_map}), "
        "best(v, d) AS (SELECT v, MIN(d) FROM r GROUP BY v), "
        # when more nodes are reached than kept, the cut follows (distance, key): only then
        # are the keys read here (the kept nodes are ordered in Python either way)
        "cnt(c) AS (SELECT COUNT(*) FROM best), "
        "k(v, d) AS MATERIALIZED (SELECT v, d FROM best WHERE (SELECT c FROM cnt) <= ?1 UNION ALL "
        "SELECT * FROM (SELECT b.v, b.d FROM best b WHERE (SELECT c FROM cnt) > ?1 ORDER BY b.d, "
        f"{_key_sql('b.v')}, {_label_sql('b.v')} LIMIT ?1)) "
        f"SELECT k.v, pq.p, pq.o, k.d FROM k CROSS JOIN quads pq ON pq.s = k.v AND pq.p >= 0{preds}")


def from_quads(graph: Any, rows: list[tuple[Any, ...]], start: Any, node_cap: int, paths: bool) -> Expansion:
    """The expansion from the rows of :func:`quads_sql`."""
    result = Expansion(start)
    distance = {r[0]: r[3] for r in rows}
    if start not in distance:
        return result  # the start is not a vertex of this graph
    info = graph._nodes(rows)
    ordered = sorted(distance, key=lambda v: (distance[v], node_key(info[v])))
    if len(ordered) > node_cap + 1:
        ordered, result.truncated = ordered[:node_cap + 1], True
    for v in ordered:
        result.distance[v] = distance[v]
        result.info[v] = info[v]
    if paths:
        before: dict[Any, list[Any]] = {}
        for v, p, o, d in rows:
            if p < 0 and distance.get(o) == d - 1:
                before.setdefault(v, []).append(o)
        for v, d in result.distance.items():
            if d:
                result.parent[v] = min(before[v], key=lambda p: node_key(info[p]))
    return result
