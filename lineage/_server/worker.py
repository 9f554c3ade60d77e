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
from dataclasses import dataclass
from typing import Any, Callable

from .._events import Event
from .._store import LineageStore

log = logging.getLogger("lineage.writer")


@dataclass
class Outcome:
    fresh: list[bool]            # per event: newly accepted (False: already logged)


class WriteWorker:
    def __init__(self, open_store: Callable[[], LineageStore], batch_size: int) -> None:
        self._open_store = open_store
        self._batch_size = batch_size
        self._queue: "queue.Queue[tuple[list[Event], Future] | None]" = queue.Queue()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.store: LineageStore | None = None
        self._thread = threading.Thread(target=self._run, name="lineage-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error:
            raise self._error

    def call(self, fn: Callable[[LineageStore], Any]) -> Future:
        """Run ``fn(store)`` on the writer thread (for maintenance that must not race writes)."""
        fut: Future = Future()
        self._queue.put(([], fut, fn))  # type: ignore[arg-type]
        return fut

    async def submit(self, events: list[Event]) -> Outcome:
        fut: Future = Future()
        self._queue.put((events, fut))
        return await asyncio.wrap_future(fut)

    def submit_sync(self, events: list[Event]) -> Outcome:
        """Like :meth:`submit`, from a plain thread."""
        fut: Future = Future()
        self._queue.put((events, fut))
        return fut.result()

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
            while True:
                item = self._queue.get()
                if item is None:
                    return
                if len(item) == 3:
                    _, fut, fn = item  # type: ignore[misc]
                    self._run_call(fut, fn)
                    continue
                group = [item]
                size = len(item[0])
                while size < self._batch_size:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None or len(nxt) == 3:
                        self._queue.put(nxt)  # handled after this group
                        break
                    group.append(nxt)
                    size += len(nxt[0])
                self._commit(group)
        finally:
            self.store.close()

    def _run_call(self, fut: Future, fn: Callable[[LineageStore], Any]) -> None:
        try:
            fut.set_result(fn(self.store))
        except BaseException as exc:
            fut.set_exception(exc)

    def _commit(self, group: list[tuple[list[Event], Future]]) -> None:
        events = [e for evs, _ in group for e in evs]
        try:
            fresh, _ = self.store.project(events)
        except BaseException as exc:
            log.error("projection failed for %d events: %s", len(events), exc)
            for _, fut in group:
                fut.set_exception(exc)
            return
        new = {e.fingerprint for e in fresh}
        for evs, fut in group:
            marks = []
            for e in evs:
                marks.append(e.fingerprint in new)
                new.discard(e.fingerprint)   # a repeat inside the group is a duplicate
            fut.set_result(Outcome(marks))
