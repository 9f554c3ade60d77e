"""A per-request deadline that really stops the work.

A GraphQL request gets a :class:`Budget` (``LINEAGE_QUERY_TIMEOUT`` seconds);
its reads run in worker threads with the budget bound to the thread
(:func:`bound`). Every SQLite read connection has :func:`progress_handler`
installed, so a statement running when the budget runs out (or the client
has gone: :meth:`Budget.cancel`) is interrupted by SQLite itself; traversals
call :func:`check` between levels. Outside a request nothing is bound and
both are no-ops.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

from .._errors import QueryTimeout

_local = threading.local()


class Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def expired(self) -> bool:
        return self.cancelled or time.monotonic() > self.expires

    def error(self) -> QueryTimeout:
        if self.cancelled:
            return QueryTimeout("the client disconnected; the request's reads were stopped")
        return QueryTimeout(f"the request ran past {self.seconds:g} s (LINEAGE_QUERY_TIMEOUT) and was stopped; "
                            "ask for less (a smaller depth, fewer fields or aliases) or raise the limit")


@contextlib.contextmanager
def bound(budget: Budget) -> Iterator[Budget]:
    previous = getattr(_local, "budget", None)
    _local.budget = budget
    try:
        yield budget
    finally:
        _local.budget = previous


def current() -> Budget | None:
    return getattr(_local, "budget", None)


def check() -> None:
    """Raise :class:`QueryTimeout` when this thread's budget is spent."""
    budget = getattr(_local, "budget", None)
    if budget is not None and budget.expired():
        raise budget.error()


def progress_handler() -> int:
    """For ``sqlite3.Connection.set_progress_handler``: non-zero interrupts the statement."""
    budget = getattr(_local, "budget", None)
    return 1 if budget is not None and budget.expired() else 0


PROGRESS_STEPS = 2_000   # SQLite VM instructions between calls (a few microseconds)
