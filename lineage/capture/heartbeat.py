"""A component's heartbeat reporter, catalog notices and audit headers.

::

    from lineage.capture import Reporter
    from lineage.catalog.sinks import HttpSink

    reporter = Reporter("orders-mapper", name="Orders mapper", component_type="mapper",
                        inputs=[("raw-orders", "topic")], outputs=[("orders", "topic")],
                        sink=HttpSink("http://lineage:5000", token="..."))
    reporter.heartbeat_time = 60          # seconds between RUNNING heartbeats (default 15)
    reporter.start()                      # STARTED now, RUNNING every heartbeat_time
    ...                                   # COMPLETED at exit, TERMINATED on SIGTERM/SIGINT or a crash

Messages are queued and sent from a background thread, so a slow or broken
sink never blocks or breaks the component: failures are logged and dropped.
``enabled=False`` (or ``has_reporter=False``) sends nothing. The default sink
is a :class:`~lineage.catalog.sinks.KafkaSink` on ``provenance.live``.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import signal
import sys
import threading
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Sequence

from ..catalog.sinks import CATALOG, HEARTBEATS, KafkaSink

log = logging.getLogger("lineage.capture")
Endpoint = tuple[str, str]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Reporter:
    def __init__(self, id: str, name: str | None = None, component_type: str = "component", *,
                 inputs: Iterable[Endpoint] = (), outputs: Iterable[Endpoint] = (), sink: Any = None,
                 heartbeat_time: float = 15, instance_id: str | None = None, enabled: bool = True,
                 has_reporter: bool | None = None, catalog_sink: Any = None, handle_signals: bool = True,
                 data_source: Endpoint | None = None, clock: Callable[[], str] = _now) -> None:
        self.id = id
        self.name = name or id
        self.component_type = component_type
        self.instance_id = instance_id or str(uuid.uuid4())
        self.inputs = [{"name": n, "type": t} for n, t in inputs]
        self.outputs = [{"name": n, "type": t} for n, t in outputs]
        self.heartbeat_time = heartbeat_time
        self.enabled = enabled if has_reporter is None else has_reporter
        self.data_source = data_source
        self.handle_signals = handle_signals
        self._clock = clock
        self._sink = sink
        self._catalog_sink = catalog_sink
        self._queue: "queue.Queue[tuple[Any, str, dict, dict] | None]" = queue.Queue()
        self._stop = threading.Event()
        self._started = False
        self._finished = False
        self._threads: list[threading.Thread] = []
        self._previous: dict[int, Any] = {}

    # -- sinks -------------------------------------------------------------------

    @property
    def sink(self) -> Any:
        if self._sink is None:
            self._sink = KafkaSink(kind=HEARTBEATS)
        return self._sink

    @property
    def catalog_sink(self) -> Any:
        if self._catalog_sink is None:
            self._catalog_sink = self._sink if self._sink is not None and not isinstance(self._sink, KafkaSink) \
                else KafkaSink(kind=CATALOG)
        return self._catalog_sink

    # -- heartbeats ----------------------------------------------------------------

    def heartbeat(self, status: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self.id, "instance_id": self.instance_id, "name": self.name, "timestamp": self._clock(),
            "component_type": self.component_type, "reporting_period": max(1, round(self.heartbeat_time)),
            "input": self.inputs, "output": self.outputs, "status": status}
        return message

    def _enqueue(self, sink_of: Callable[[], Any], kind: str, message: dict[str, Any],
                 headers: dict[str, Any] | None = None) -> None:
        if self.enabled:
            self._queue.put((sink_of, kind, message, headers or {}))

    def _send_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            sink_of, kind, message, headers = item
            try:
                sink_of().send(kind, message, headers)
            except Exception as exc:   # the component must not notice
                log.warning("could not send %s to %s: %s", kind, type(self._sink).__name__, exc)

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_time):
            self._enqueue(lambda: self.sink, HEARTBEATS, self.heartbeat("RUNNING"))

    def _ensure_sender(self) -> None:
        if not self._threads:
            sender = threading.Thread(target=self._send_loop, name="lineage-reporter-send", daemon=True)
            sender.start()
            self._threads.append(sender)

    def start(self) -> "Reporter":
        """Send STARTED and begin RUNNING heartbeats; install exit and signal handlers."""
        if self._started or not self.enabled:
            return self
        self._started = True
        self._ensure_sender()
        self._enqueue(lambda: self.sink, HEARTBEATS, self.heartbeat("STARTED"))
        beat = threading.Thread(target=self._beat_loop, name="lineage-reporter-beat", daemon=True)
        beat.start()
        self._threads.append(beat)
        atexit.register(self._at_exit)
        self._previous_hook = sys.excepthook
        sys.excepthook = self._on_crash
        if self.handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def stop(self, status: str = "COMPLETED", timeout: float = 5.0) -> None:
        """Send the final status (COMPLETED or TERMINATED) and wait up to ``timeout`` for it to go."""
        if not self._started or self._finished:
            return
        self._finished = True
        self._stop.set()
        self._enqueue(lambda: self.sink, HEARTBEATS, self.heartbeat(status))
        self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        for sink in {id(s): s for s in (self._sink, self._catalog_sink) if s is not None}.values():
            try:
                sink.close()
            except Exception as exc:
                log.warning("could not close the reporter's sink: %s", exc)
        if sys.excepthook == self._on_crash:
            sys.excepthook = getattr(self, "_previous_hook", sys.__excepthook__)
        atexit.unregister(self._at_exit)
        if threading.current_thread() is threading.main_thread():
            for sig, previous in self._previous.items():
                if signal.getsignal(sig) == self._on_signal:
                    signal.signal(sig, previous if previous is not None else signal.SIG_DFL)

    def _at_exit(self) -> None:
        self.stop("COMPLETED")

    def _on_crash(self, *exc_info: Any) -> None:
        self.stop("TERMINATED")
        getattr(self, "_previous_hook", sys.__excepthook__)(*exc_info)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stop("TERMINATED")
        previous = self._previous.get(signum, signal.SIG_DFL)
        signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            os.kill(os.getpid(), signum)

    def __enter__(self) -> "Reporter":
        return self.start()

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.stop("TERMINATED" if exc_type else "COMPLETED")

    # -- the data catalog -----------------------------------------------------------

    def register_data_catalog(self, dataset_id: str, title: str | None = None, source_mime_type: str = "unknown",
                              registration_fields: dict[str, Any] | None = None,
                              headers: dict[str, Any] | None = None) -> dict[str, Any]:
        """Tell the catalog about a dataset this component feeds (``id``, ``title``,
        ``source_mime_type`` and any further ``registration_fields``)."""
        message = {"id": dataset_id, "title": title or dataset_id, "source_mime_type": source_mime_type,
                   **(registration_fields or {})}
        self._ensure_sender()
        self._enqueue(lambda: self.catalog_sink, CATALOG, message, headers)
        return message

    def update_data_catalog(self, dataset_id: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
        """Tell the catalog the dataset changed now (``last_updated_at``)."""
        message = {"id": dataset_id, "last_updated_at": self._clock()}
        self._ensure_sender()
        self._enqueue(lambda: self.catalog_sink, CATALOG, message, headers)
        return message

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything queued so far has been handed to the sink."""
        done = threading.Event()
        self._ensure_sender()
        self._queue.put((lambda: _Marker(done), "flush", {}, {}))
        done.wait(timeout)

    # -- audit -----------------------------------------------------------------------

    def new_request_id(self, topic: str | None = None) -> str:
        """A record's request id: the topic it is written to and a UUID."""
        return f"{topic or (self.outputs[0]['name'] if self.outputs else self.id)}:{uuid.uuid4()}"

    def audit_headers(self, request_id: str | None = None,
                      input_request_ids: Sequence[str] = ()) -> dict[str, Any]:
        """Audit headers for a record this component writes (``Input-Request-Id`` repeated
        for each input record it was made from)."""
        headers: dict[str, Any] = {"Request-Id": request_id or self.new_request_id(), "Exec-Path": self.id}
        if input_request_ids:
            headers["Input-Request-Id"] = list(input_request_ids)
        if self.data_source:
            headers["Data-Source-Name"], headers["Data-Source-Type"] = self.data_source
        return headers

    def audit_facet(self, request_id: str | None = None, input_request_ids: Sequence[str] = ()) -> dict[str, Any]:
        """The same as an OpenLineage ``audit`` run facet, for events this component emits."""
        from ..facets import PRODUCER, AuditFacet

        h = self.audit_headers(request_id, input_request_ids)
        facet = {"_producer": PRODUCER, "_schemaURL": AuditFacet._get_schema(), "requestId": h["Request-Id"],
                 "execPath": h["Exec-Path"], "inputRequestIds": list(input_request_ids)}
        if self.data_source:
            facet["dataSourceName"], facet["dataSourceType"] = self.data_source
        return facet


class _Marker:
    def __init__(self, done: threading.Event) -> None:
        self.done = done

    def send(self, *_: Any) -> None:
        self.done.set()
