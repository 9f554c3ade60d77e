"""The writer in a process of its own (``LINEAGE_WRITER_PROCESS``, embedded file only).

One Python process has one interpreter lock. In ``lineage serve`` the event
loop (HTTP, authentication, JSON decoding and validation) and the writer
thread (translating events, merging them into the graph, SQL) take turns on
it, so the serving process tops out at about one core and every request waits
behind the writer's Python work. With ``LINEAGE_WRITER_PROCESS=true`` the
serving process still authenticates, bounds-checks, parses and validates
every event (a bad one is answered 4xx naming the field, and a batch keeps its
good events, exactly as before), then hands the validated events to a writer
process over a pipe. That process runs the same group commit as the writer
thread (:class:`~lineage._server.worker.WriteWorker`: everything queued, up to
``LINEAGE_BATCH_SIZE`` events, in one transaction) and answers each request
only after the commit, so a 2xx still means durable.

If the writer process dies, every request it had not answered gets ``503``
with ``Retry-After: 1`` (none of those events was acknowledged; any that were
committed come back as duplicates when re-sent) and a new writer process is
started; requests not yet handed over wait for it. The provenance recorder
stays in the serving process and sees each committed event from the answer.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import queue
import signal
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

from .._errors import BackendError
from .._events import Event
from .._settings import Settings
from ..catalog.audit import stamp_all
from .worker import Outcome, WriteWorker

log = logging.getLogger("lineage.writer")
START_TIMEOUT = 120.0   # a new writer process imports, opens the file and checks its indexes


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives the pipe, else a BackendError that says what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return BackendError(f"the write failed: {type(exc).__name__}: {exc}")


def _serve(conn: Any, settings: Settings, batch_size: int, niceness: int) -> None:
    """The writer process: take (request id, events) from ``conn``, commit them in
    groups, answer (request id, "ok", per-event fresh marks) or (id, "error", exc)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the serving process's to handle
    try:   # named so that ps and top show which process this is
        with open("/proc/self/comm", "w") as comm:
            comm.write("lineage-writer")
    except OSError:
        pass
    from .._store import LineageStore

    try:
        worker = WriteWorker(lambda: LineageStore(settings, provenance=False), batch_size, niceness=niceness)
    except BaseException as exc:
        conn.send(("failed", _portable(exc)))
        return
    sending = threading.Lock()

    def answer(request: int, done: Future) -> None:
        exc = done.exception()
        message = (request, "ok", done.result().fresh) if exc is None else (request, "error", _portable(exc))
        with sending:
            try:
                conn.send(message)
            except OSError:   # the serving process is gone
                pass

    conn.send(("ready", os.getpid()))
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            if message is None:
                return
            request, events = message
            worker.enqueue(events).add_done_callback(lambda done, request=request: answer(request, done))
    finally:
        worker.close()   # commits and answers what is queued


class _Child:
    """One writer process and the pipe to it."""

    def __init__(self, ctx: Any, settings: Settings, batch_size: int, niceness: int, generation: int) -> None:
        self.generation = generation
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, settings, batch_size, niceness),
                                   name="lineage-writer", daemon=True)
        self.process.start()
        child.close()
        self.ready = threading.Event()     # it said it started, failed, or died
        self.started = False
        self.failure: BaseException | None = None


class WriterProcess:
    """Same interface as :class:`WriteWorker` (``submit``, ``submit_sync``, ``close``),
    with the writing done in a child process that is restarted if it dies."""

    def __init__(self, settings: Settings, batch_size: int, niceness: int = 0,
                 on_error: Callable[[BaseException], None] | None = None,
                 observers: list[Callable[[list[Event]], None]] | None = None,
                 on_restart: Callable[[], None] | None = None) -> None:
        import multiprocessing

        self._ctx = multiprocessing.get_context("spawn")   # never fork a process with threads
        self._settings, self._batch_size, self._niceness = settings, batch_size, niceness
        self._on_error, self._observers, self._on_restart = on_error, observers or [], on_restart
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[Future, list[Event], int]] = {}
        self._ids = itertools.count()
        self._outbox: "queue.Queue[tuple[int, Future, list[Event]] | None]" = queue.Queue()
        self._closing = False
        self._generations = itertools.count()
        self._last_start = 0.0
        self._up = False   # restarts only once the first writer process has started
        self._child = self._start()
        if not self._child.ready.wait(START_TIMEOUT) or not self._child.started:
            failure = self._child.failure
            self._closing = True
            self._child.process.kill()
            raise failure or BackendError("the writer process did not start; the server log says why")
        self._up = True
        self._sender = threading.Thread(target=self._send, name="lineage-writer-send", daemon=True)
        self._sender.start()

    @property
    def pid(self) -> int | None:
        return self._child.process.pid

    # -- the serving process's side ---------------------------------------------

    def _put(self, events: list[Event]) -> Future:
        future: Future = Future()
        self._outbox.put((next(self._ids), future, events))
        return future

    async def submit(self, events: list[Event]) -> Outcome:
        return await asyncio.wrap_future(self._put(stamp_all(events)))

    def submit_sync(self, events: list[Event]) -> Outcome:
        return self._put(stamp_all(events)).result()

    def queued(self) -> int:
        return self._outbox.qsize() + len(self._pending)

    def _send(self) -> None:
        """Hand requests to the current writer process, in order (a thread: pickling
        and a full pipe must not hold up the event loop)."""
        while True:
            item = self._outbox.get()
            if item is None:
                with self._lock:
                    try:
                        self._child.conn.send(None)
                    except OSError:
                        pass
                return
            request, future, events = item
            with self._lock:   # registered and sent under the lock a death sweeps under
                child = self._child
                self._pending[request] = (future, events, child.generation)
                try:
                    child.conn.send((request, events))
                except (OSError, ValueError):   # the process is gone; its sweep may not have run yet
                    self._pending.pop(request, None)
                    future.set_exception(self._gone())

    def _receive(self, child: _Child) -> None:
        while True:
            try:
                message = child.conn.recv()
            except (EOFError, OSError):
                break
            if message[0] == "ready":
                child.started = True
                child.ready.set()
                continue
            if message[0] == "failed":
                child.failure = message[1]
                child.ready.set()
                break
            request, status, value = message
            with self._lock:
                entry = self._pending.pop(request, None)
            if entry is None:
                continue
            future, events, _ = entry
            if status == "ok":
                self._observe([e for e, new in zip(events, value) if new])
                future.set_result(Outcome(value))
            else:
                if self._on_error is not None:
                    self._on_error(value)
                future.set_exception(value)
        self._died(child)

    def _observe(self, fresh: list[Event]) -> None:
        for observer in self._observers:
            try:
                observer(fresh)
            except Exception:   # an observer's failure must not fail a committed write
                log.exception("observer %r failed", observer)

    @staticmethod
    def _gone() -> BackendError:
        return BackendError("the writer process stopped before it answered; nothing of this request was "
                            "acknowledged. Send it again (events already written come back as duplicates)",
                            retry_after=1)

    def _died(self, child: _Child) -> None:
        """Answer 503 to what ``child`` had not answered, and start a new writer process."""
        child.process.join(timeout=5)
        if not child.ready.is_set():
            child.ready.set()
        with self._lock:
            lost = [k for k, (_, _, gen) in self._pending.items() if gen == child.generation]
            futures = [self._pending.pop(k)[0] for k in lost]
            if not self._closing and self._up:
                log.error("the writer process (pid %s) exited with %s; %d requests answered 503, starting a new one",
                          child.process.pid, child.process.exitcode, len(futures))
                wait = 1.0 - (time.monotonic() - self._last_start)
                if wait > 0:   # one that dies at once is not restarted in a tight loop
                    time.sleep(wait)
                self._child = self._start()
                if self._on_restart is not None:
                    self._on_restart()
        child.conn.close()
        for future in futures:
            future.set_exception(self._gone())

    def _start(self) -> _Child:
        self._last_start = time.monotonic()
        child = _Child(self._ctx, self._settings, self._batch_size, self._niceness, next(self._generations))
        threading.Thread(target=self._receive, args=(child,), name="lineage-writer-receive", daemon=True).start()
        return child

    def close(self, timeout: float = 60.0) -> None:
        """Commit and answer what is queued, then stop the writer process."""
        with self._lock:
            self._closing = True   # its exit from now on is not a death to restart after
        self._outbox.put(None)
        self._sender.join(timeout)
        with self._lock:
            child = self._child
        child.process.join(timeout)
        if child.process.is_alive():
            child.process.kill()
            child.process.join(5)


def writer_for(settings: Settings, provenance: Any, on_error: Callable[[BaseException], None],
               on_commit: Callable[[list[Event], Any], None],
               on_restart: Callable[[], None] | None = None) -> WriteWorker | WriterProcess:
    """The serving process's writer: a process of its own on the embedded file with
    ``LINEAGE_WRITER_PROCESS``, else writer threads (see worker.py)."""
    from .._store import LineageStore

    if settings["LINEAGE_WRITER_PROCESS"] and not settings.gremlin_url:
        return WriterProcess(settings, settings["LINEAGE_BATCH_SIZE"], settings["LINEAGE_WRITER_NICENESS"],
                             on_error=on_error, observers=[provenance.observe] if provenance else [],
                             on_restart=on_restart)
    threads = settings["LINEAGE_WRITE_THREADS"] if settings.gremlin_url else 1
    return WriteWorker(lambda: LineageStore(settings, provenance=provenance), settings["LINEAGE_BATCH_SIZE"],
                       threads, on_error=on_error, linger=bool(settings.gremlin_url), on_commit=on_commit,
                       niceness=settings["LINEAGE_WRITER_NICENESS"])
