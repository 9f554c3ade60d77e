"""Logged acknowledgements on a Gremlin Server (``LINEAGE_INGEST_ACK=logged``).

A JanusGraph commit that takes a lock waits ``storage.lock.wait-time`` (100 ms
by default) and spends server CPU on the lock; the projection of an event takes
several (each vertex's revision, the unique identity and fingerprint indexes).
So here a request waits only for the raw event to be durable in the shared log:

1. Logger threads take every request queued (up to ``LINEAGE_BATCH_SIZE``
   events), read which fingerprints are logged already and write the new events
   as inbox ``Event`` vertices, one traversal without locks
   (:meth:`~lineage._eventlog.GraphEventLog.log_pending`), then answer each
   request (202).
2. The logged events go to the writer threads, which apply them as they apply
   any group (one guarded, locked traversal per group of up to
   :data:`~lineage._store.SERVER_TX_EVENTS` events, big groups: one lock wait for
   many events) and promote their log entries in the same transaction.
3. A sweep applies inbox events older than ``LINEAGE_INBOX_SWEEP_SECONDS`` that
   are still pending: their replica stopped after logging them, or fell so far
   behind that it stopped holding them in memory.

Applying is idempotent (merges are monotonic; a promoted fingerprint is never
applied twice), so an event applied by its replica and by a sweep at once is
harmless: the guarded writes refuse the second writer and its retry finds the
event applied.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone
from typing import Callable

from .._events import Event, parse_event
from .._store import LineageStore
from .worker import Outcome, WriteWorker, _Job

log = logging.getLogger("lineage.inbox")

# Events held in memory for the writer threads at most; past it, logged events wait
# in the inbox for the sweep (the log is durable, memory is not the queue).
HELD_EVENTS = 20_000


class LogWorker(WriteWorker):
    """Writer-thread grouping (see :class:`WriteWorker`), but each group is only
    logged to the inbox; the new events are then handed to ``applier``."""

    def __init__(self, open_store: Callable[[], LineageStore], batch_size: int, applier: WriteWorker,
                 threads: int = 2, on_error: Callable[[BaseException], None] | None = None) -> None:
        self._applier = applier
        self._held = 0
        self._held_lock = threading.Lock()
        self.in_flight: set[str] = set()       # fingerprints handed to the applier, not yet applied
        super().__init__(open_store, batch_size, threads, on_error=on_error)

    def _commit(self, store: LineageStore, group: list[_Job]) -> None:
        events = [e for job in group for e in job.events]
        try:
            marks = store.log_pending(events)
        except BaseException as exc:
            log.error("logging failed for %d events: %s", len(events), exc)
            if self._on_error is not None:
                self._on_error(exc)
            for job in group:
                job.future.set_exception(exc)
            return
        at = 0
        for job in group:
            job.future.set_result(Outcome(marks[at:at + len(job.events)]))
            at += len(job.events)
        self.hand_over([e for e, new in zip(events, marks) if new])

    def hand_over(self, events: list[Event]) -> None:
        """Give logged events to the applier, unless it holds too many already."""
        events = [e for e in events if e.fingerprint not in self.in_flight]
        if not events:
            return
        with self._held_lock:
            if self._held + len(events) > HELD_EVENTS:
                log.warning("%d logged events left to the inbox sweep: the writers are %d events behind",
                            len(events), self._held)
                return
            self._held += len(events)
            self.in_flight.update(e.fingerprint for e in events)
        self._applier.apply_pending(events).add_done_callback(lambda f: self._applied(events, f))

    def _applied(self, events: list[Event], future: Future) -> None:
        with self._held_lock:
            self._held -= len(events)
            self.in_flight.difference_update(e.fingerprint for e in events)
        if future.exception() is not None:   # logged, so the sweep applies them later
            log.warning("%d logged events not applied yet (%s); the inbox sweep retries them",
                        len(events), future.exception())


class Sweep:
    """Every ``seconds``, hands inbox events older than that to the applier."""

    def __init__(self, open_store: Callable[[], LineageStore], logger: LogWorker, seconds: int) -> None:
        self._open_store = open_store
        self._logger = logger
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lineage-inbox-sweep", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        store: LineageStore | None = None
        try:
            while not self._stop.wait(self._seconds):
                try:
                    store = store or self._open_store()
                    self.sweep(store)
                except Exception:
                    log.exception("inbox sweep failed; trying again in %s s", self._seconds)
        finally:
            if store is not None:
                store.close()

    def sweep(self, store: LineageStore) -> int:
        cutoff = (datetime.now(timezone.utc) - timedelta(seconds=self._seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        rows = store.backend.log.pending(older_than=cutoff)
        events = [dataclasses.replace(store.prepare(parse_event(raw)), fingerprint=fp) for fp, raw in rows]
        if events:
            log.info("applying %d logged events left in the inbox", len(events))
            self._logger.hand_over(events)
        return len(events)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


class Inbox:
    """The logged-acknowledgement path of one `lineage serve` process."""

    def __init__(self, open_store: Callable[[], LineageStore], batch_size: int, applier: WriteWorker,
                 sweep_seconds: int, on_error: Callable[[BaseException], None] | None = None) -> None:
        self.logger = LogWorker(open_store, batch_size, applier, on_error=on_error)
        self.sweep = Sweep(open_store, self.logger, sweep_seconds)

    async def submit(self, events: list[Event]) -> Outcome:
        """Log ``events`` (audit-stamped in the request's context); durable on return."""
        return await self.logger.submit(events)

    def close(self) -> None:
        self.sweep.close()
        self.logger.close()

