"""Online backup and restore of the SQLite files.

What is backed up depends on the backend:

* embedded (``LINEAGE_DB``): one file holds the graph and the event log, and
  :func:`backup` copies it whole, or only its event log with ``events_only``;
* a remote graph (``LINEAGE_GREMLIN_URL``): the graph and its event log (``Event``
  vertices) both live in JanusGraph, so there is no file here to copy: back up
  Cassandra (``nodetool snapshot``, see the chart README).

The copy is SQLite's online backup API in one step: it reads one snapshot of the
file in a single read transaction, so it is consistent while the server keeps
writing (WAL readers never block the writer), and it holds every event committed,
and so acknowledged, before it began. The result is a single self-contained file
(rollback journal, not WAL), checked with ``PRAGMA integrity_check`` before it
takes the destination's name.

The event log is enough to rebuild the graph: a backup made with ``events_only``
restores into an empty graph that :func:`restore` rebuilds by replaying the log.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .._errors import ConfigurationError
from .._eventlog import EventLog
from .._settings import Settings

EVENT_TABLE = "lineage_events"


@dataclass
class BackupReport:
    """What a backup or restore copied."""

    source: str
    destination: str
    events: int           # events in the event log copied
    graph: bool           # the copy holds the graph too (not only the event log)
    bytes: int
    rebuilt: int = 0      # events replayed into the graph after a restore of the log alone


def live_file(settings: Settings) -> tuple[str, str]:
    """The file to back up or restore, and what it holds."""
    if settings.gremlin_url:
        raise ConfigurationError(
            "with LINEAGE_GREMLIN_URL set the graph and its event log live in JanusGraph, not in a file "
            "here; back up Cassandra with `nodetool snapshot` (deploy/helm/lineage/README.md, Backups), "
            "or unset LINEAGE_GREMLIN_URL to back up the embedded file LINEAGE_DB")
    return settings.db_path, "embedded graph and event log"


@contextlib.contextmanager
def _connect(path: str | os.PathLike) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    try:
        yield con
    finally:
        con.close()


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _holds_graph(con: sqlite3.Connection) -> bool:
    return bool(_tables(con) - {EVENT_TABLE, "sqlite_sequence"})


def _check(path: str | os.PathLike, what: str) -> tuple[int, bool]:
    """Open a copy, check its integrity, return its event count and whether it holds a graph."""
    try:
        with _connect(path) as con:
            verdict = [r[0] for r in con.execute("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                raise ConfigurationError(f"{what} {path} failed SQLite's integrity check: {'; '.join(verdict[:5])}")
            if EVENT_TABLE not in _tables(con):
                raise ConfigurationError(f"{what} {path} holds no lineage event log; "
                                         "pass a file written by `lineage backup`")
            count = con.execute(f"SELECT COUNT(*) FROM {EVENT_TABLE}").fetchone()[0]
            return count, _holds_graph(con)
    except sqlite3.DatabaseError as exc:
        raise ConfigurationError(f"{what} {path} is not a SQLite file ({exc}); "
                                 "pass a file written by `lineage backup`") from None


def backup(settings: Settings, destination: str | os.PathLike, *, events_only: bool = False,
           overwrite: bool = False) -> BackupReport:
    """Copy the live file to ``destination`` while the server may be writing to it."""
    source, what = live_file(settings)
    dest = Path(destination)
    if not os.path.isfile(source):
        raise ConfigurationError(f"nothing to back up: the {what} {source!r} does not exist; "
                                 "set LINEAGE_DB to the live file")
    if dest.exists() and not overwrite:
        raise ConfigurationError(f"{dest} already exists; choose a new name or pass --force to replace it")
    if dest.resolve() == Path(source).resolve():
        raise ConfigurationError(f"{dest} is the live file itself; back up to another path")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with _connect(source) as src, _connect(partial) as out:
            if events_only or settings.gremlin_url:
                _copy_event_log(src, out)
            else:
                src.backup(out)                     # all pages in one step: one read snapshot
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        events, graph = _check(partial, "the backup")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(source, str(dest), events, graph, dest.stat().st_size)


def _copy_event_log(src: sqlite3.Connection, out: sqlite3.Connection) -> None:
    """The event log alone (its table, index and sequence), read in one transaction."""
    if EVENT_TABLE not in _tables(src):
        raise ConfigurationError("the live file holds no event log yet; ingest events first")
    EventLog(out)                                    # the log's own schema
    src.execute("BEGIN")
    try:
        rows = src.execute(f"SELECT * FROM {EVENT_TABLE} ORDER BY seq")
        out.execute("BEGIN")
        while batch := rows.fetchmany(5000):
            marks = ",".join("?" * len(batch[0]))
            out.executemany(f"INSERT INTO {EVENT_TABLE} VALUES ({marks})", batch)
        out.execute("COMMIT")
    finally:
        src.execute("ROLLBACK")


def restore(settings: Settings, source: str | os.PathLike, *, overwrite: bool = False) -> BackupReport:
    """Put a backup in place of the live file (the server must be stopped).

    A backup that holds the event log alone is restored into an empty graph, which
    is then rebuilt by replaying the log (on the embedded store; with a remote
    graph run ``lineage rebuild`` when you mean to replace the graph)."""
    target, what = live_file(settings)
    events, graph = _check(source, "the backup")
    if os.path.isfile(target) and not overwrite:
        with _connect(target) as con:
            held = con.execute(f"SELECT COUNT(*) FROM {EVENT_TABLE}").fetchone()[0] \
                if EVENT_TABLE in _tables(con) else 0
            has_graph = _holds_graph(con)
        if held or has_graph:
            raise ConfigurationError(f"the {what} {target!r} already holds {held} events; stop the server "
                                     "and pass --force to replace it with the backup")
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    if graph or settings.gremlin_url:
        _copy_file(source, target)
        return BackupReport(str(source), target, events, graph, os.path.getsize(target))
    # the log alone: replay it into a fresh graph beside the target, then put that in place
    fresh = Path(target).with_name(Path(target).name + ".restoring")
    for leftover in (fresh, fresh.with_name(fresh.name + "-wal"), fresh.with_name(fresh.name + "-shm")):
        leftover.unlink(missing_ok=True)
    try:
        from .._store import LineageStore

        with LineageStore(Settings(dict(settings.values, LINEAGE_DB=str(fresh)))) as store:
            con = store.backend.con
            con.execute("ATTACH DATABASE ? AS backup", (str(source),))
            con.execute(f"INSERT INTO main.{EVENT_TABLE} SELECT * FROM backup.{EVENT_TABLE} ORDER BY seq")
            con.commit()
            con.execute("DETACH DATABASE backup")
            rebuilt = store.rebuild().received
        _copy_file(fresh, target)
    finally:
        for leftover in (fresh, fresh.with_name(fresh.name + "-wal"), fresh.with_name(fresh.name + "-shm")):
            leftover.unlink(missing_ok=True)
    return BackupReport(str(source), target, events, True, os.path.getsize(target), rebuilt)


def _copy_file(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Through SQLite's backup API, so a -wal beside the target stays coherent."""
    with _connect(source) as src, _connect(target) as out:
        src.backup(out)
