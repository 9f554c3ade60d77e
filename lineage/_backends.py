"""The two graph backends behind one interface.

* :class:`EmbeddedBackend`: gremlite on a SQLite file (``LINEAGE_DB``), WAL
  journal, explicit transactions; the event log shares the file and the
  transaction.
* :class:`RemoteBackend`: any TinkerPop 3.7 Gremlin Server, JanusGraph first
  (``LINEAGE_GREMLIN_URL``), spoken to with the JanusGraph GraphSON
  serializers. Every traversal is its own transaction on the server, so the
  writer sends each group of events as one guarded write traversal; the event
  log is ``Event`` vertices in the same graph, written by that traversal.

Both expose ``g``, a gremlinpython traversal source: all graph access is the
same bytecode on either.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import GraphTraversalSource
from gremlin_python.process.traversal import Cardinality

from ._errors import BackendError, ConfigurationError
from ._eventlog import EventLog, GraphEventLog
from ._settings import Settings


class GraphBackend:
    """What the store needs from a graph: a traversal source and transactions."""

    kind = "abstract"
    g: GraphTraversalSource
    log: EventLog | GraphEventLog
    # Cardinality for the properties of a vertex created in the same traversal. A
    # new vertex has no properties, so every cardinality stores the same value;
    # gremlite skips a read per property for ``list``, JanusGraph insists on the
    # schema's (None: the key's own).
    new_vertex_cardinality: Cardinality | None = None
    # Updates per traversal when LINEAGE_WRITE_CHUNK is 0: round trips cost on a
    # server; on gremlite a lone traversal is cheaper than a side effect.
    write_chunk = 60
    # Whether a write group must go to the server as one guarded traversal (its
    # own transaction), rather than many traversals inside a local transaction.
    atomic_writes = False

    def begin(self) -> bool:
        """Start a write transaction; return True when another writer changed the
        graph since our last commit (so cached state must be dropped)."""
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class EmbeddedBackend(GraphBackend):
    kind = "embedded"
    new_vertex_cardinality = Cardinality.list_
    write_chunk = 1

    def __init__(self, path: str) -> None:
        from gremlite import SQLiteConnection

        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
            self.remote = SQLiteConnection(path, autocommit=False, timeout=30.0)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"cannot open the embedded graph at LINEAGE_DB={path!r} ({exc}); "
                "point LINEAGE_DB at a writable file path") from None
        except Exception as exc:  # gremlite.errors.BadDatabase and friends
            raise ConfigurationError(
                f"LINEAGE_DB={path!r} is not a lineage graph file ({type(exc).__name__}); "
                "point LINEAGE_DB at a new or existing lineage file") from None
        self.con: sqlite3.Connection = self.remote.con
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        self.g = traversal().with_remote(self.remote)
        self.log = EventLog(self.con)
        self._data_version = self._read_data_version()

    def _read_data_version(self) -> int:
        return self.con.execute("PRAGMA data_version").fetchone()[0]

    def begin(self) -> bool:
        if not self.con.in_transaction:
            self.con.execute("BEGIN IMMEDIATE")
        version = self._read_data_version()
        changed = version != self._data_version
        self._data_version = version
        return changed

    def commit(self) -> None:
        self.con.commit()

    def rollback(self) -> None:
        self.con.rollback()

    def close(self) -> None:
        if self.con.in_transaction:
            self.con.rollback()
        self.remote.close()

    def describe(self) -> str:
        return f"embedded SQLite graph at {self.path}"


class RemoteBackend(GraphBackend):
    kind = "remote"
    atomic_writes = True

    def __init__(self, url: str, source: str = "g") -> None:
        self.url = url
        try:
            self.connection = server_connection(url, source)
        except Exception as exc:
            raise BackendError(
                f"cannot connect to the Gremlin Server at LINEAGE_GREMLIN_URL={url!r} ({exc}); "
                "check that the server is up and the URL ends with /gremlin") from None
        self.g = traversal().with_remote(self.connection)
        self.log = GraphEventLog(self.g)

    def begin(self) -> bool:
        return True  # other replicas may write at any time: never trust cached state

    def commit(self) -> None:
        """Nothing to do: the writer's one traversal committed on the server."""

    def rollback(self) -> None:
        self.log.discard()

    def close(self) -> None:
        self.connection.close()

    def describe(self) -> str:
        return f"Gremlin Server at {self.url}"


_OFF_LOOP: ThreadPoolExecutor | None = None


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _off_loop(fn: Any, *args: Any) -> Any:
    """Run ``fn`` here, or in a worker thread when this thread is running an asyncio
    loop: gremlinpython drives its websocket with a loop of its own, which cannot run
    inside another (a server's lifespan, a provenance flush from a coroutine, Playwright's
    synchronous API)."""
    global _OFF_LOOP
    if not _in_event_loop():
        return fn(*args)
    if _OFF_LOOP is None:
        _OFF_LOOP = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lineage-gremlin")
    return _OFF_LOOP.submit(fn, *args).result()


def server_connection(url: str, source: str = "g") -> Any:
    """A connection to a Gremlin Server (JanusGraph GraphSON serializers) usable from any
    thread, including one that runs an asyncio event loop."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from janusgraph_python.driver.serializer import JanusGraphSONSerializersV3d0

    class ServerConnection(DriverRemoteConnection):
        def submit(self, bytecode: Any) -> Any:
            return _off_loop(super().submit, bytecode)

        def close(self) -> None:
            _off_loop(super().close)

    return _off_loop(lambda: ServerConnection(url, source, message_serializer=JanusGraphSONSerializersV3d0()))


def open_backend(settings: Settings) -> GraphBackend:
    if settings.gremlin_url:
        return RemoteBackend(settings.gremlin_url, settings["LINEAGE_GREMLIN_TRAVERSAL_SOURCE"])
    return EmbeddedBackend(settings.db_path)


def first(value: Any) -> Any:
    """Property values as scalars: gremlite wraps edge properties in lists."""
    if isinstance(value, list):
        return value[0] if value else None
    return value
