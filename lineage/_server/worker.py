"""Writes from many requests, committed together.

One thread owns the writing store. Requests hand it parsed events and wait;
the thread takes everything queued (up to ``LINEAGE_BATCH_SIZE`` events),
projects it in one transaction, and answers each request with its own share
of the result. Concurrent single-event POSTs therefore cost one commit per
group, not one per event, and nothing is acknowledged before it is durable.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable

from .._events import Event
from ..catalog.audit import stamp_all
from .._store import LineageStore

log = logging.getLogger("lineage.writer")


@dataclass
class Outcome:
    fresh: list[bool]            # per event: newly accepted (False: already logged)


@dataclass
class _Job:
    future: Future
    events: list[Event] = field(default_factory=list)


class WriteWorker:
    def __init__(self, open_store: Callable[[], LineageStore], batch_size: int) -> None:
        self._open_store = open_store
        self._batch_size = batch_size
        self._queue: "queue.Queue[_Job | None]" = queue.Queue()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.store: LineageStore | None = None
        self._thread = threading.Thread(target=self._run, name="lineage-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error:
            raise self._error

    def _put(self, events: list[Event]) -> Future:
        job = _Job(Future(), events)
        self._queue.put(job)
        return job.future

    async def submit(self, events: list[Event]) -> Outcome:
        return await asyncio.wrap_future(self._put(stamp_all(events)))

    def submit_sync(self, events: list[Event]) -> Outcome:
        """Like :meth:`submit`, from a plain thread."""
        return self._put(stamp_all(events)).result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            self.store = self._open_store()
        except BaseException as exc:  # reported to the constructor
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            stopping = False
            while not stopping:
                job = self._queue.get()
                if job is None:
                    return
                group = [job]
                size = len(job.events)
                while size < self._batch_size:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stopping = True   # finish this group, then stop
                        break
                    group.append(nxt)
                    size += len(nxt.events)
                self._commit(group)
        finally:
            self.store.close()

    def _commit(self, group: list[_Job]) -> None:
        events = [e for job in group for e in job.events]
        try:
            fresh, _ = self.store.project(events)
        except BaseException as exc:
            log.error("projection failed for %d events: %s", len(events), exc)
            for job in group:
                job.future.set_exception(exc)
            return
        new = {e.fingerprint for e in fresh}
        for job in group:
            marks = []
            for e in job.events:
                marks.append(e.fingerprint in new)
                new.discard(e.fingerprint)   # a repeat inside the group is a duplicate
            job.future.set_result(Outcome(marks))
