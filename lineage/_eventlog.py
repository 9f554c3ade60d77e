"""The append-only log of accepted OpenLineage events.

* :class:`EventLog`, embedded: a table inside the graph's own SQLite file, so an
  event and its projection commit in one transaction.
* :class:`GraphEventLog`, on a Gremlin Server: ``Event`` vertices in the graph
  store itself, one per event, unique (under a locked index) by fingerprint,
  the raw JSON zlib-compressed. Every API replica and ``lineage ingest`` run
  logs to and replays from the same place, and the new ``Event`` vertices are
  written by the same traversal (the same JanusGraph transaction) as the
  projection, so an event is logged exactly when its projection commits.

Events are identified by the fingerprint of their JSON; a re-sent event is
recognised and not projected twice. ``lineage rebuild`` replays the log.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import Order, P

from ._eventvertex import EVENT, WITHIN as _WITHIN, add_event as _add_event, inflate as _inflate
from ._eventvertex import now as _now, pack as _pack, unpack as _unpack
from ._events import Event
from ._inbox import INBOX_KEY, PENDING_KEY, GraphInbox, drop_copies as _drop_inbox, promote as _promote

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

    def pending_writes(self) -> list[Callable[[Any], Any]]:
        """Log writes still to be made by the graph transaction (none: SQL inserts at once)."""
        return []

    def discard(self) -> None:
        """Forget staged writes after a rollback (nothing is staged here)."""

    def clear(self) -> None:
        """Delete every logged event (inside the caller's transaction)."""
        self.con.execute("DELETE FROM lineage_events")

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
                 ev.job_namespace, ev.job_name, received, ev.payload()))
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
# (an event that lists no inputs, or no outputs, still has the others in its signature;
# signature() below is the same rule in Python)
_SIGNATURE = """
    coalesce((SELECT group_concat(json_extract(value, '$.namespace') || '|' || json_extract(value, '$.name'), ',')
     FROM json_each(payload, '$.inputs')), '') || ' > ' ||
    coalesce((SELECT group_concat(json_extract(value, '$.namespace') || '|' || json_extract(value, '$.name'), ',')
     FROM json_each(payload, '$.outputs')), '') || ' ' ||
    coalesce(json_extract(payload, '$.job.facets.sql.query'), '')"""


def signature(raw: Any) -> str:
    """What an event asserts about lineage, as the embedded log's signature index has it:
    ``ns|name,... > ns|name,... SQL`` (inputs, outputs, the job's SQL query)."""
    def part(value: Any, *path: str) -> Any:
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def names(key: str) -> str:
        items = part(raw, key)
        return ",".join(f"{d['namespace']}|{d['name']}" for d in items if isinstance(d, dict)
                        and d.get("namespace") is not None and d.get("name") is not None) \
            if isinstance(items, list) else ""

    query = part(raw, "job", "facets", "sql", "query")
    return f"{names('inputs')} > {names('outputs')} {'' if query is None else query}"


def _signature_key(raw: Any) -> str:
    """The signature as the Event vertices store it: a digest (SQL text can be long)."""
    return hashlib.sha256(signature(raw).encode("utf-8")).hexdigest()[:32]


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

class GraphEventLog(GraphInbox):
    """The event log as ``Event`` vertices of a remote graph.

    :meth:`append` only reads (which fingerprints are logged already) and stages
    an ``addV`` per new event; the writer runs the staged steps inside the
    group's one write traversal. ``event_seq`` (microseconds since the epoch,
    times 1000, plus a random tie-breaker) orders the log across replicas.

    The inbox (``LINEAGE_INGEST_ACK=logged``, :class:`~lineage._inbox.GraphInbox`):
    events logged before they are applied; ``append(..., promote=True)`` applies them.
    """

    def __init__(self, g: GraphTraversalSource) -> None:
        self.g = g
        self._staged: list[Callable[[Any], Any]] = []

    def known(self, fingerprints: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(fingerprints), _WITHIN):
            part = fingerprints[i:i + _WITHIN]
            found.update(self.g.V().has("event_fp", P.within(part)).has_label(EVENT).values("event_fp").to_list())
        return found

    def append(self, events: list[Event], known: set[str] | None = None, promote: bool = False) -> list[Event]:
        """Return the events not logged yet (in order) and stage their log entries.
        ``known``: the logged fingerprints among them, when the caller read them already.
        ``promote``: the events are in the inbox already (see :meth:`log_pending`); stage
        the promotion of the new ones and the removal of inbox copies of known ones."""
        known = set(known) if known is not None else self.known(sorted({e.fingerprint for e in events}))
        received = _now()
        fresh: list[Event] = []
        seen: set[str] = set()
        for ev in events:
            if ev.fingerprint in seen:
                continue
            seen.add(ev.fingerprint)
            if ev.fingerprint in known:
                if promote:
                    self._staged.append(_drop_inbox(ev.fingerprint))
                continue
            fresh.append(ev)
            self._staged.append(_promote(ev.fingerprint) if promote else self._writer(ev, received))
        return fresh

    @staticmethod
    def _props(ev: Event, received: str) -> dict[str, Any]:
        seq = time.time_ns() // 1000 * 1000 + random.randrange(1000)
        return {"event_fp": ev.fingerprint, "event_seq": seq, "event_kind": ev.kind,
                "event_type": ev.event_type, "event_time": ev.event_time, "event_run": ev.run_id,
                "event_job": f"{ev.job_namespace}/{ev.job_name}" if ev.job_name else None,
                "event_received": received, "event_signature": _signature_key(ev.raw),
                "event_payload": _pack(dict(ev.raw))}

    @classmethod
    def _writer(cls, ev: Event, received: str) -> Callable[[Any], Any]:
        return _add_event(cls._props(ev, received))

    def pending_writes(self) -> list[Callable[[Any], Any]]:
        staged, self._staged = self._staged, []
        return staged

    def discard(self) -> None:
        self._staged = []

    def clear(self) -> None:
        while self.g.V().has_label(EVENT).limit(1).count().next():
            self.g.V().has_label(EVENT).limit(2000).drop().iterate()

    def count(self) -> int:
        return self.g.V().has_label(EVENT).count().next()

    def page(self, limit: int = 50, before: int | None = None) -> list[LoggedEvent]:
        """Newest first; pass the last ``seq`` seen as ``before`` for the next page.
        (This scans the Event vertices: it is for operators, not for hot paths.)"""
        t = self.g.V().has_label(EVENT)
        if before is not None:
            t = t.has("event_seq", P.lt(before))
        rows = t.order().by("event_seq", Order.desc).limit(limit) \
            .project("s", "r", "p").by("event_seq").by("event_received").by("event_payload").to_list()
        return [_strict(r["s"], r["r"], _inflate(r["p"])) for r in rows]

    def index_signatures(self, limit: int = 2000) -> int:
        """Give up to ``limit`` Event vertices logged without one (by an older version) their
        ``event_signature``; return how many were given one (0: up to date)."""
        rows = self.g.V().has_label(EVENT).not_(__.has("event_signature")).limit(limit) \
            .project("i", "p").by(__.id_()).by("event_payload").to_list()
        for i in range(0, len(rows), _WITHIN):
            t: Any = self.g.inject(0)
            for row in rows[i:i + _WITHIN]:
                t = t.side_effect(__.V(row["i"]).property("event_signature", _signature_key(_unpack(row["p"]))))
            t.iterate()
        return len(rows)

    def expire(self, before: str, dry_run: bool = False) -> int:
        """Delete (or with ``dry_run`` count) Event vertices older than ``before`` (ISO UTC),
        by the embedded log's rule (see :meth:`EventLog.expire`): every DatasetEvent stays,
        and for each job and each signature it was seen with, the latest run's events
        and the latest JobEvent. Call :meth:`index_signatures` until it returns 0 first."""
        rows = self.g.V().has_label(EVENT).not_(__.has(PENDING_KEY)).project("i", "s", "k", "t", "r", "j", "g") \
            .by(__.id_()).by("event_seq").by("event_kind").by("event_time") \
            .by(__.values("event_run").fold()).by(__.values("event_job").fold()) \
            .by(__.values("event_signature").fold()).to_list()
        latest_run: dict[tuple[Any, Any], tuple[int, str]] = {}
        latest_job_event: dict[tuple[Any, Any], int] = {}
        for r in rows:
            run, key = (r["r"] or [None])[0], ((r["j"] or [None])[0], (r["g"] or [""])[0])
            if run is not None and latest_run.get(key, (-1, ""))[0] < r["s"]:
                latest_run[key] = (r["s"], run)
            if r["k"] == "JobEvent" and latest_job_event.get(key, -1) < r["s"]:
                latest_job_event[key] = r["s"]
        kept_runs = {run for _, run in latest_run.values()}
        kept_seqs = set(latest_job_event.values())
        old = [r["i"] for r in rows if r["t"] < before and r["k"] != "DatasetEvent"
               and (r["r"] or [None])[0] not in kept_runs and r["s"] not in kept_seqs]
        if not dry_run:
            for i in range(0, len(old), 500):
                self.g.V(*old[i:i + 500]).drop().iterate()
        return len(old)

    def replay(self, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Every logged event in ``event_seq`` order, in lists of ``batch``; those still in
        the inbox too, each fingerprint once."""
        rows = self.g.V().has_label(EVENT).project("i", "s", "f").by(__.id_()).by("event_seq") \
            .by(__.coalesce(__.values("event_fp"), __.values(INBOX_KEY))).to_list()
        rows.sort(key=lambda r: r["s"])
        once: set[str] = set()
        ids = []
        for r in rows:
            if r["f"] not in once:
                once.add(r["f"])
                ids.append(r)
        for i in range(0, len(ids), batch):
            part = [r["i"] for r in ids[i:i + batch]]
            rows = []
            for j in range(0, len(part), _WITHIN):
                rows.extend(self.g.V(*part[j:j + _WITHIN]).project("s", "p")
                            .by("event_seq").by("event_payload").to_list())
            rows.sort(key=lambda r: r["s"])
            yield [_unpack(r["p"]) for r in rows]
