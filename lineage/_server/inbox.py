"""Logged acknowledgements on a Gremlin Server (``LINEAGE_INGEST_ACK=logged``).

A JanusGraph commit that takes a lock waits ``storage.lock.wait-time`` (100 ms
by default) and spends server CPU on the lock; the projection of an event takes
several (each vertex's revision, the unique identity and fingerprint indexes),
and two replicas projecting the same jobs and datasets refuse each other's
commits. So here a request waits only for the raw event to be durable in the
shared log, and one replica at a time projects:

1. Logger threads take every request queued (up to ``LINEAGE_BATCH_SIZE``
   events), read which fingerprints are logged already and write the new events
   as inbox ``Event`` vertices, one traversal without locks
   (:meth:`~lineage._eventlog.GraphEventLog.log_pending`), then answer each
   request (202).
2. Every replica runs an applier thread; the one holding the ``applier`` lease
   (:mod:`lineage._lease`) reads the inbox, up to ``LINEAGE_BATCH_SIZE`` events
   at a time, and applies them in big groups (one guarded, locked traversal per
   :data:`~lineage._store.SERVER_TX_EVENTS` events: one lock wait for many
   events), promoting their log entries in the same transaction. When it stops,
   or stops renewing, another replica takes the lease and the backlog over.

Applying is idempotent (merges are monotonic; a promoted fingerprint is never
applied twice) and guarded, so two appliers at once (a holder paused past its
lease) are harmless: the guarded writes refuse one and its retry finds the
events applied.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any, Callable

from .._events import Event, parse_event
from .._lease import Lease
from .._store import LineageStore
from .._writer import WriteStats
from .worker import Outcome, WriteWorker, _Job

log = logging.getLogger("lineage.inbox")


class LogWorker(WriteWorker):
    """Writer-thread grouping (see :class:`WriteWorker`), but each group is only
    logged to the inbox."""

    _log = log

    def _commit(self, store: LineageStore, group: list[_Job]) -> None:
        events = [e for job in group for e in job.events]
        try:
            marks = store.log_pending(events)
        except BaseException as exc:
            self._fail(group, exc, f"logging failed for {len(events)} events")
            return
        at = 0
        for job in group:
            job.future.set_result(Outcome(marks[at:at + len(job.events)]))
            at += len(job.events)


class Applier:
    """Applies the inbox while this process holds the ``applier`` lease."""

    IDLE = 0.05        # seconds between polls of an empty inbox

    def __init__(self, open_store: Callable[[], LineageStore], batch_size: int, lease_seconds: int,
                 on_commit: Callable[[list[Event], WriteStats], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        self._open_store = open_store
        self._batch_size = batch_size
        self._lease_seconds = lease_seconds
        self._on_commit = on_commit
        self._on_error = on_error
        self._stop = threading.Event()
        self.lease: Lease | None = None
        self._thread = threading.Thread(target=self._run, name="lineage-inbox-applier", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        store: LineageStore | None = None
        try:
            while not self._stop.is_set():
                try:
                    store = store or self._open_store()
                    self.lease = self.lease or Lease(store.g, "applier", self._lease_seconds)
                    if not self.lease.hold():
                        self._stop.wait(min(1.0, self._lease_seconds / 3))
                    elif not self.apply(store):
                        self._stop.wait(self.IDLE)
                except Exception as exc:
                    log.error("applying logged events failed (retried): %s", exc)
                    if self._on_error is not None:
                        self._on_error(exc)
                    self._stop.wait(1.0)
        finally:
            if store is not None:
                if self.lease is not None:
                    self.lease.release()
                store.close()

    def apply(self, store: LineageStore) -> int:
        """Apply up to a batch of inbox events; return how many were read."""
        rows = store.backend.log.pending(limit=self._batch_size)
        events = [dataclasses.replace(store.prepare(parse_event(raw)), fingerprint=fp) for fp, raw in rows]
        if events:
            fresh, writes = store.project(events, pending=True)
            if self._on_commit is not None:
                self._on_commit(fresh, writes)
        return len(events)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


class Inbox:
    """The logged-acknowledgement path of one `lineage serve` process: its loggers,
    and its applier (working while it holds the lease)."""

    def __init__(self, open_store: Callable[[], LineageStore], batch_size: int, lease_seconds: int,
                 on_commit: Callable[[list[Event], WriteStats], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None, apply_store: Any = None) -> None:
        self.logger = LogWorker(open_store, batch_size, threads=2, on_error=on_error)
        self.applier = Applier(apply_store or open_store, batch_size, lease_seconds, on_commit, on_error)

    async def submit(self, events: list[Event]) -> Outcome:
        """Log ``events`` (audit-stamped in the request's context); durable on return."""
        return await self.logger.submit(events)

    def close(self) -> None:
        self.applier.close()
        self.logger.close()
