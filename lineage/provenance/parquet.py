"""Provenance records on disk, as Parquet.

::

    LINEAGE_PROVENANCE_DIR/
    ├── raw/YYYYMMDD/HH/{system}--{instance}--{seq}.parquet    one file per flush and hour
    └── compacted/{system}/YYYYMMDD/HH.parquet                 one file per system and hour

Records are filed under the UTC hour they completed in. Every process writes
raw files under its own instance id, each to a hidden temporary name first and
renamed into place, so several instances (of one system or several) can share
the directory: nobody ever reads a half-written file or overwrites another's.
Compaction holds an exclusive lock on ``.compact.lock`` while it merges an
hour's raw files into each system's ``HH.parquet`` (merging with what is already
there, dropping repeated records by ``record_id``) and then deletes them; a
compaction that dies half-way leaves raw files that the next one merges again
without duplicates. ``compacted/`` is the stable export target.
"""

from __future__ import annotations

import fcntl
import os
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .records import ProvenanceRecord

SCHEMA = pa.schema([
    pa.field("record_id", pa.string(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("parent_run_id", pa.string()),
    pa.field("system_name", pa.string(), nullable=False),
    pa.field("data_source", pa.string(), nullable=False),
    pa.field("name", pa.string(), nullable=False),
    pa.field("transforms", pa.list_(pa.string()), nullable=False),
    pa.field("data_sink", pa.string()),
    pa.field("final_state", pa.string(), nullable=False),
    pa.field("created", pa.timestamp("ms"), nullable=False),
    pa.field("completed", pa.timestamp("ms"), nullable=False),
    pa.field("annotations", pa.map_(pa.string(), pa.string())),
])
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_HOUR = "%Y%m%d/%H"


def safe_name(text: str) -> str:
    """A system or instance name as one path segment."""
    return _SAFE.sub("_", text).strip("._") or "unnamed"


def hour_of(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).replace(minute=0, second=0, microsecond=0)


def to_table(records: list[ProvenanceRecord]) -> pa.Table:
    return pa.Table.from_pylist([r.to_row() for r in records], schema=SCHEMA)


def _write(table: pa.Table, target: Path) -> None:
    """Write ``table`` to ``target`` atomically (a hidden temporary file, then a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_raw(root: Path, records: list[ProvenanceRecord], instance: str, seq: int) -> list[Path]:
    """File ``records`` under raw/ by the hour they completed in; return the files written."""
    by_hour: dict[datetime, list[ProvenanceRecord]] = {}
    for record in records:
        by_hour.setdefault(hour_of(record.completed), []).append(record)
    written = []
    for hour, group in sorted(by_hour.items()):
        system = safe_name(group[0].system_name)
        target = root / "raw" / hour.strftime(_HOUR) / f"{system}--{safe_name(instance)}--{seq:08d}.parquet"
        _write(to_table(group), target)
        written.append(target)
    return written


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Exclusive lock on the directory's compaction (across processes)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".compact.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def raw_hours(root: Path) -> list[tuple[datetime, Path]]:
    """Every raw/YYYYMMDD/HH directory with the hour it holds, oldest first."""
    out = []
    for day in sorted((root / "raw").glob("[0-9]" * 8)):
        for hour in sorted(day.glob("[0-9][0-9]")):
            try:
                at = datetime.strptime(f"{day.name}/{hour.name}", _HOUR).replace(tzinfo=timezone.utc)
            except ValueError:
                continue
            out.append((at, hour))
    return out


def read(files: list[Path]) -> pa.Table:
    tables = [pq.read_table(f, schema=SCHEMA) for f in files]
    return pa.concat_tables(tables) if tables else SCHEMA.empty_table()


def _unique(table: pa.Table) -> pa.Table:
    seen: set[str] = set()
    keep = []
    for i, rid in enumerate(table.column("record_id").to_pylist()):
        if rid not in seen:
            seen.add(rid)
            keep.append(i)
    table = table.take(keep)
    order = sorted(range(table.num_rows), key=lambda i: (table.column("completed")[i].value,
                                                         table.column("record_id")[i].as_py()))
    return table.take(order)


@dataclass
class Compaction:
    files: list[Path] = field(default_factory=list)      # compacted files written
    merged: int = 0                                       # raw files merged and removed
    records: int = 0                                      # records in the files written


def compact(root: Path, through: datetime) -> Compaction:
    """Merge raw files of every hour up to and including ``through`` into
    compacted/{system}/YYYYMMDD/HH.parquet, then remove them."""
    done = Compaction()
    with locked(root):
        for hour, folder in raw_hours(root):
            if hour > through:
                continue
            files = sorted(folder.glob("*.parquet"))
            if files:
                table = read(files)
                for system in sorted(set(table.column("system_name").to_pylist())):
                    part = table.filter(pc.equal(table.column("system_name"), system))
                    target = root / "compacted" / safe_name(system) / f"{hour.strftime(_HOUR)}.parquet"
                    if target.exists():
                        part = pa.concat_tables([pq.read_table(target, schema=SCHEMA), part])
                    part = _unique(part)
                    _write(part, target)
                    done.files.append(target)
                    done.records += part.num_rows
                for f in files:
                    f.unlink(missing_ok=True)
                done.merged += len(files)
            _prune(folder, root / "raw")
    return done


def _prune(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to ``stop`` while they are empty."""
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def data_files(root: Path) -> list[Path]:
    """Every finished Parquet file of the directory: compacted first, then raw."""
    return sorted((root / "compacted").glob("*/[0-9]*/[0-9]*.parquet")) + \
        sorted((root / "raw").glob("[0-9]*/[0-9]*/*.parquet"))
