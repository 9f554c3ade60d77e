"""Search on the embedded file: candidates from the trigram index, ranked in SQL, and
bounded before the graph is read (see :mod:`lineage.graph.textsearch` for the ranks).

A node's rank is the best of what its strings give it: its name as a name (ranks
0-3) and its identity value as an id (0, 2 or 4). So each matching string first
gets, on its own, the best rank it could give any node (a bound read from the
string alone, no graph); then the nodes are read tier by tier, strings of bound
0 first, and the search stops at the first tier after which ``limit`` nodes of
rank at most that tier are known: every node of a better rank has a string of a
better bound, so it has been read. A text that matches thousands of ids only in
their namespace (rank 4) never reads those nodes when a few names match better.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Sequence

from .. import _model as m
from . import searchindex
from .textsearch import PARAMS_SQL, has_text_index, order, rank_sql, ranked, register_rank, sql_rankable, string_ids_sql

if TYPE_CHECKING:
    from .sql import SqlGraph

_NOT = 9   # the bound of a string that gives no rank


def _indexed(graph: "SqlGraph") -> bool:
    """Whether the file has the search table (asked again until it does: a writer may add it)."""
    if not graph._search_index:
        graph._search_index = searchindex.has_search_index(graph.con)
    return graph._search_index


def match(graph: "SqlGraph", text: str, labels: Sequence[str], limit: int) -> list[tuple[Any, str, str, str | None, int]]:
    con = graph.con
    props = [graph.sid(p) for p in ("name", "model_name", *(m.IDENTITY[label] for label in labels))]
    props = sorted({p for p in props if p is not None})
    if not text or not props:
        return []
    if sql_rankable(text) and set(labels) <= set(searchindex.LABELS) and _indexed(graph):
        return searchindex.match(con, text, labels, limit)
    found, found_args = string_ids_sql(text, has_text_index(con))
    name, model_name = graph.sid("name"), graph.sid("model_name")  # None matches no row
    labels_json = json.dumps(list(labels))

    def nodes(hit_sql: str, hit_args: list[Any]) -> str:
        # vertex property rows only (s > 0: edge property rows have s = -edge id), read
        # from the (o, p, s) index alone; then each node's label, id and name
        return (f"WITH hit(id) AS MATERIALIZED ({hit_sql}), idmap(l, p) AS (VALUES {graph._identity_map()}), "
                "v(s) AS (SELECT DISTINCT q.s FROM hit CROSS JOIN quads q ON q.o = hit.id "
                f"AND q.p IN ({','.join(str(p) for p in props)}) AND q.s > 0), "
                "r(s, label, key, name) AS MATERIALIZED (SELECT v.s, ls.v, ks.v, COALESCE((SELECT ns.v FROM quads nq, "
                "strings ns WHERE nq.s = v.s AND nq.p = ? AND ns.id = nq.o), (SELECT ns.v FROM quads nq, strings ns "
                "WHERE nq.s = v.s AND nq.p = ? AND ns.id = nq.o)) FROM v CROSS JOIN quads lq ON lq.s = v.s AND lq.p = 0 "
                "CROSS JOIN strings ls ON ls.id = lq.o CROSS JOIN idmap ON idmap.l = lq.o "
                "CROSS JOIN quads kq ON kq.s = v.s AND kq.p = idmap.p CROSS JOIN strings ks ON ks.id = kq.o "
                "WHERE ls.v IN (SELECT value FROM json_each(?)))")

    if not sql_rankable(text):
        rows = con.execute(nodes(found, found_args) + " SELECT s, label, key, name FROM r",
                           [*found_args, model_name, name, labels_json])
        return ranked(text, rows, limit)
    if not graph._ranks:
        register_rank(con)
        graph._ranks = True
    # each matching string's bound: the better of its rank as a name and as an id
    bounds = con.execute(
        f"WITH hit(id) AS MATERIALIZED ({found}), p AS MATERIALIZED ({PARAMS_SQL}) "
        f"SELECT hit.id, min(COALESCE({rank_sql(repr(''), 's.v')}, {_NOT}), "
        f"COALESCE({rank_sql('s.v', 'NULL')}, {_NOT})) FROM hit CROSS JOIN strings s ON s.id = hit.id CROSS JOIN p",
        (*found_args, text)).fetchall()
    tiers: dict[int, list[int]] = {}
    for sid, bound in bounds:
        if bound < _NOT:
            tiers.setdefault(bound, []).append(sid)
    known: dict[Any, tuple[Any, str, str, str | None, int]] = {}
    for tier in sorted(tiers):
        rows = con.execute(
            nodes("SELECT value FROM json_each(?)", [json.dumps(tiers[tier])]) + f", p AS MATERIALIZED ({PARAMS_SQL}) "
            f"SELECT s, label, key, name, {rank_sql('r.key', 'r.name')} FROM r CROSS JOIN p",
            (json.dumps(tiers[tier]), model_name, name, labels_json, text)).fetchall()
        for row in rows:
            if row[4] is not None:
                known.setdefault(row[0], tuple(row))   # type: ignore[arg-type]
        if sum(1 for r in known.values() if r[4] <= tier) >= limit:
            break
    return sorted(known.values(), key=order)[:limit]
