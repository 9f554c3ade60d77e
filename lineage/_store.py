"""The lineage store: the event log, the translator and a graph, kept in step.

:meth:`LineageStore.ingest` is the single write path. Events are validated,
appended to the log (re-sent events are recognised and skipped), translated,
and projected; the log entry and the projection commit together: in one SQLite
transaction on the embedded store, in one write traversal (one JanusGraph
transaction) on a Gremlin Server. Only then does ``ingest`` return.

A write that loses a race with another writer (lock contention, a vertex that
changed since it was read, a concurrent create, a temporary backend failure, a
timeout; see :mod:`lineage._retry`) is retried with fresh state, with bounded,
jittered backoff; only when the attempts run out does it fail with a
:class:`~lineage.BackendError` (HTTP 503 with ``Retry-After``).

After the commit the new events go to the ``observers`` (the provenance
recorder is one). Retention goes through two small methods,
:meth:`LineageStore.expire_runs` and :meth:`LineageStore.expire_events`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from . import _model as m
from ._backends import GraphBackend, open_backend
from ._errors import BackendError, InvalidEvent, LineageError
from ._events import Event, parse_event
from ._retry import Backoff, retriable
from ._settings import Settings
from ._sql import resolve_sql, shared_parser
from ._translate import Translator
from ._writer import GraphWriter, WriteStats
from .graph import open_graph
from .graph.sizes import add_created

logger = logging.getLogger("lineage.store")
# Events per write transaction on a Gremlin Server: each is one traversal, which
# the server must evaluate within its evaluationTimeout even on a busy machine.
SERVER_TX_EVENTS = 100


@dataclass
class Rejected:
    index: int
    reason: str
    field: str | None = None
    retriable: bool = False


@dataclass
class IngestResult:
    """What became of a batch of events: accepted (new), duplicates, rejected."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    writes: WriteStats = field(default_factory=WriteStats)

    def merge(self, other: "IngestResult", offset: int) -> None:
        self.received += other.received
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(Rejected(r.index + offset, r.reason, r.field, r.retriable) for r in other.rejected)
        for key, value in vars(other.writes).items():
            mine = getattr(self.writes, key)
            if isinstance(mine, dict):
                for name, n in value.items():
                    mine[name] = mine.get(name, 0) + n
            else:
                setattr(self.writes, key, mine + value)


class LineageStore:
    """Opens the configured graph; use as a context manager or call :meth:`close`."""

    def __init__(self, settings: Settings | None = None, backend: GraphBackend | None = None,
                 provenance: Any = None) -> None:
        self.settings = settings or Settings.from_env()
        self.backend = backend or open_backend(self.settings)
        self.sql_parser = shared_parser(self.settings["LINEAGE_SQL_MAX_BYTES"], self.settings["LINEAGE_SQL_TIMEOUT"])
        self.translator = Translator(self.settings.default_namespace, self.settings["LINEAGE_MAX_DERIVED_EDGES"],
                                     self.sql_parser)
        gremlin_writer = GraphWriter(self.backend.g, chunk=self.settings["LINEAGE_WRITE_CHUNK"] or self.backend.write_chunk,
                                     new_vertex_cardinality=self.backend.new_vertex_cardinality,
                                     atomic=self.backend.atomic_writes)
        self._gremlin_writer = gremlin_writer
        self.graph = open_graph(self.backend, self.settings["LINEAGE_EMBEDDED_ENGINE"], gremlin_writer)
        self.writer = self.graph  # applies translated batches (SQL on the embedded file, else Gremlin)
        self.backoff = Backoff(attempts=self.settings["LINEAGE_WRITE_ATTEMPTS"])
        self._lock = threading.RLock()
        self._closed = False
        # called with the newly accepted events after each commit (never inside the transaction)
        self.observers: list[Callable[[list[Event]], None]] = []
        # provenance: a recorder passed in (the server shares one), False for none, or by default
        # the store's own when LINEAGE_PROVENANCE_ENABLED (flushed when the store closes)
        self._owns_provenance = provenance is None and self.settings["LINEAGE_PROVENANCE_ENABLED"]
        if self._owns_provenance:
            from .provenance.recorder import recorder_for
            provenance = recorder_for(self)
        self.provenance = provenance or None
        if self.provenance:
            self.observers.append(self.provenance.observe)

    @property
    def g(self):
        return self.backend.g

    def __enter__(self) -> "LineageStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                if self._owns_provenance:
                    self.provenance.flush_finished_hours()
            except Exception:  # provenance never costs the caller their graph
                logger.exception("provenance flush on close failed")
            finally:
                self.backend.close()

    # -- writing ---------------------------------------------------------------

    def ingest(self, raw_events: Iterable[Any]) -> IngestResult:
        """Validate, log and project events; invalid ones are reported, not raised."""
        raw_list = list(raw_events)
        result = IngestResult(received=len(raw_list))
        parsed: list[Event] = []
        for index, raw in enumerate(raw_list):
            try:
                parsed.append(self.prepare(parse_event(raw)))
            except InvalidEvent as exc:
                result.rejected.append(Rejected(index, exc.message, exc.field))
        size = self.settings["LINEAGE_BATCH_SIZE"]
        for start in range(0, len(parsed), size):
            part = parsed[start:start + size]
            fresh, writes = self.project(part)
            result.accepted += len(fresh)
            result.duplicates += len(part) - len(fresh)
            result.merge(IngestResult(writes=writes), 0)
        return result

    def prepare(self, event: Event) -> Event:
        """Work done before the write transaction: the inputs of a SQL facet are parsed
        here (bounded, in a worker process), not while the writer holds the graph."""
        return resolve_sql(event, self.sql_parser)

    def project(self, events: list[Event], *, pending: bool = False) -> tuple[list[Event], WriteStats]:
        """Log and project parsed events; return those that were new. One transaction on
        the embedded store; on a server, one per :data:`SERVER_TX_EVENTS` events (a
        traversal the server evaluates within its timeout). The observers see the new
        events after the commit. ``pending``: the events were logged to the inbox by
        :meth:`log_pending` (a server only); their log entries are promoted instead."""
        fresh, writes = self._write(events, log=True, promote=pending)
        for observer in self.observers:
            try:
                observer(fresh)
            except Exception:  # an observer's failure must not fail a committed write
                logger.exception("observer %r failed", observer)
        return fresh, writes

    def log_pending(self, events: list[Event]) -> list[bool]:
        """A Gremlin Server only: log the events to the shared log's inbox without applying
        them, in one lock-free traversal; return, per event, whether it was new. Durable
        on return; :meth:`project` with ``pending=True`` applies them later."""
        if not self.backend.atomic_writes:
            raise LineageError("only a Gremlin Server's event log has an inbox; project() the events instead")
        return self._retrying(lambda: self.backend.log.log_pending(events), "log")

    def pending_count(self) -> int:
        """Events logged but not applied yet (always 0 on the embedded store)."""
        return self.backend.log.pending_count() if self.backend.atomic_writes else 0

    def _retrying(self, fn: Callable[[], Any], what: str, abort: Callable[[], None] | None = None) -> Any:
        """``fn()``, tried again with jittered backoff while it fails in a way that says
        trying again may succeed; ``abort`` (if given) cleans up after every failure."""
        attempts = self.backoff.attempts
        for attempt in range(1, attempts + 1):
            try:
                return fn()
            except LineageError:
                if abort is not None:
                    abort()
                raise
            except Exception as exc:
                if abort is not None:
                    abort()
                reason = retriable(exc)
                if reason is None:
                    raise BackendError(
                        f"the graph store rejected the {what} ({type(exc).__name__}: {_short(exc)}); "
                        f"check that {self.backend.describe()} is up and its schema is loaded") from exc
                if attempt == attempts:
                    raise BackendError(
                        f"the {what} failed {attempts} times ({reason}: {_short(exc)}); "
                        f"{self.backend.describe()} is busy, retry later", retry_after=1) from exc
                delay = self.backoff.delay(attempt)
                logger.info("%s retried (%s/%s, %s) in %.0f ms", what, attempt, attempts, reason, delay * 1000)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _write(self, events: list[Event], *, log: bool, promote: bool = False) -> tuple[list[Event], WriteStats]:
        step = SERVER_TX_EVENTS if self.backend.atomic_writes else max(1, len(events))
        fresh: list[Event] = []
        writes = IngestResult()
        for i in range(0, len(events), step):
            part_fresh, part_writes = self._transaction(events[i:i + step], log=log, promote=promote)
            fresh.extend(part_fresh)
            writes.merge(IngestResult(writes=part_writes), 0)
        return fresh, writes.writes

    def _transaction(self, events: list[Event], *, log: bool, promote: bool = False) -> tuple[list[Event], WriteStats]:
        """Project ``events`` (appending the new ones to the log first when ``log``) in one
        transaction. Lost races are retried with fresh state; other failures roll back
        and raise."""
        def attempt() -> tuple[list[Event], WriteStats]:
            stale = self.backend.begin()
            if log and self.backend.atomic_writes:
                # one read for the group: which events are logged already, and the
                # state of every vertex they name (with its out-edges)
                batch = self.translator.translate_all(events)
                known = self._gremlin_writer.prefetch(batch, [e.fingerprint for e in events], fresh=stale)
                fresh = self.backend.log.append(events, known=known, promote=promote)
                if len(fresh) != len(events):
                    batch = self.translator.translate_all(fresh)
                stale = False
            else:
                fresh = self.backend.log.append(events) if log else events
                batch = self.translator.translate_all(fresh)
            writes = self.writer.apply(batch, fresh=stale, also=self.backend.log.pending_writes())
            if self.backend.kind == "embedded":   # the file's own counts, in the same commit
                add_created(self.backend.con, writes.created)
            self.backend.commit()
            return fresh, writes

        with self._lock:
            return self._retrying(attempt, "write", abort=self._abort)

    def _abort(self) -> None:
        try:
            self.backend.rollback()
        finally:
            self.backend.log.discard()
            self.writer.invalidate()

    # -- maintenance -------------------------------------------------------------

    def event_count(self) -> int:
        return self.backend.log.count()

    def snapshot(self) -> dict[str, Any]:
        """The whole graph as plain, id-free data (for tests, rebuild checks, export);
        the event log and each vertex's write revision are left out."""
        return self.graph.snapshot()

    def clear_graph(self, *, events: bool = False) -> None:
        """Drop every vertex and edge of the lineage graph; the event log is kept
        unless ``events`` (which empties it too)."""
        with self._lock:
            self.backend.begin()
            self.graph.clear()
            if events:
                self.backend.log.clear()
            self.backend.commit()
            self.writer.invalidate()

    def expire_runs(self, before: str, dry_run: bool = False) -> int:
        """Delete Run vertices (and their RUN_OF edges) that ended, or were last heard
        of, before the ISO time ``before``; return how many (would) go. Nothing else
        in the graph is touched: pipelines, datasets and lineage edges stay."""
        with self._lock:
            old = [vid for vid, run in self.graph.records(m.RUN).items() if _last_heard(run) < before]
            if dry_run or not old:
                return len(old)
            self._begin()
            try:
                for i in range(0, len(old), 500):
                    self.g.V(*old[i:i + 500]).drop().iterate()
                self.backend.commit()
            except Exception:
                self._abort()
                raise
            self.writer.invalidate()
            return len(old)

    def expire_events(self, before: str, dry_run: bool = False) -> int:
        """Delete event-log rows older than the ISO time ``before``, keeping what a
        rebuild needs to draw every lineage edge (see :meth:`EventLog.expire`);
        return how many (would) go."""
        with self._lock:
            added = 1
            while added:            # index new events in small transactions: writers wait little
                self._begin()
                try:
                    added = self.backend.log.index_signatures()
                    count = self.backend.log.expire(before, dry_run=True) if not added and dry_run else 0
                    self.backend.commit()
                except Exception:
                    self._abort()
                    raise
            if dry_run:
                return count
            self._begin()
            try:
                count = self.backend.log.expire(before)
                self.backend.commit()
            except Exception:
                self._abort()
                raise
            return count

    def _begin(self) -> None:
        """Begin a write outside :meth:`_transaction`, dropping cached state another writer made stale."""
        if self.backend.begin():
            self.writer.invalidate()

    def rebuild(self) -> IngestResult:
        """Replay the event log into an empty graph; the result equals the graph
        that live ingestion built."""
        self.clear_graph()
        result = IngestResult()
        offset = 0
        for batch in self.backend.log.replay(self.settings["LINEAGE_BATCH_SIZE"]):
            events = [self.prepare(parse_event(raw)) for raw in batch]
            _, writes = self._write(events, log=False)
            result.merge(IngestResult(received=len(events), accepted=len(events), writes=writes), offset)
            offset += len(events)
        return result



def _last_heard(run: dict[str, Any]) -> str:
    """When a run ended, else when it was last heard of ("" when neither is known)."""
    for key in ("ended_at", "last_seen"):
        if key in run:
            return run[key] or ""
    return ""


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "..."
