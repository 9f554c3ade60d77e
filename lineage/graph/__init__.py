"""The graph interface and its implementations (see :mod:`lineage.graph.interface`).

:func:`open_graph` picks the implementation for a backend: SQL on the embedded
file (``LINEAGE_EMBEDDED_ENGINE=sql``, the default), Gremlin bytecode on a
Gremlin Server, or Gremlin through gremlite on the embedded file
(``LINEAGE_EMBEDDED_ENGINE=gremlin``, the portable reference).
"""

from __future__ import annotations

from typing import Any

from .gremlin import GremlinGraph
from .interface import DOWN, IN, LINEAGE_EDGES, OUT, UP, Expansion, Graph, Hop, node_key
from .sql import SqlGraph

__all__ = ["Graph", "SqlGraph", "GremlinGraph", "Expansion", "Hop", "node_key", "open_graph",
           "UP", "DOWN", "IN", "OUT", "LINEAGE_EDGES"]

ENGINES = ("sql", "gremlin")


def open_graph(backend: Any, engine: str = "sql", writer: Any = None) -> Graph:
    """The graph over an open backend. ``writer`` (a Gremlin writer) is used by the
    Gremlin implementation; the SQL one brings its own."""
    if backend.kind == "embedded":
        from .sizes import ensure_sizes

        ensure_sizes(backend.con)
    if backend.kind == "embedded" and engine == "sql":
        from .records import ensure_records
        from .searchindex import ensure_search_index
        from .sql import ensure_index, tune_reads
        from .sqlwrite import SqlWriter
        from .textsearch import ensure_text_index

        tune_reads(backend.con)
        ensure_index(backend.con)
        ensure_text_index(backend.con)
        ensure_search_index(backend.con)
        graph = SqlGraph(backend.con, SqlWriter(backend.con), backend.g)
        ensure_records(backend.con, graph)
        return graph
    return GremlinGraph(backend.g, writer, lineage_only=backend.kind != "embedded")


def reader(remote: Any, engine: str) -> Graph:
    """A read-only graph over a gremlite connection to the embedded file: SQL on its
    SQLite connection (``sql``), or Gremlin through it."""
    from gremlin_python.process.anonymous_traversal import traversal

    g = traversal().with_remote(remote)
    if engine != "sql":
        return GremlinGraph(g)
    from .sql import tune_reads

    tune_reads(remote.con)
    return SqlGraph(remote.con, g=g)
