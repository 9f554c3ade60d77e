"""Writes from many requests, committed together.

Writer threads own the writing stores. Requests hand them parsed events and
wait; a free thread takes everything queued (up to ``LINEAGE_BATCH_SIZE``
events), projects it in one transaction, and answers each request with its
own share of the result. Concurrent single-event POSTs therefore cost one
commit per group, not one per event, and nothing is acknowledged before it is
durable.

The embedded file takes one writer at a time, so it gets one thread. A
Gremlin Server gets ``LINEAGE_WRITE_THREADS`` (each with its own connection):
a JanusGraph commit that takes locks waits ``storage.lock.wait-time`` on the
server, and meanwhile the next group can already be read and sent. Threads of
one process never write groups that name the same job, run or dataset at the
same time (they would only refuse each other's commits); other processes are
kept in step by the guarded writes themselves. There a thread that finds
few requests queued also lingers a few milliseconds for more (``linger``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from .._events import Event
from ..catalog.audit import stamp_all
from .._store import LineageStore
from .._writer import WriteStats
from .readsfirst import ReadsFirst

log = logging.getLogger("lineage.writer")

# With ``linger``, a writer thread that found the queue short waits for more requests
# up to this share of its last commit's time, never longer than the cap (seconds): on
# a Gremlin Server every commit waits the lock wait, so a commit of four requests
# costs little more than one of one, while a client's next request is milliseconds away.
LINGER_SHARE = 0.1
LINGER_CAP = 0.02


def lower_priority(niceness: int) -> None:
    """Add ``niceness`` to the calling thread's scheduling niceness (Linux schedules
    threads one by one, so the rest of the process keeps its priority). On a busy
    machine the writer's Python work then yields the CPU to request handling and to
    the reader processes: reads stay fast, writes take longer. Where per-thread
    priorities are not available this does nothing."""
    if not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))
    except OSError as exc:
        log.warning("could not lower the writer's priority: %s", exc)


@dataclass
class Outcome:
    fresh: list[bool]            # per event: newly accepted (False: already logged)


def _touches(events: list[Event]) -> set[str]:
    """The jobs, runs and datasets a group of events names."""
    keys: set[str] = set()
    for ev in events:
        if ev.job_name:
            keys.add(f"job {ev.job_namespace}/{ev.job_name}")
        if ev.run_id:
            keys.add(f"run {ev.run_id}")
        for ds in (*ev.inputs, *ev.outputs, *((ev.dataset,) if ev.dataset else ())):
            keys.add(f"dataset {ds.namespace}/{ds.name}")
    return keys


class _Claims:
    """Which keys the writer threads of this process are writing right now."""

    def __init__(self) -> None:
        self._held: set[str] = set()
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, keys: set[str]) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._held.isdisjoint(keys))
            self._held |= keys
        try:
            yield
        finally:
            with self._changed:
                self._held -= keys
                self._changed.notify_all()


@dataclass
class _Ready:
    event: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


@dataclass
class _Job:
    future: Future
    events: list[Event] = field(default_factory=list)
    pending: bool = False        # the events are in the log's inbox already (see inbox.py)


class WriteWorker:
    _log = log      # where a failed group is logged

    def __init__(self, open_store: Callable[[], LineageStore], batch_size: int, threads: int = 1,
                 on_error: Callable[[BaseException], None] | None = None, linger: bool = False,
                 on_commit: Callable[[list[Event], WriteStats], None] | None = None, niceness: int = 0,
                 reads_first: ReadsFirst | None = None) -> None:
        self._open_store = open_store
        self._reads_first = reads_first   # queries in flight, which a group waits for (bounded)
        self._niceness = niceness   # added to the writer threads' OS niceness (LINEAGE_WRITER_NICENESS)
        self._linger = linger
        self._last_commit = 0.0
        self._on_error = on_error
        self._on_commit = on_commit   # after each commit: the new events and what they wrote
        self._batch_size = batch_size
        self._queue: "queue.Queue[_Job | None]" = queue.Queue()
        self._claims = _Claims()
        self._threads: list[threading.Thread] = []
        for n in range(max(1, threads)):
            ready = _Ready()
            thread = threading.Thread(target=self._run, args=(ready,), name=f"lineage-writer-{n}", daemon=True)
            thread.start()
            ready.event.wait()
            if ready.error:
                self.close()
                raise ready.error
            self._threads.append(thread)

    def _put(self, events: list[Event], pending: bool = False) -> Future:
        job = _Job(Future(), events, pending)
        self._queue.put(job)
        return job.future

    def apply_pending(self, events: list[Event]) -> Future:
        """Apply events already logged to the inbox (stamped then); nobody waits for them."""
        return self._put(events, pending=True)

    def queued(self) -> int:
        return self._queue.qsize()

    async def submit(self, events: list[Event]) -> Outcome:
        return await asyncio.wrap_future(self._put(stamp_all(events)))

    def submit_sync(self, events: list[Event]) -> Outcome:
        """Like :meth:`submit`, from a plain thread."""
        return self._put(stamp_all(events)).result()

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []

    def _run(self, ready: "_Ready") -> None:
        if self._niceness:
            lower_priority(self._niceness)
        try:
            store = self._open_store()
        except BaseException as exc:  # reported to the constructor
            ready.error = exc
            ready.event.set()
            return
        ready.event.set()
        try:
            stopping = False
            while not stopping:
                job = self._queue.get()
                if job is None:
                    return
                if self._reads_first is not None:
                    self._reads_first.wait_quiet()   # meanwhile more requests join the group
                group = [job]
                size = len(job.events)
                # take what is queued; where a commit is dear (a Gremlin Server's lock wait),
                # wait a little for requests on their way, a small share of the last commit
                deadline = time.monotonic() + (min(LINGER_CAP, LINGER_SHARE * self._last_commit)
                                               if self._linger else 0.0)
                while size < self._batch_size:
                    try:
                        wait = deadline - time.monotonic()
                        nxt = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stopping = True   # finish this group, then stop
                        break
                    group.append(nxt)
                    size += len(nxt.events)
                started = time.monotonic()
                self._commit(store, group)
                self._last_commit = time.monotonic() - started
        finally:
            store.close()

    def _fail(self, group: list[_Job], exc: BaseException, what: str) -> None:
        """Log a group's failure, report it, and give every request in it the error."""
        self._log.error("%s: %s", what, exc)
        if self._on_error is not None:
            self._on_error(exc)
        for job in group:
            job.future.set_exception(exc)

    def _commit(self, store: LineageStore, group: list[_Job]) -> None:
        logged = [job for job in group if job.pending]
        if logged and len(logged) < len(group):    # inbox events are promoted, others logged
            self._commit(store, logged)
            self._commit(store, [job for job in group if not job.pending])
            return
        events = [e for job in group for e in job.events]
        pending = bool(logged)
        try:
            if len(self._threads) > 1:
                with self._claims.hold(_touches(events)):
                    fresh, writes = store.project(events, pending=pending)
            else:
                fresh, writes = store.project(events, pending=pending)
        except BaseException as exc:
            self._fail(group, exc, f"projection failed for {len(events)} events")
            return
        if self._on_commit is not None:
            try:
                self._on_commit(fresh, writes)
            except Exception:   # bookkeeping never fails a committed write
                log.exception("commit listener failed")
        new = {e.fingerprint for e in fresh}
        for job in group:
            marks = []
            for e in job.events:
                marks.append(e.fingerprint in new)
                new.discard(e.fingerprint)   # a repeat inside the group is a duplicate
            job.future.set_result(Outcome(marks))
