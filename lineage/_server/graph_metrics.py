"""The lineage guide's graph metrics, on either backend.

* ``janusgraph_queries_total{operation,backend}`` and
  ``janusgraph_query_duration_ms{operation,backend}`` (a histogram in
  milliseconds, for P95/P99): every call of a public query method
  (``upstream``, ``impact``, ``lineage_graph``, ...) made by the API, counted
  and timed where the query layer is entered, whatever store answers it;
* ``janusgraph_connection_errors_total{backend,operation}``: queries and writes
  that failed because the store could not be reached (refused or dropped
  connection, timeout, a file that cannot be opened);
* ``lineage_backend_read_latency_ms{backend}``: one read round trip to the
  store (a traversal, from submit until its results are consumed); the rule
  files record its P95/P99 on JanusGraph as ``cassandra_read_latency_ms``;
* ``lineage_cassandra_node_up{address}``: 1 or 0 for each node of the ring as
  the Cassandra driver sees it, when ``LINEAGE_CASSANDRA_HOSTS`` is set.

``backend`` is ``embedded`` or ``janusgraph``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sqlite3
import threading
import time
from typing import Any, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from ..graph import Graph
from .._errors import LineageError
from .._settings import Settings

log = logging.getLogger("lineage.metrics")
MS_BUCKETS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 750, 1000, 2500, 5000, 10000, 30000)


def backend_label(settings: Settings) -> str:
    return "janusgraph" if settings.gremlin_url else "embedded"


def is_connection_error(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) says the store could not be reached."""
    try:
        from aiohttp import ClientError
    except ImportError:  # pragma: no cover - aiohttp comes with gremlinpython
        ClientError = OSError  # noqa: N806
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (OSError, ClientError, asyncio.TimeoutError)):
            return True
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
            return True
        if isinstance(exc, RuntimeError) and "connection" in str(exc).lower():
            return True   # gremlinpython: "Connection was closed by server."
        exc = exc.__cause__ or exc.__context__
    return False


class GraphMetrics:
    def __init__(self, registry: CollectorRegistry, backend: str) -> None:
        self.backend = backend
        self.queries = Counter("janusgraph_queries_total", "Graph queries made by the API, by operation and backend",
                               ["operation", "backend"], registry=registry)
        self.query_ms = Histogram("janusgraph_query_duration_ms", "Graph query latency in milliseconds",
                                  ["operation", "backend"], buckets=MS_BUCKETS, registry=registry)
        self.connection_errors = Counter("janusgraph_connection_errors_total",
                                         "Queries and writes that failed to reach the graph store",
                                         ["backend", "operation"], registry=registry)
        self.read_ms = Histogram("lineage_backend_read_latency_ms",
                                 "One read round trip to the graph store (a traversal), in milliseconds",
                                 ["backend"], buckets=MS_BUCKETS, registry=registry)

    def failed(self, operation: str, exc: BaseException) -> None:
        if is_connection_error(exc):
            self.connection_errors.labels(self.backend, operation).inc()

    def instrument(self, queries: Any) -> "Instrumented":
        return Instrumented(queries, self)

    def timed_connection(self, connection: Any) -> "TimedConnection":
        return TimedConnection(connection, self.read_ms.labels(self.backend).observe)

    def timed_graph(self, graph: Any) -> "TimedGraph":
        return TimedGraph(graph, self.read_ms.labels(self.backend).observe)


class Instrumented:
    """The query module with each public method counted and timed (``operation`` is
    the method's name). Everything else passes through unchanged."""

    def __init__(self, queries: Any, metrics: GraphMetrics) -> None:
        self._queries = queries
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._queries, name)
        if name.startswith("_") or not inspect.ismethod(attr):
            return attr
        metrics = self._metrics

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            except LineageError:
                raise          # a question with no answer (not found, bad depth) is still a query
            except Exception as exc:
                metrics.failed(name, exc)
                raise
            finally:
                metrics.queries.labels(name, metrics.backend).inc()
                metrics.query_ms.labels(name, metrics.backend).observe((time.perf_counter() - started) * 1000)

        timed.__name__ = name
        return timed


class TimedGraph:
    """A graph implementation that reads with SQL statements of its own (the embedded
    file): each call of one of its read methods is one read round trip."""

    READS = frozenset({"lookup", "find", "search", "describe", "hops", "expand", "vertices", "unread", "count",
                       "has_vertices", "consumers"})

    def __init__(self, graph: Any, observe: Callable[[float], None]) -> None:
        self._graph = graph
        self._observe = observe

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._graph, name)
        if name not in self.READS or not callable(attr):
            return attr
        observe = self._observe

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                observe((time.perf_counter() - started) * 1000)
        return timed


Graph.register(TimedGraph)   # it is the graph it wraps, as far as the query layer is concerned


class TimedConnection:
    """A TinkerPop remote connection whose traversals report their read time: the
    submit, plus the time spent fetching each result (gremlite reads lazily), observed
    once the results are consumed or dropped."""

    def __init__(self, connection: Any, observe: Callable[[float], None]) -> None:
        self._connection = connection
        self._observe = observe

    def submit(self, bytecode: Any) -> Any:
        from gremlin_python.driver.remote_connection import RemoteTraversal

        started = time.perf_counter()
        remote = self._connection.submit(bytecode)
        return RemoteTraversal(_TimedResults(remote.traversers, time.perf_counter() - started, self._observe))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class _TimedResults:
    def __init__(self, results: Any, spent: float, observe: Callable[[float], None]) -> None:
        self._results = results   # an iterator already (gremlite: iter() would change what it yields)
        self._spent = spent
        self._observe: Callable[[float], None] | None = observe

    def __iter__(self) -> "_TimedResults":
        return self

    def __next__(self) -> Any:
        started = time.perf_counter()
        try:
            return next(self._results)
        except StopIteration:
            self._report(time.perf_counter() - started)
            raise
        finally:
            self._spent += time.perf_counter() - started

    def _report(self, extra: float = 0.0) -> None:
        if self._observe is not None:
            observe, self._observe = self._observe, None
            observe((self._spent + extra) * 1000)

    def __del__(self) -> None:
        self._report()


class CassandraRing:
    """``lineage_cassandra_node_up``: the ring as the driver sees it. The first scrape
    looks; later ones answer at once with the last look and, when it is older than
    ``ttl`` seconds, start the next in the background (an unreachable node can take
    the connect timeout, longer than a scrape may). The driver's cluster stays open."""

    def __init__(self, settings: Settings, ttl: float = 15.0) -> None:
        self.settings = settings
        self.hosts = [h.strip() for h in settings["LINEAGE_CASSANDRA_HOSTS"].split(",") if h.strip()]
        self._ttl = ttl
        self._cluster: Any = None
        self._cached: tuple[float, dict[str, int]] | None = None
        self._refreshing = False
        self._lock = threading.Lock()

    def nodes(self) -> dict[str, int]:
        with self._lock:
            if self._cached is None:
                self._cached = (time.monotonic(), self._look())
            elif time.monotonic() - self._cached[0] > self._ttl and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="lineage-cassandra-ring", daemon=True).start()
            return self._cached[1]

    def _refresh(self) -> None:
        found: dict[str, int] = {}
        try:
            found = self._look()
        finally:
            with self._lock:
                self._cached = (time.monotonic(), found)
                self._refreshing = False

    def _look(self) -> dict[str, int]:
        from cassandra.cluster import Cluster

        try:
            if self._cluster is None:
                cluster = Cluster(self.hosts, port=self.settings["LINEAGE_CASSANDRA_PORT"], connect_timeout=5.0,
                                  control_connection_timeout=5.0)
                try:
                    cluster.connect()
                except Exception:
                    cluster.shutdown()
                    raise
                self._cluster = cluster
            return {str(h.address): int(bool(h.is_up)) for h in self._cluster.metadata.all_hosts()}
        except Exception as exc:
            log.warning("Cassandra ring not reachable at %s: %s", ",".join(self.hosts), exc)
            self.close()
            return {host: 0 for host in self.hosts}

    def collect(self) -> Any:
        family = GaugeMetricFamily("lineage_cassandra_node_up",
                                   "1 when the Cassandra node is up as the driver sees it, else 0",
                                   labels=["address"])
        for address, up in sorted(self.nodes().items()):
            family.add_metric([address], up)
        yield family

    def describe(self) -> list[Any]:
        return []

    def close(self) -> None:
        if self._cluster is not None:
            cluster, self._cluster = self._cluster, None
            try:
                cluster.shutdown()
            except Exception:  # shutting down a cluster that never connected
                pass
