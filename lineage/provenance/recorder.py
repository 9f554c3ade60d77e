"""The provenance recorder: sees committed events, buffers finished runs, and
flushes their records to Parquet.

:meth:`ProvenanceRecorder.observe` is called by the store after each commit
(``LineageStore.observers``), so only durable events count and a re-sent event
is never seen twice. It only files the events; at flush time, off the write
path, it reads what a finished run's events say and builds its records from
the graph through the query layer.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from .._events import Event
from .._settings import Settings
from .operations import LineageMetadataRepository, operation_row
from .parquet import Compaction, compact, write_raw
from .records import FlushCache, ProvenanceRecord, RunMemory, build_records

log = logging.getLogger("lineage.provenance")
_ATTEMPTS = 3


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ProvenanceSettings:
    """The provenance settings as one value (from ``LINEAGE_PROVENANCE_*``)."""

    enabled: bool = False
    directory: Path = Path("./provenance")
    system_name: str = "lineage"
    annotations: tuple[str, ...] = ()
    age_off_days: int = 3
    flush_seconds: int = 60

    @classmethod
    def of(cls, settings: Settings) -> "ProvenanceSettings":
        return cls(
            enabled=bool(settings["LINEAGE_PROVENANCE_ENABLED"]),
            directory=Path(settings["LINEAGE_PROVENANCE_DIR"]),
            system_name=settings.system_name,
            annotations=tuple(k.strip() for k in str(settings["LINEAGE_PROVENANCE_ANNOTATIONS"]).split(",")
                              if k.strip()),
            age_off_days=settings["LINEAGE_PROVENANCE_AGE_OFF_DAYS"],
            flush_seconds=settings["LINEAGE_PROVENANCE_FLUSH_SECONDS"],
        )


@dataclass
class FlushResult:
    records: int = 0
    raw_files: list[Path] = field(default_factory=list)
    operation_files: list[Path] = field(default_factory=list)
    compaction: Compaction = field(default_factory=Compaction)
    pending: int = 0                 # runs left for the next flush (the graph could not be read)

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "raw_files": [str(p) for p in self.raw_files],
                "compacted_files": [str(p) for p in self.compaction.files],
                "raw_files_merged": self.compaction.merged, "pending": self.pending}


class ProvenanceRecorder:
    """Buffers finished runs and writes their provenance records.

    ``analysis`` returns a query object (a :class:`~lineage.LineageAnalysis`) usable
    from the calling thread; ``clock`` returns the current UTC time (tests pass
    their own)."""

    def __init__(self, settings: Settings, analysis: Callable[[], Any],
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.config = ProvenanceSettings.of(settings)
        self.analysis = analysis
        self.clock = clock
        self.memory = RunMemory(settings.default_namespace, self.config.annotations)
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.repository = LineageMetadataRepository(self.config.directory)
        self.listeners: list[Callable[[list[ProvenanceRecord]], None]] = []
        self._pending: list[tuple[list[Event], int]] = []      # a finished run's events, attempts
        self._lock = threading.Lock()          # guards memory and pending (observe is on the write path)
        self._flushing = threading.Lock()      # one flush at a time
        self._seq = 0

    @property
    def directory(self) -> Path:
        return self.config.directory

    def observe(self, events: Iterable[Event]) -> None:
        """Remember committed events; a run's terminal event queues it for the next flush."""
        with self._lock:
            for event in events:
                finished = self.memory.see(event)
                if finished is not None:
                    self._pending.append((finished, 0))

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self, compact_through: datetime | None = None) -> FlushResult:
        """Build the records of every finished run seen so far, write them as raw
        Parquet, then compact raw hours up to ``compact_through`` (none when None)."""
        with self._flushing:
            with self._lock:
                work, self._pending = self._pending, []
            result = FlushResult()
            records: list[ProvenanceRecord] = []
            operations: list[dict[str, Any]] = []
            retry: list[tuple[list[Event], int]] = []
            built_from: list[tuple[list[Event], int]] = []
            if work:
                try:
                    q = self.analysis()
                    cache = FlushCache()
                    cache.load_runs(q, [events[-1].run_id or "" for events, _ in work])
                except Exception as exc:  # the graph is unreachable: every run waits for the next flush
                    log.warning("provenance: cannot read the graph (%s); %d runs wait", exc, len(work))
                    retry = [(events, attempts + 1) for events, attempts in work if attempts + 1 < _ATTEMPTS]
                    work = []
                for events, attempts in work:
                    terminal = self.memory.summarize(events)
                    try:
                        built = build_records(q, terminal, self.config.system_name, cache)
                        records.extend(built)
                        operations.append(operation_row(terminal, self.config.system_name,
                                                        min(r.created for r in built) if built else None))
                        built_from.append((events, attempts))
                    except Exception as exc:  # the graph failed on this run: try again next flush
                        log.warning("provenance of run %s not built (%s)", terminal.run_id, exc)
                        if attempts + 1 < _ATTEMPTS:
                            retry.append((events, attempts + 1))
            if retry:
                with self._lock:
                    self._pending[:0] = retry
            if records:
                self._seq += 1
                try:
                    result.raw_files = write_raw(self.directory, records, self.instance, self._seq)
                    result.operation_files = self.repository.save_operations(
                        operations, self.config.system_name, self.instance, self._seq)
                except OSError:   # disk full, directory gone: keep the runs for the next flush
                    with self._lock:
                        self._pending[:0] = [(events, attempts + 1) for events, attempts in built_from
                                             if attempts + 1 < _ATTEMPTS]
                    raise
                result.records = len(records)
                for listener in self.listeners:
                    listener(records)
            if compact_through is not None:
                result.compaction = compact(self.directory, compact_through)
            result.pending = len(retry)
            return result

    def flush_finished_hours(self) -> FlushResult:
        """The periodic flush: records out, and every hour before the current one compacted."""
        return self.flush(self.clock().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1))

    def flush_all(self) -> FlushResult:
        """Records out and everything compacted through the current hour (``lineage provenance flush``,
        and the server's graceful shutdown)."""
        return self.flush(self.clock())


def recorder_for(store: Any) -> ProvenanceRecorder:
    """A recorder that reads the graph through ``store``'s own connection (same thread):
    on the embedded file with the configured engine (SQL unless LINEAGE_EMBEDDED_ENGINE
    says otherwise), as the server's readers do."""
    from .._analysis import LineageAnalysis
    from ..graph import reader

    def analysis() -> LineageAnalysis:
        backend = store.backend
        graph = (reader(backend.remote, store.settings["LINEAGE_EMBEDDED_ENGINE"]) if backend.kind == "embedded"
                 else store.g)
        return LineageAnalysis(graph, store.settings.default_namespace)

    return ProvenanceRecorder(store.settings, analysis)
