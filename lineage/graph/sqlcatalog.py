"""Whole-label reads of :class:`lineage.graph.sql.SqlGraph` that need their own SQL
(the catalog's and the reports' listings): the first vertices of some labels by
identity value, without describing the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from .. import _model as m

if TYPE_CHECKING:
    from .sql import SqlGraph


def first_vertices(graph: SqlGraph, labels: Sequence[str], limit: int) -> list[Any]:
    """:meth:`lineage.graph.interface.Graph.first_vertices`: one statement per label, SQLite
    keeping only the ``limit`` smallest identity values (a vertex without one sorts first,
    as :func:`lineage.graph.interface.node_key` has it)."""
    out: list[Any] = []
    for label in sorted(set(labels)):
        if len(out) >= limit:
            break
        lab, key = graph.sid(label), graph.sid(m.IDENTITY.get(label, ""))
        if lab is None:
            continue
        out.extend(r[0] for r in graph.con.execute(
            "SELECT lq.s FROM quads lq LEFT JOIN quads kq ON kq.s = lq.s AND kq.p = ? "
            "LEFT JOIN strings ks ON ks.id = kq.o WHERE lq.o = ? AND lq.p = 0 "
            "ORDER BY coalesce(ks.v, ''), lq.s LIMIT ?", (key or 0, lab, limit - len(out))))
    return out
