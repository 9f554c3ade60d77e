"""The append-only log of accepted OpenLineage events.

It lives in SQLite: inside the embedded graph's own file (so an event and its
projection commit in one transaction), or in ``LINEAGE_EVENT_LOG`` beside a
remote graph (committed after the projection succeeds, so a failed projection
leaves no log entry and the producer's retry is projected again). Events are
identified by the fingerprint of their JSON; a re-sent event is recognised and
not projected twice. ``lineage rebuild`` replays the log in arrival order.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

from ._events import Event, canonical_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lineage_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    event_type TEXT,
    event_time TEXT NOT NULL,
    run_id TEXT,
    job_namespace TEXT,
    job_name TEXT,
    received_at TEXT NOT NULL,
    payload TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    received_at: str
    event: dict[str, Any] | None
    unreadable: str | None = None     # why ``event`` is None: the stored text is not strict JSON


def _strict(seq: int, received_at: str, payload: str) -> LoggedEvent:
    """A stored event as strict JSON. A row an older version stored with ``NaN`` or a
    too-long number is listed without its body (and the reason), never an error page."""
    from .limits import check_tree, decode

    try:
        event = decode(payload)
        check_tree(event)
    except Exception as exc:
        return LoggedEvent(seq, received_at, None, f"the stored event is not valid JSON ({exc})")
    return LoggedEvent(seq, received_at, event)


class EventLog:
    """Appends and reads events on a given SQLite connection (it never commits)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        in_tx = con.in_transaction
        con.execute(_SCHEMA)
        con.execute("CREATE INDEX IF NOT EXISTS lineage_events_run ON lineage_events (run_id)")
        if not in_tx:
            con.commit()

    def append(self, events: list[Event]) -> list[Event]:
        """Insert events not yet logged; return those that were new, in order."""
        received = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        fresh: list[Event] = []
        seen: set[str] = set()
        cur = self.con.cursor()
        for ev in events:
            if ev.fingerprint in seen:
                continue
            seen.add(ev.fingerprint)
            cur.execute(
                "INSERT OR IGNORE INTO lineage_events (fingerprint, kind, event_type, event_time, run_id,"
                " job_namespace, job_name, received_at, payload) VALUES (?,?,?,?,?,?,?,?,?)",
                (ev.fingerprint, ev.kind, ev.event_type, ev.event_time, ev.run_id,
                 ev.job_namespace, ev.job_name, received, canonical_json(ev.raw)))
            if cur.rowcount == 1:
                fresh.append(ev)
        cur.close()
        return fresh

    def count(self) -> int:
        return self.con.execute("SELECT COUNT(*) FROM lineage_events").fetchone()[0]

    def page(self, limit: int = 50, before: int | None = None) -> list[LoggedEvent]:
        """Newest first; pass the last ``seq`` seen as ``before`` for the next page."""
        sql = "SELECT seq, received_at, payload FROM lineage_events"
        args: tuple[Any, ...] = ()
        if before is not None:
            sql += " WHERE seq < ?"
            args = (before,)
        sql += " ORDER BY seq DESC LIMIT ?"
        rows = self.con.execute(sql, (*args, limit)).fetchall()
        return [_strict(seq, at, payload) for seq, at, payload in rows]

    def replay(self, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Every logged event in arrival order, in lists of ``batch``."""
        last = 0
        while True:
            rows = self.con.execute(
                "SELECT seq, payload FROM lineage_events WHERE seq > ? ORDER BY seq LIMIT ?",
                (last, batch)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [json.loads(payload) for _, payload in rows]


    def index_signatures(self, limit: int = 2000) -> int:
        """Record what up to ``limit`` more events assert about lineage (their job, inputs,
        outputs and SQL) in ``lineage_event_signatures``, a side table only retention
        reads; return how many were added (0: up to date)."""
        self.con.execute(_SIGNATURES)
        cur = self.con.execute(_INDEX.format(signature=_SIGNATURE), (limit,))
        return cur.rowcount

    def expire(self, before: str, dry_run: bool = False) -> int:
        """Delete (or with ``dry_run`` count) events older than ``before`` (ISO UTC); call
        :meth:`index_signatures` until it returns 0 first.

        Kept whatever their age: every DatasetEvent, and for each job and each
        distinct set of inputs, outputs and SQL it was ever seen with, the events of
        the latest run (and the latest JobEvent) that had them. So ``lineage
        rebuild`` after an age-off still draws every lineage edge; only the old
        runs' own history is gone."""
        self.con.execute(_SIGNATURES)
        if dry_run:
            return self.con.execute(_EXPIRE.format(action="SELECT COUNT(*) FROM"), (before,)).fetchone()[0]
        count = self.con.execute(_EXPIRE.format(action="DELETE FROM"), (before,)).rowcount
        self.con.execute("DELETE FROM lineage_event_signatures WHERE seq NOT IN (SELECT seq FROM lineage_events)")
        return count


_SIGNATURES = """
CREATE TABLE IF NOT EXISTS lineage_event_signatures (
    seq INTEGER PRIMARY KEY, kind TEXT, run_id TEXT, job TEXT, signature TEXT)
"""

# what an event asserts about lineage: its inputs, outputs and SQL
_SIGNATURE = """
    (SELECT group_concat(json_extract(value, '$.namespace') || '|' || json_extract(value, '$.name'), ',')
     FROM json_each(payload, '$.inputs')) || ' > ' ||
    (SELECT group_concat(json_extract(value, '$.namespace') || '|' || json_extract(value, '$.name'), ',')
     FROM json_each(payload, '$.outputs')) || ' ' ||
    coalesce(json_extract(payload, '$.job.facets.sql.query'), '')"""

_INDEX = """
INSERT INTO lineage_event_signatures (seq, kind, run_id, job, signature)
SELECT seq, kind, run_id, job_namespace || '/' || job_name, coalesce({signature}, '')
FROM lineage_events
WHERE seq > (SELECT coalesce(max(seq), 0) FROM lineage_event_signatures)
ORDER BY seq LIMIT ?
"""

_EXPIRE = """
{action} lineage_events
WHERE event_time < ? AND kind != 'DatasetEvent'
  AND (run_id IS NULL OR run_id NOT IN (
      SELECT run_id FROM lineage_event_signatures WHERE seq IN (
          SELECT MAX(seq) FROM lineage_event_signatures WHERE run_id IS NOT NULL GROUP BY job, signature)))
  AND seq NOT IN (
      SELECT MAX(seq) FROM lineage_event_signatures WHERE kind = 'JobEvent' GROUP BY job, signature)
"""
