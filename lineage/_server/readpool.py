"""GraphQL queries answered by reader processes.

One Python process has one interpreter lock. Under mixed load the writer
thread (projecting events), the event loop (HTTP, JSON) and the GraphQL
reads all take turns on it, so a read waits behind every write's Python
work even though SQLite in WAL mode would let it read at once. With
``LINEAGE_READ_PROCESSES`` = N > 0 on the embedded file, ``lineage serve``
keeps HTTP, authentication, mutations and the one writer in its own process
and sends each GraphQL *query* to one of N reader processes. Each reader runs
the same schema on its own read connections to the WAL file, one request at
a time, and sees every commit as soon as it is made.

What stays the same as in-process: the budget (``LINEAGE_QUERY_TIMEOUT``
stops the reader's statements; a client that disconnects cancels them through
a flag the reader's progress handler reads), error masking, and the metrics
(each answer carries its resolver and graph-query timings, which the serving
process adds to ``/metrics``). A reader that dies is replaced and the query
is answered in-process.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import signal
import time
from typing import Any, Callable

import anyio
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from strawberry.types.graphql import OperationType as StrawberryOperation
from strawberry.types import ExecutionResult

from .._errors import QueryTimeout
from .._settings import Settings
from ..limits import deadline

log = logging.getLogger("lineage.readers")
_CTX = multiprocessing.get_context("spawn")   # never fork a process that has threads and open connections
MAX_TOKENS = 5000   # the schema's own token limit (MaxTokensLimiter)


@functools.lru_cache(maxsize=256)
def is_query(text: str, operation_name: str | None) -> bool:
    """Whether ``text`` asks for exactly one query operation (named ``operation_name``
    when given). Anything else (mutations, syntax errors, ambiguity) is answered
    in-process, which also gives the usual error. Bounded like the schema's caches."""
    try:
        document = parse(text, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [d for d in operations if d.name is not None and d.name.value == operation_name]
    return len(operations) == 1 and operations[0].operation == OperationType.QUERY


class _Formatted:
    """An error as the reader formatted it (what ``process_result`` reads)."""

    def __init__(self, formatted: dict[str, Any]) -> None:
        self.formatted = formatted


class _Tape:
    """Stands in for a Prometheus metric in a reader: records what would be counted,
    for the serving process to replay into its own registry."""

    def __init__(self, name: str, records: list[tuple[str, tuple[str, ...], str, float]]) -> None:
        self._name, self._records = name, records

    def labels(self, *values: str) -> "_Tape":
        child = _Tape(self._name, self._records)
        child._values = values  # type: ignore[attr-defined]
        return child

    def inc(self, amount: float = 1.0) -> None:
        self._records.append((self._name, getattr(self, "_values", ()), "inc", amount))

    def observe(self, value: float) -> None:
        self._records.append((self._name, getattr(self, "_values", ()), "observe", value))


TAPED = ("resolver_seconds", "graph.queries", "graph.query_ms", "graph.connection_errors", "graph.read_ms")


def _metric(metrics: Any, name: str) -> Any:
    for part in name.split("."):
        metrics = getattr(metrics, part)
    return metrics


class _SharedBudget(deadline.Budget):
    """A request budget that the serving process can also cancel (the client left)."""

    def __init__(self, seconds: float, flag: Any) -> None:
        super().__init__(seconds)
        self._flag = flag

    def expired(self) -> bool:
        if self._flag.value:
            self.cancelled = True
        return super().expired()


class _ReaderState:
    """What the schema's resolvers need from the app, in a reader process."""

    inline_reads = True   # one request at a time: its reads run on the reader's own thread

    def __init__(self, settings: Settings) -> None:
        from prometheus_client import CollectorRegistry

        from .graph_metrics import GraphMetrics, backend_label
        from .readers import Readers

        self.settings = settings
        self.records: list[tuple[str, tuple[str, ...], str, float]] = []
        self.metrics = type("Metrics", (), {})()
        self.metrics.graph = GraphMetrics(CollectorRegistry(), backend_label(settings))
        for name in TAPED:
            owner, _, attr = name.rpartition(".")
            setattr(_metric(self.metrics, owner) if owner else self.metrics, attr, _Tape(name, self.records))
        self.readers = Readers(settings, wrap=self.metrics.graph.timed_connection,
                               wrap_graph=self.metrics.graph.timed_graph)

    def analysis(self) -> Any:
        return self.metrics.graph.instrument(self.readers.analysis())


def _serve(conn: Any, cancel: Any, settings: Settings) -> None:
    """A reader process: answer queries from ``conn`` until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the serving process's to handle
    state = _ReaderState(settings)
    loop = asyncio.new_event_loop()
    try:
        _answer(conn, cancel, state, loop)
    finally:
        loop.close()
        state.readers.close()


def _answer(conn: Any, cancel: Any, state: _ReaderState, loop: asyncio.AbstractEventLoop) -> None:
    """One request at a time, all on this thread: the message is read here and the
    query's reads run inline (``inline_reads``). Handing each to a worker thread
    would add a thread wake-up per hop, and on a busy machine every wake-up waits
    for a CPU; with one request at a time a thread buys nothing."""
    from .._gql import schema
    from .._gql.context import Context

    timeout = state.settings["LINEAGE_QUERY_TIMEOUT"]
    # warm up before the first request (its budget must not pay for imports and connections)
    loop.run_until_complete(schema.execute("{ __typename }", context_value=Context(state)))
    state.analysis().graph.has_vertices()
    state.records.clear()
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        query, variables, operation_name = message
        state.records.clear()
        context = Context(state)
        context.budget = _SharedBudget(timeout, cancel)
        started = time.perf_counter()
        try:
            result = loop.run_until_complete(schema.execute(
                query, variable_values=variables, context_value=context, operation_name=operation_name,
                allowed_operation_types={StrawberryOperation.QUERY}))
            answer = ("ok", result.data, [e.formatted for e in result.errors or ()], result.extensions)
        except Exception as exc:   # e.g. an operation type the parent should not have sent
            answer = ("error", f"{type(exc).__name__}: {exc}", [], None)
        conn.send((answer, list(state.records), time.perf_counter() - started))


class _Reader:
    def __init__(self, settings: Settings) -> None:
        self.conn, child = _CTX.Pipe()
        self.cancel = _CTX.Value("b", 0, lock=False)
        self.process = _CTX.Process(target=_serve, args=(child, self.cancel, settings), name="lineage-reader",
                                    daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def call(self, message: tuple[Any, ...], wait: float) -> Any:
        """Send one query and wait for its answer (in a worker thread: this blocks)."""
        if not self.ready:   # a new reader says when it has started
            if not self.conn.poll(wait) or self.conn.recv() != "ready":
                raise TimeoutError
            self.ready = True
        self.cancel.value = 0
        self.conn.send(message)
        if not self.conn.poll(wait):
            raise TimeoutError
        return self.conn.recv()

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)
        self.conn.close()


class ReadPool:
    """N reader processes; a query waits for an idle one."""

    def __init__(self, settings: Settings, processes: int, replay: Callable[[list[Any]], None],
                 timed: Callable[[float, float, float], None] | None = None) -> None:
        self.settings = settings
        self._replay = replay
        # per answered query: seconds waiting for an idle reader, the round trip to it,
        # and the part of that the reader spent executing (the rest is pipes and pickling)
        self._timed = timed
        self._readers = [_Reader(settings) for _ in range(processes)]
        self._idle: asyncio.Queue[_Reader] | None = None
        # past the request budget, a reader that has not answered is stuck: replace it
        self._wait = settings["LINEAGE_QUERY_TIMEOUT"] + 30.0

    @property
    def pids(self) -> list[int]:
        return [r.process.pid for r in self._readers if r.process.pid is not None]

    def _queue(self) -> "asyncio.Queue[_Reader]":
        if self._idle is None:
            self._idle = asyncio.Queue()
            for reader in self._readers:
                self._idle.put_nowait(reader)
        return self._idle

    async def execute(self, query: str, variables: dict[str, Any] | None, operation_name: str | None,
                      disconnected: Callable[[], Any] | None) -> ExecutionResult | None:
        """The query's result from a reader, or None when no reader could answer
        (then the caller answers in-process)."""
        idle = self._queue()
        asked = time.perf_counter()
        reader = await idle.get()
        took = time.perf_counter()
        if not reader.ready and not reader.conn.poll(0):
            idle.put_nowait(reader)   # still starting: answer in-process rather than wait for it
            return None
        replace = False
        watcher = asyncio.ensure_future(self._watch(reader, disconnected)) if disconnected is not None else None
        try:
            (status, data, errors, extensions), records, executing = await anyio.to_thread.run_sync(
                reader.call, (query, variables, operation_name), self._wait)
        except TimeoutError:
            replace = True
            log.error("a reader process did not answer within %.0f s; replacing it", self._wait)
            raise QueryTimeout("the query did not finish in time and was stopped; ask for less") from None
        except (EOFError, OSError) as exc:
            replace = True
            log.error("a reader process failed (%s); replacing it and answering in-process", exc)
            return None
        finally:
            if watcher is not None:
                watcher.cancel()
            if replace:
                reader = await anyio.to_thread.run_sync(self._replace, reader)
            idle.put_nowait(reader)
        self._replay(records)
        if self._timed is not None:
            self._timed(took - asked, time.perf_counter() - took, executing)
        if status != "ok":
            log.error("reader process: %s", data)
            return None
        return ExecutionResult(data=data, errors=[_Formatted(e) for e in errors] or None,  # type: ignore[misc]
                               extensions=extensions)

    @staticmethod
    async def _watch(reader: _Reader, disconnected: Callable[[], Any]) -> None:
        while not await disconnected():
            await anyio.sleep(0.25)
        reader.cancel.value = 1

    def _replace(self, reader: _Reader) -> _Reader:
        reader.process.kill()
        reader.stop(timeout=5)
        fresh = _Reader(self.settings)
        self._readers[self._readers.index(reader)] = fresh
        return fresh

    def close(self) -> None:
        for reader in self._readers:
            reader.stop()
        self._readers = []


def timed_into(metrics: Any) -> Callable[[float, float, float], None]:
    """Records a pooled query's wait, round trip and execution time in /metrics."""

    def timed(wait: float, round_trip: float, executing: float) -> None:
        metrics.read_pool_wait.observe(wait)
        metrics.read_pool_round_trip.observe(round_trip)
        metrics.read_pool_execute.observe(executing)
    return timed


def replay_into(metrics: Any) -> Callable[[list[Any]], None]:
    """Adds a reader's recorded observations to the serving process's metrics."""

    def replay(records: list[Any]) -> None:
        for name, labels, method, value in records:
            metric = _metric(metrics, name)
            if labels:
                metric = metric.labels(*labels)
            getattr(metric, method)(value)
    return replay
