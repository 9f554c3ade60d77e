"""Where captured events go, without ever getting in the user's way.

An :class:`Emitter` hands each event to a *sink* on a background thread, so
the captured call pays only for building the event. Sinks:

* :class:`ClientSink`: the ``openlineage-python`` client and whatever
  transport it is configured with (``OPENLINEAGE_URL``, ``openlineage.yml``,
  ``OPENLINEAGE__TRANSPORT__*``: HTTP to our server, Kafka, a file...);
* :class:`StoreSink`: straight into a :class:`~lineage.LineageStore` (the
  ``LINEAGE_*`` settings), used when no OpenLineage transport is configured.

A failure to emit is logged and counted in :attr:`Emitter.stats`, never
raised; a full queue drops the event (counted as ``dropped``). Call
:meth:`Emitter.flush` to wait for delivery; it is also called at exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from openlineage.client.serde import Serde

logger = logging.getLogger("lineage.capture")


class Sink(Protocol):
    def send(self, events: list[Any]) -> None: ...

    def close(self) -> None: ...


def openlineage_configured() -> bool:
    """True when the environment configures an OpenLineage transport."""
    from openlineage.client import OpenLineageClient

    if os.environ.get("OPENLINEAGE_URL") or os.environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return True
    if any(k.startswith("OPENLINEAGE__TRANSPORT") for k in os.environ):
        return True
    return OpenLineageClient._find_yaml_config_path() is not None


class ClientSink:
    """Events through an ``OpenLineageClient`` (built from the environment unless given)."""

    def __init__(self, client: Any = None) -> None:
        if client is None:
            from openlineage.client import OpenLineageClient
            client = OpenLineageClient()
        self.client = client

    def send(self, events: list[Any]) -> None:
        for event in events:
            self.client.emit(event)

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            close()

    def describe(self) -> str:
        return f"OpenLineage {getattr(self.client.transport, 'kind', 'client')} transport"


class EventsRejected(Exception):
    """Some events of a batch were refused (the rest were stored)."""

    def __init__(self, count: int, reasons: str) -> None:
        super().__init__(f"{count} event(s) rejected: {reasons}")
        self.count = count


class StoreSink:
    """Events straight into the lineage store the settings name.

    The sink opens its own store on the thread that sends (SQLite connections
    belong to one thread), so a store passed to the tracker is only read for
    its settings; both see each other's commits.
    """

    def __init__(self, settings: Any = None) -> None:
        self._settings = settings
        self._store: Any = None

    @property
    def store(self) -> Any:
        if self._store is None:
            from .._store import LineageStore
            self._store = LineageStore(self._settings)
        return self._store

    def send(self, events: list[Any]) -> None:
        result = self.store.ingest([Serde.to_dict(e) for e in events])
        if result.rejected:
            raise EventsRejected(len(result.rejected), "; ".join(r.reason for r in result.rejected[:3]))

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def describe(self) -> str:
        return "the local lineage store"


@dataclass
class EmitStats:
    queued: int = 0
    emitted: int = 0
    failed: int = 0
    dropped: int = 0


_STOP = object()


class Emitter:
    """A background sender: :meth:`submit` never blocks and never raises."""

    def __init__(self, sink: Sink, *, queue_size: int = 10000, background: bool = True, batch: int = 200) -> None:
        self.sink = sink
        self.stats = EmitStats()
        self.background = background
        self.batch = batch
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        atexit.register(self.close)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="lineage-capture-emitter", daemon=True)
                    self._thread.start()

    def submit(self, events: list[Any] | Callable[[], list[Any]]) -> None:
        """Queue events, or a function that builds them (run on the sending thread, so
        building OpenLineage objects costs the captured call nothing)."""
        count = len(events) if isinstance(events, list) else 1
        if self._closed:
            self.stats.dropped += count
            return
        self.stats.queued += count
        if not self.background:
            self._deliver(events)
            return
        try:
            self._queue.put_nowait(events)
        except queue.Full:
            self.stats.dropped += count
            logger.warning("lineage capture queue is full; dropped %d event(s)", count)
            return
        self._ensure_thread()

    def _deliver(self, events: list[Any] | Callable[[], list[Any]]) -> None:
        try:
            if not isinstance(events, list):
                events = events()
            self.sink.send(events)
            self.stats.emitted += len(events)
        except EventsRejected as exc:
            self.stats.failed += exc.count
            self.stats.emitted += len(events) - exc.count
            logger.warning("the lineage store refused captured events: %s", exc)
        except Exception as exc:  # emission must never reach the user's code
            self.stats.failed += len(events) if isinstance(events, list) else 1
            logger.warning("could not emit %d lineage event(s) to %s: %s: %s", len(events),
                           getattr(self.sink, "describe", lambda: "the sink")(), type(exc).__name__, exc)

    def _run(self) -> None:
        """Deliver what is queued, up to ``batch`` items per send (one store transaction)."""
        while True:
            items = [self._queue.get()]
            while len(items) < self.batch and items[-1] is not _STOP:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = items[-1] is _STOP
            work = items[:-1] if stop else items
            try:
                if work:
                    self._deliver_many(work)
                if stop:
                    self._close_sink()
                    return
            finally:
                for _ in items:
                    self._queue.task_done()

    def _deliver_many(self, items: list[Any]) -> None:
        events: list[Any] = []
        for item in items:
            try:
                events.extend(item if isinstance(item, list) else item())
            except Exception as exc:
                self.stats.failed += 1
                logger.warning("could not build a lineage event: %s: %s", type(exc).__name__, exc)
        if events:
            self._deliver(events)

    def _close_sink(self) -> None:
        try:
            self.sink.close()
        except Exception as exc:
            logger.warning("closing the lineage sink failed: %s", exc)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted event was delivered (or failed); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            if self._thread is None or not self._thread.is_alive():
                self._ensure_thread()
            time.sleep(0.002)
        return True

    def close(self, timeout: float = 10.0) -> None:
        if self._closed:
            return
        self.flush(timeout)
        self._closed = True
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)  # the sink is closed on the thread that used it
            self._thread.join(timeout)
        else:
            self._close_sink()
        try:
            atexit.unregister(self.close)
        except Exception:
            pass
