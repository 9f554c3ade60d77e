"""Reads before writes: the writer waits, a bounded time, for GraphQL queries in flight.

Under load the serving process's writer thread and its requests share one
interpreter lock and, on a small machine, the CPU. A group's translation and
merge is CPU-bound Python, so a query that arrives meanwhile waits behind it,
whether it runs in a thread here or in a reader process (its request and answer
still pass through this process). With ``LINEAGE_READS_FIRST_MS`` set, the
writer, holding a group, first waits until no query is in flight, at most that
many milliseconds; meanwhile more requests join the group, so the wait costs
less throughput than it seems. Writes are never refused or reordered, and the
bound keeps a steady stream of queries from starving them.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator


class ReadsFirst:
    def __init__(self, bound_ms: int) -> None:
        self.bound = bound_ms / 1000
        self._reading = 0
        self._quiet = threading.Condition()
        self.waited = 0.0    # seconds writers spent waiting for queries, in all

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Around a query's execution."""
        with self._quiet:
            self._reading += 1
        try:
            yield
        finally:
            with self._quiet:
                self._reading -= 1
                if not self._reading:
                    self._quiet.notify_all()

    def in_flight(self) -> int:
        return self._reading

    def wait_quiet(self) -> float:
        """Wait until no query is in flight, at most the bound; the seconds waited."""
        if self.bound <= 0 or not self._reading:
            return 0.0
        started = time.monotonic()
        deadline = started + self.bound
        with self._quiet:
            while self._reading:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._quiet.wait(left)
        waited = time.monotonic() - started
        self.waited += waited
        return waited
