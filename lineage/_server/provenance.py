"""Provenance and retention inside the server.

* ``GET /api/v1/provenance`` and ``/api/v1/provenance/summary``: records (and
  their counts by final state and system) matching the optional filters
  ``run_id``, ``parent_run_id``, ``system_name``, ``data_source``,
  ``data_sink``, ``name``, ``final_state``, ``annotation_key`` +
  ``annotation_value``; JSON for the page, scripts and Grafana.
* ``POST /api/v1/provenance/flush``: write buffered records and compact
  through the current hour; answers when done (``lineage provenance flush --url``).
* :class:`Maintenance`: a thread that flushes every
  ``LINEAGE_PROVENANCE_FLUSH_SECONDS`` (compacting finished hours) and applies
  retention every ``LINEAGE_RETENTION_INTERVAL_SECONDS``.

Graceful shutdown (SIGTERM or Ctrl-C): uvicorn stops accepting requests and
finishes those in flight; then the maintenance thread stops, the writer
commits what is queued, and provenance is flushed and compacted through the
current hour before the process exits.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import anyio
from fastapi import APIRouter, Request
from prometheus_client import Counter, Histogram

from .._errors import InvalidArgument
from .._settings import Settings
from ..provenance import ProvenanceFilter, ProvenanceRecorder, find, summary
from ..provenance.parquet import compact
from ..provenance.recorder import FlushResult, utcnow
from ..provenance.retention import apply as apply_retention
from . import auth

log = logging.getLogger("lineage.provenance")


class ProvenanceMetrics:
    def __init__(self, registry: Any) -> None:
        self.records = Counter("lineage_provenance_records_total", "Provenance records written, by system and state",
                               ["system", "final_state"], registry=registry)
        self.flush_seconds = Histogram("lineage_provenance_flush_seconds", "Time to flush and compact provenance",
                                       registry=registry)
        self.retention_removed = Counter("lineage_retention_removed_total", "Items aged off, by kind",
                                         ["kind"], registry=registry)

    def count(self, records: list[Any]) -> None:
        for record in records:
            self.records.labels(record.system_name, record.final_state).inc()


def flush_now(settings: Settings, recorder: ProvenanceRecorder | None, metrics: ProvenanceMetrics,
              clock: Callable[[], datetime] = utcnow) -> FlushResult:
    """Flush the buffer (if provenance is on) and compact the directory through the current hour."""
    started = time.perf_counter()
    try:
        if recorder is not None:
            return recorder.flush_all()
        return FlushResult(compaction=compact(Path(settings["LINEAGE_PROVENANCE_DIR"]), clock()))
    finally:
        metrics.flush_seconds.observe(time.perf_counter() - started)


class Maintenance:
    """Periodic provenance flushes and retention, on one daemon thread."""

    def __init__(self, settings: Settings, recorder: ProvenanceRecorder | None, open_store: Callable[[], Any],
                 metrics: ProvenanceMetrics, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.recorder = recorder
        self.open_store = open_store
        self.metrics = metrics
        self.clock = clock
        self._stop = threading.Event()
        self._store: Any = None
        flush_every = settings["LINEAGE_PROVENANCE_FLUSH_SECONDS"] if recorder is not None else 0
        retain_every = settings["LINEAGE_RETENTION_INTERVAL_SECONDS"]
        self.tasks = [(every, fn) for every, fn in ((flush_every, self.flush), (retain_every, self.retain)) if every]
        self._thread = threading.Thread(target=self._run, name="lineage-maintenance", daemon=True)
        if self.tasks:
            self._thread.start()

    def flush(self) -> None:
        assert self.recorder is not None
        started = time.perf_counter()
        result = self.recorder.flush_finished_hours()
        self.metrics.flush_seconds.observe(time.perf_counter() - started)
        if result.records or result.compaction.merged:
            log.info("provenance flushed", extra={"fields": result.to_dict()})

    def retain(self) -> None:
        if self._store is None and (self.settings["LINEAGE_RETENTION_RUN_DAYS"]
                                    or self.settings["LINEAGE_RETENTION_EVENT_DAYS"]):
            self._store = self.open_store()
        plan = apply_retention(self.settings, self._store, self.clock)
        self.metrics.retention_removed.labels("provenance_partitions").inc(len(plan.partitions))
        self.metrics.retention_removed.labels("runs").inc(plan.runs)
        self.metrics.retention_removed.labels("events").inc(plan.events)
        if plan.partitions or plan.runs or plan.events:
            log.info("retention applied", extra={"fields": plan.to_dict()})

    def _run(self) -> None:
        due = {fn: time.monotonic() + every for every, fn in self.tasks}
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                for every, fn in self.tasks:
                    if now >= due[fn]:
                        due[fn] = now + every
                        try:
                            fn()
                        except Exception:  # log and try again next time; the server keeps serving
                            log.exception("scheduled %s failed", fn.__name__)
                self._stop.wait(max(0.05, min(due.values()) - time.monotonic()))
        finally:
            if self._store is not None:
                self._store.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)


def _filter(request: Request) -> ProvenanceFilter:
    params = request.query_params
    known = ("run_id", "parent_run_id", "system_name", "data_source", "data_sink", "name", "final_state",
             "annotation_key", "annotation_value")
    limit = params.get("limit", "100")
    if not limit.isdigit():
        raise InvalidArgument(f"limit must be a whole number between 1 and 10000; got {limit!r}", field="limit")
    return ProvenanceFilter(**{k: params.get(k) or None for k in known}, limit=int(limit))


def router(state: Any) -> APIRouter:
    api = APIRouter()
    settings = state.settings
    directory = Path(settings["LINEAGE_PROVENANCE_DIR"])

    @api.get("/api/v1/provenance")
    async def records(request: Request) -> dict[str, Any]:
        auth.check(settings, request.headers.get("authorization"), write=False)
        where = _filter(request)
        rows = await anyio.to_thread.run_sync(lambda: find(directory, where))
        return {"records": rows, "count": len(rows)}

    @api.get("/api/v1/provenance/summary")
    async def counts(request: Request) -> dict[str, Any]:
        auth.check(settings, request.headers.get("authorization"), write=False)
        where = _filter(request)
        return await anyio.to_thread.run_sync(lambda: summary(directory, where))

    @api.post("/api/v1/provenance/flush")
    async def flush(request: Request) -> dict[str, Any]:
        auth.check(settings, request.headers.get("authorization"), write=True)
        result = await anyio.to_thread.run_sync(
            lambda: flush_now(settings, state.provenance, state.provenance_metrics))
        return result.to_dict()

    return api
