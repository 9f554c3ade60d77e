"""The inbox of a remote graph's event log (``LINEAGE_INGEST_ACK=logged``): events
acknowledged once logged, applied to the graph later.

:meth:`GraphInbox.log_pending` writes new events as ``Event`` vertices keyed by
``event_inbox`` (a plain index, so no lock is taken) and marked ``event_pending``,
in one traversal of its own. Applying them later, the log's
``append(..., promote=True)`` stages, inside the projection's traversal,
:func:`promote` of each new fingerprint to ``event_fp`` (unique and locked: two
writers cannot both promote it) and :func:`drop_copies` of any other inbox copy of
an event (two replicas may both log a re-sent event).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import P

from ._eventvertex import EVENT, WITHIN, add_event, now, unpack

if TYPE_CHECKING:
    from gremlin_python.process.graph_traversal import GraphTraversalSource

    from ._events import Event

INBOX_KEY = "event_inbox"
PENDING_KEY = "event_pending"


def promote(fingerprint: str) -> Callable[[Any], Any]:
    """Inside the projection's traversal: the first inbox copy of an event becomes its
    log entry (``event_fp``, unique and locked), other copies go."""
    def op(source: Any) -> Any:
        copies = __.V().has(INBOX_KEY, fingerprint).has_label(EVENT).fold()
        return source.side_effect(copies.side_effect(__.unfold().skip(1).drop()).unfold().limit(1)
                                  .property("event_fp", fingerprint)
                                  .side_effect(__.properties(INBOX_KEY, PENDING_KEY).drop()))
    return op


def drop_copies(fingerprint: str) -> Callable[[Any], Any]:
    """Inside the projection's traversal: inbox copies of an event logged already go."""
    def op(source: Any) -> Any:
        return source.side_effect(__.V().has(INBOX_KEY, fingerprint).has_label(EVENT).drop())
    return op


class GraphInbox:
    """The inbox side of :class:`~lineage._eventlog.GraphEventLog`: its host provides the
    traversal source ``g`` and ``_props(event, received)``, an Event vertex's properties."""

    g: GraphTraversalSource
    _props: Callable[[Event, str], dict[str, Any]]

    def seen(self, fingerprints: list[str]) -> set[str]:
        """Which of ``fingerprints`` are logged, applied or still in the inbox (one round trip)."""
        found: set[str] = set()
        for i in range(0, len(fingerprints), WITHIN):
            part = fingerprints[i:i + WITHIN]
            found.update(self.g.inject(0).union(
                __.V().has("event_fp", P.within(part)).has_label(EVENT).values("event_fp"),
                __.V().has(INBOX_KEY, P.within(part)).has_label(EVENT).values(INBOX_KEY)).to_list())
        return found

    def log_pending(self, events: list[Event]) -> list[bool]:
        """Log the events not seen yet in the inbox, in one traversal of their own that
        takes no lock; return, per event, whether it was new. A re-sent event racing
        its first copy may be logged twice: applying keeps one."""
        known = self.seen(sorted({e.fingerprint for e in events}))
        received = now()
        marks: list[bool] = []
        units = []
        for ev in events:
            new = ev.fingerprint not in known
            marks.append(new)
            if new:
                known.add(ev.fingerprint)
                props = self._props(ev, received)
                props[INBOX_KEY] = props.pop("event_fp")
                props[PENDING_KEY] = "1"
                units.append((1 + len(props), add_event(props)))
        if units:
            from ._guarded import chain
            chain(self.g, units).iterate()
        return marks

    def pending(self, older_than: str | None = None, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]:
        """Events still in the inbox (received before ``older_than``, ISO UTC, if given),
        oldest first, as (fingerprint, raw event) pairs: the fingerprint is the one the
        event was accepted under (the stored JSON carries the audit facet added since)."""
        t = self.g.V().has(PENDING_KEY, "1").has_label(EVENT)
        if older_than is not None:
            t = t.has("event_received", P.lt(older_than))
        rows = t.limit(limit).project("s", "f", "p").by(__.values("event_seq").fold()) \
            .by(__.values(INBOX_KEY).fold()).by(__.values("event_payload").fold()).to_list()
        # a vertex another transaction is still writing may be seen without all its properties
        rows = sorted((r["s"][0], r["f"][0], r["p"][0]) for r in rows if r["s"] and r["f"] and r["p"])
        return [(fp, unpack(payload)) for _seq, fp, payload in rows]

    def pending_count(self) -> int:
        return self.g.V().has(PENDING_KEY, "1").has_label(EVENT).count().next()
