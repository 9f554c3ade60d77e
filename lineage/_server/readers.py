"""Read access for request threads.

On the embedded store each thread gets its own SQLite connection (SQLite
connections belong to one thread; in WAL mode readers never wait for the
writer). A Gremlin Server connection is thread-safe and shared.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, Callable

from gremlin_python.process.anonymous_traversal import traversal

from .._analysis import LineageAnalysis
from .._eventlog import EventLog, GraphEventLog
from .._settings import Settings
from ..graph import Graph, GremlinGraph, reader
from ..limits import deadline


class Readers:
    def __init__(self, settings: Settings, wrap: Callable[[Any], Any] = lambda connection: connection,
                 wrap_graph: Callable[[Any], Any] = lambda graph: graph) -> None:
        self.settings = settings
        self._wrap = wrap   # e.g. timing each read round trip for /metrics
        self._wrap_graph = wrap_graph   # the same for the SQL engine, which reads without the connection
        self._local = threading.local()
        self._shared: Any = None
        self._opened: list[Any] = []   # shared connections
        self._owned: list[tuple[threading.Thread, Any]] = []   # per-thread connections, with their thread
        self._lock = threading.Lock()
        if settings.gremlin_url:
            from .._backends import server_connection

            self._shared = server_connection(settings.gremlin_url, settings["LINEAGE_GREMLIN_TRAVERSAL_SOURCE"])
            self._opened.append(self._shared)

    def graph(self) -> Graph:
        """This thread's read-only graph: SQL on its own connection to the embedded file,
        or Gremlin over the shared server connection."""
        if self._shared is not None:
            return GremlinGraph(traversal().with_remote(self._wrap(self._shared)))
        graph = getattr(self._local, "graph", None)
        if graph is None:
            from gremlite import SQLiteConnection

            remote = SQLiteConnection(self.settings.db_path, autocommit=False, timeout=30.0)
            # a request past its budget has its running statement interrupted
            remote.con.set_progress_handler(deadline.progress_handler, deadline.PROGRESS_STEPS)
            self._keep(remote)
            engine = self.settings["LINEAGE_EMBEDDED_ENGINE"]
            graph = self._local.graph = (self._wrap_graph(reader(remote, engine)) if engine == "sql"
                                         else reader(self._wrap(remote), engine))
        return graph

    def analysis(self) -> LineageAnalysis:
        return LineageAnalysis(self.graph(), self.settings.default_namespace)

    def event_log(self) -> EventLog | GraphEventLog:
        """This thread's reader of the event log (inside LINEAGE_DB when embedded, Event
        vertices of the graph on a Gremlin Server)."""
        if self._shared is not None:
            return GraphEventLog(traversal().with_remote(self._shared))
        log = getattr(self._local, "log", None)
        if log is None:
            con = sqlite3.connect(self.settings.db_path, timeout=30.0)
            con.set_progress_handler(deadline.progress_handler, deadline.PROGRESS_STEPS)
            self._keep(con)
            log = self._local.log = EventLog(con)
        return log

    def _keep(self, conn: Any) -> None:
        """Remember a connection of this thread, to close at the end, and forget those of
        threads that have ended: worker threads come and go (an idle one exits), and
        each left its connection and caches behind, so memory grew with every new thread."""
        with self._lock:
            alive = []
            for owner, other in self._owned:
                if owner.is_alive():
                    alive.append((owner, other))
                else:
                    try:
                        other.close()
                    except Exception:  # owned by the ended thread; dropping it closes it
                        pass
            alive.append((threading.current_thread(), conn))
            self._owned = alive

    def close(self) -> None:
        with self._lock:
            for conn in [*self._opened, *(c for _, c in self._owned)]:
                try:
                    conn.close()
                except Exception:  # closing a connection another thread owns may complain; it is going away
                    pass
            self._opened.clear()
            self._owned.clear()
