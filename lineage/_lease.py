"""A lease in the graph: which one of many processes does a job right now.

The lease is a ``Lease`` vertex keyed by ``lease_name`` (unique and locked, so
two processes cannot both create it) with its holder and the time it runs out
(``lease_until``, seconds since the epoch). A process takes it when it is free,
run out or its own, by a write guarded by the vertex's revision (``rev``, LOCK
consistency): of two processes taking it at once one commit is refused. The
holder renews it once a third of it has passed, one locked commit every few
seconds whatever the work done under it; a holder that stops renewing loses it
when it runs out, and another process takes over.

A lease says who should work, not who may: the work done under it must be safe
with two workers at once (a holder paused past its lease may still finish a
write). The inbox applier's writes are guarded writes (see :mod:`lineage._guarded`),
so a second applier only costs retries.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from gremlin_python.process.graph_traversal import GraphTraversalSource, __

from . import _model as m
from ._retry import CONFLICT

log = logging.getLogger("lineage.lease")
LEASE = "Lease"


class Lease:
    def __init__(self, g: GraphTraversalSource, name: str, seconds: float, holder: str | None = None) -> None:
        self.g, self.name, self.seconds = g, name, seconds
        self.holder = holder or uuid.uuid4().hex
        self._until = 0.0        # this process's own clock: held until then

    def held(self) -> bool:
        return time.time() < self._until

    def hold(self) -> bool:
        """Take or renew the lease where it is free, run out or ours; return whether we hold it."""
        now = time.time()
        if self._until - now > self.seconds * 2 / 3:
            return True
        try:
            return self._take(now)
        except Exception as exc:   # lost to another process, or the server is away: not ours
            log.debug("lease %s not taken: %s", self.name, exc)
            self._until = 0.0
            return False

    def _take(self, now: float) -> bool:
        rows = self.g.V().has("lease_name", self.name).has_label(LEASE).project("v", "h", "u", "r") \
            .by(__.id_()).by(__.values("lease_holder").fold()).by(__.values("lease_until").fold()) \
            .by(__.values(m.REV).fold()).to_list()
        until = now + self.seconds
        props = {"lease_holder": self.holder, "lease_until": f"{until:.3f}", m.REV: uuid.uuid4().hex}
        if not rows:
            t: Any = self.g.add_v(LEASE).property("lease_name", self.name)
        else:
            row = rows[0]
            holder, ends = (row["h"] or [None])[0], float((row["u"] or ["0"])[0])
            if holder != self.holder and ends > now:
                self._until = 0.0
                return False
            rev = (row["r"] or [None])[0]
            found = self.g.V(row["v"]).has(m.REV, rev) if rev is not None else self.g.V(row["v"])
            t = found.fold().coalesce(__.unfold(), __.fail(CONFLICT))
        for k, v in props.items():
            t = t.property(k, v)
        t.iterate()
        self._until = until
        return True

    def release(self) -> None:
        """Give the lease up at once (another process need not wait for it to run out)."""
        if not self.held():
            return
        self._until = 0.0
        try:
            self.g.V().has("lease_name", self.name).has_label(LEASE).has("lease_holder", self.holder) \
                .property("lease_until", "0").property(m.REV, uuid.uuid4().hex).iterate()
        except Exception as exc:
            log.info("lease %s not released (it runs out by itself): %s", self.name, exc)
