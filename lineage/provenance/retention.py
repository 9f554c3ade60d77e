"""Age-off: what is older than its retention goes, per kind.

* provenance Parquet partitions (raw hours and compacted hour files) whose
  whole hour ended, and operation partitions (``date=``) whose whole day
  ended, more than ``LINEAGE_PROVENANCE_AGE_OFF_DAYS`` ago;
* Run vertices that ended more than ``LINEAGE_RETENTION_RUN_DAYS`` ago
  (:meth:`LineageStore.expire_runs`);
* event-log rows older than ``LINEAGE_RETENTION_EVENT_DAYS``
  (:meth:`LineageStore.expire_events`; each job's latest run stays).

0 days keeps a kind forever. Lineage itself (datasets, pipelines, models,
features and the edges between them) is never aged off. :func:`plan` says what
would go; :func:`apply` removes it. ``lineage serve`` applies it on a schedule
(``LINEAGE_RETENTION_INTERVAL_SECONDS``), ``lineage retention --apply`` on demand.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from .._settings import Settings
from .operations import LineageMetadataRepository
from .parquet import locked, raw_hours

_HOUR = "%Y%m%d/%H"


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cutoff(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


@dataclass
class RetentionPlan:
    now: datetime
    provenance_before: datetime | None
    runs_before: datetime | None
    events_before: datetime | None
    partitions: list[Path] = field(default_factory=list)
    runs: int = 0
    events: int = 0
    applied: bool = False

    def to_dict(self) -> dict[str, Any]:
        when = lambda at: _iso(at) if at else None  # noqa: E731
        return {"now": _iso(self.now), "applied": self.applied,
                "provenance": {"before": when(self.provenance_before), "partitions": [str(p) for p in self.partitions]},
                "runs": {"before": when(self.runs_before), "count": self.runs},
                "events": {"before": when(self.events_before), "count": self.events}}

    def describe(self) -> str:
        verb = "removed" if self.applied else "would remove"
        lines = []
        for what, before, count in (("provenance partitions", self.provenance_before, len(self.partitions)),
                                    ("Run vertices", self.runs_before, self.runs),
                                    ("event-log rows", self.events_before, self.events)):
            lines.append(f"{verb} {count} {what} older than {_iso(before)}" if before
                         else f"kept all {what} (retention 0: forever)")
        lines += [f"  {p}" for p in self.partitions]
        return "\n".join(lines)


def expired_partitions(root: Path, before: datetime) -> list[Path]:
    """Raw hour directories and compacted hour files whose hour ended before ``before``."""
    out = [folder for hour, folder in raw_hours(root) if hour + timedelta(hours=1) <= before]
    for path in sorted((root / "compacted").glob("*/[0-9]*/[0-9]*.parquet")):
        try:
            hour = datetime.strptime(f"{path.parent.name}/{path.stem}", _HOUR).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
        if hour + timedelta(hours=1) <= before:
            out.append(path)
    return out


def plan(settings: Settings, store: Any | None, now: datetime, apply: bool = False) -> RetentionPlan:
    """What retention removes at ``now`` (and, with ``apply``, remove it). ``store`` (a
    LineageStore) may be None to age off only the Parquet files."""
    root = Path(settings["LINEAGE_PROVENANCE_DIR"])
    result = RetentionPlan(now, _cutoff(now, settings["LINEAGE_PROVENANCE_AGE_OFF_DAYS"]),
                           _cutoff(now, settings["LINEAGE_RETENTION_RUN_DAYS"]),
                           _cutoff(now, settings["LINEAGE_RETENTION_EVENT_DAYS"]))
    if result.provenance_before and root.is_dir():
        with locked(root):
            result.partitions = expired_partitions(root, result.provenance_before) + \
                LineageMetadataRepository(root).expired_partitions(result.provenance_before)
            if apply:
                for path in result.partitions:
                    shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
                    _prune_parents(path, root)
    if store is not None and result.runs_before:
        result.runs = store.expire_runs(_iso(result.runs_before), dry_run=not apply)
    if store is not None and result.events_before:
        result.events = store.expire_events(_iso(result.events_before), dry_run=not apply)
    result.applied = apply
    return result


def _prune_parents(path: Path, root: Path) -> None:
    folder = path.parent
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def apply(settings: Settings, store: Any | None, clock: Callable[[], datetime]) -> RetentionPlan:
    return plan(settings, store, clock(), apply=True)
