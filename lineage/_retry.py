"""Which failed writes are worth trying again, and how long to wait between tries.

A write that lost a race is not an error: another replica changed what we read,
or held a lock we needed, and a fresh attempt (reading the new state) succeeds.
:func:`retriable` recognises those failures by what they are, never by words
alone: the Python exception type, the Gremlin Server's status code, and the Java
exception classes of the server's cause chain, walking our own cause chain too.

* lock contention: JanusGraph's ``PermanentLockingException`` ("Local lock
  contention", "Expected value mismatch") and ``TemporaryLockingException``;
* a concurrent update: our own guard (``fail()`` with :data:`CONFLICT`) saw that
  a vertex changed since we read it;
* a concurrent create: a unique index refused a second vertex with the same key,
  or a read saw a vertex another transaction is still committing (:class:`TornRead`);
* temporary backend failures: ``TemporaryBackendException``, status 596;
* timeouts and dropped connections: status 598, ``TimeoutError``, socket errors;
* a busy SQLite file (another process holds the write lock past the timeout).

:class:`Backoff` spaces attempts with bounded, jittered exponential delays.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass

# The message of the guard that aborts a write traversal when a vertex it
# updates changed after it was read.
CONFLICT = "lineage-conflict: a vertex changed since it was read"

class TornRead(Exception):
    """A read saw a vertex another transaction is committing only in part (JanusGraph
    writes an index entry and the vertex's properties separately, without isolation)."""


_JAVA = {
    "PermanentLockingException": "lock contention",
    "TemporaryLockingException": "lock contention",
    "TemporaryBackendException": "temporary backend failure",
    "TemporaryException": "temporary backend failure",
    "TimeoutException": "timeout",
}
_STATUS = {596: "temporary backend failure", 598: "timeout"}


def _java_classes(exc: BaseException) -> list[str]:
    attributes = getattr(exc, "status_attributes", None) or {}
    names = attributes.get("exceptions") or []
    return [str(n).rsplit(".", 1)[-1] for n in names]


def _one(exc: BaseException) -> str | None:
    if isinstance(exc, TornRead):
        return "concurrent create"
    status = getattr(exc, "status_code", None)
    if status is not None:           # a Gremlin Server answer
        classes = _java_classes(exc)
        for name in classes:
            if name in _JAVA:
                return _JAVA[name]
            if name.endswith("FailException") and CONFLICT in str(exc):
                return "concurrent update"
            if name == "SchemaViolationException" and "uniqueness constraint" in str(exc):
                return "concurrent create"
        return _STATUS.get(status)
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "database busy" if "locked" in text or "busy" in text else None
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, (ConnectionError, OSError)):
        return "connection lost"
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - gremlinpython depends on it
        return None
    if isinstance(exc, aiohttp.ClientError):
        return "connection lost"
    return None


def retriable(exc: BaseException) -> str | None:
    """Why ``exc`` is worth retrying (a short reason), or None when it is not."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        reason = _one(current)
        if reason:
            return reason
        current = current.__cause__ or current.__context__
    return None


@dataclass
class Backoff:
    """Full-jitter exponential backoff: before try ``n`` (from 2) wait a random time
    up to ``min(cap, base * 2**(n-2))`` seconds; ``attempts`` bounds the tries."""

    attempts: int = 8
    base: float = 0.02
    cap: float = 1.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return (rng or random).uniform(0, ceiling)
