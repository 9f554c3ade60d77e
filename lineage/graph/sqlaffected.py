"""Impact analysis on the embedded file: one statement, and the answer built from its rows.

The statement walks ``lineage_edge`` downstream (as :func:`lineage.graph.sqlexpand.records_sql`
does) and returns each kept node's distance, record, label, key and predecessors,
the pipelines reading each (its ``CONSUMES`` edges), then each of those pipelines'
records once. Python orders the kept nodes, picks each one's parent, and turns every
record straight into the node :mod:`lineage.graph.affected` describes, without
building an :class:`lineage.graph.interface.Expansion` first.

When a kept node has no record, no identity value, or a property named ``label``,
:func:`affected` returns None and the interface's general path answers.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from .. import _model as m
from .interface import node_dict
from .records import EDGES, NODES
from .sqlexpand import loads


def _sql(cut: bool) -> str:
    """?1 how many to keep (start and cap, plus one to see a cut), ?2 the start, ?3 the
    depth, ?4 the string id of CONSUMES (NULL: no reader). Kept nodes come back as
    (node, distance, record, label, key, predecessors, readers), the two lists as
    comma-separated ids; then each reader once as (pipeline, NULL, record, label, key,
    NULL, NULL). Without ``cut`` the first ?1 nodes reached in no order; with ``cut``
    the first ?1 in (distance, key) order."""
    return (
        f"WITH RECURSIVE r(v, d) AS (SELECT ?2, 0 UNION SELECT e.src, r.d + 1 FROM r "
        # CROSS JOIN keeps the loop order: from the nodes reached, an index search each
        f"CROSS JOIN {EDGES} e ON e.dst = r.v WHERE r.d < ?3), "
        f"k(v, d, props, lab, key) AS (SELECT b.v, b.d, n.props, n.label, n.key "
        f"FROM (SELECT v, MIN(d) d FROM r GROUP BY v) b LEFT JOIN {NODES} n ON n.id = b.v "
        f"{'ORDER BY 2, 5, 4, 1 ' if cut else ''}LIMIT ?1), "
        # each node's readers in a subquery (an index search per node): as a join, ANALYZE
        # statistics lead the planner to a Bloom filter that scans every quad
        "a AS MATERIALIZED (SELECT v, d, props, lab, key, "
        f"(SELECT group_concat(e.dst) FROM {EDGES} e WHERE e.src = k.v), "
        "(SELECT group_concat(q.s) FROM quads q WHERE q.o = k.v AND q.p = ?4) readers FROM k) "
        "SELECT * FROM a UNION ALL SELECT p.v, NULL, n.props, n.label, n.key, NULL, NULL FROM "
        "(SELECT DISTINCT j.value v FROM a CROSS JOIN json_each('[' || a.readers || ']') j "
        f"WHERE a.readers IS NOT NULL) p LEFT JOIN {NODES} n ON n.id = p.v")


_SQL = {cut: _sql(cut) for cut in (False, True)}
_ORDER = itemgetter(1, 4, 3, 0)


def affected(graph: Any, start: Any, max_depth: int, node_cap: int) -> tuple[list[dict[str, Any]], bool] | None:
    """:meth:`lineage.graph.interface.Graph.affected` from one statement (two when the
    node cap cuts); None when the general path must answer."""
    if not graph._records():
        return None
    codes = graph._edge_codes([m.CONSUMES])
    args = (node_cap + 2, start, max_depth, codes[0] if codes else None)
    rows = graph.con.execute(_SQL[False], args).fetchall()
    kept = [r for r in rows if r[1] is not None]
    if len(kept) > node_cap + 1:   # more than kept: which ones, SQL decides in order
        rows = graph.con.execute(_SQL[True], args).fetchall()
        kept = [r for r in rows if r[1] is not None]
    for r in kept:
        if r[2] is None or not r[4]:   # no record or no identity value: the general path
            return None
    kept.sort(key=_ORDER)
    if not kept or kept[0][0] != start or kept[0][1] != 0:
        return None
    truncated = len(kept) > node_cap + 1
    if truncated:
        del kept[node_cap + 1:]
    nodes = loads("[" + ",".join([r[2] for r in kept]) + "]")
    for r, node in zip(kept, nodes):
        if node["label"] != r[3]:   # a property named label: the general path
            return None
    distance: dict[Any, int] = {}
    keys: dict[Any, tuple[str, str]] = {}
    paths: dict[Any, list[str]] = {}
    out: list[dict[str, Any]] = []
    for r, node in zip(kept, nodes):
        v, d, key = r[0], r[1], r[4]
        distance[v] = d
        keys[v] = (key, r[3])
        if not d:
            paths[v] = [key]
            continue
        # the parent: the predecessor one hop nearer with the smallest key
        parent = min([p for p in map(int, r[5].split(",")) if distance.get(p) == d - 1], key=keys.__getitem__)
        label = node.pop("label")
        node["id"] = key
        node["label"] = label
        node["distance"] = d
        node["path"] = paths[v] = paths[parent] + [key]
        out.append(node)
    # each reader one hop beyond the nearest node it reads, ties by that node's key
    reading: dict[Any, tuple[int, tuple[str, str], Any]] = {}
    for r in kept:
        if r[6] is not None:
            v = r[0]
            here = (distance[v] + 1, keys[v], v)
            for p in map(int, r[6].split(",")):
                seen = reading.get(p)
                if seen is None or seen[:2] > here[:2]:
                    reading[p] = here
    if reading:
        records = {r[0]: r[2] for r in rows if r[1] is None and r[0] in reading}
        present = [p for p, props in records.items() if props is not None]
        described = dict(zip(present, loads("[" + ",".join([records[p] for p in present]) + "]")))
        if len(present) < len(reading):
            described.update(graph.decoded([p for p in reading if records.get(p) is None]))
        for p, (d, _key, via) in reading.items():
            node = node_dict(p, described[p], d)
            node["path"] = paths[via] + [node["id"]]
            out.append(node)
    return out, truncated
