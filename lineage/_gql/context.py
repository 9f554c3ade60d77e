"""Per-request context: read access in worker threads, DataLoaders, typed errors."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, TypeVar

import anyio
from graphql import GraphQLError
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from .._analysis import LineageAnalysis
from .._errors import LineageError
from ..limits import deadline

T = TypeVar("T")


def typed_error(err: LineageError) -> GraphQLError:
    """An expected failure as a GraphQL error with a machine-readable code (no stack trace)."""
    return GraphQLError(err.message, extensions={"code": err.code.upper(), "status": err.status, **err.details})


class Context(BaseContext):
    def __init__(self, state: Any) -> None:
        super().__init__()
        self.state = state
        # The request's time budget: every read runs under it, and it is spent early
        # when the client disconnects (watched from the first read on).
        self.budget = deadline.Budget(state.settings["LINEAGE_QUERY_TIMEOUT"])
        self._watcher: asyncio.Task | None = None
        # DataLoaders live for one request: a query listing pipelines and their runs
        # reads the runs of all of them in one pass.
        self.runs = DataLoader(self._load_runs)

    async def _watch_disconnect(self) -> None:
        """Poll the connection while the budget lasts; a client that left cancels it."""
        request = self.request
        if request is None or not hasattr(request, "is_disconnected"):
            return
        while not self.budget.expired():
            if await request.is_disconnected():
                self.budget.cancel()
                return
            await asyncio.sleep(0.25)

    async def read(self, field: str, fn: Callable[[LineageAnalysis], T]) -> T:
        started = time.perf_counter()
        budget = self.budget
        if self._watcher is None:
            self._watcher = asyncio.ensure_future(self._watch_disconnect())

        def work() -> T:
            with deadline.bound(budget):
                deadline.check()
                return fn(self.state.analysis())
        try:
            # a reader process answers one request at a time: there the read runs inline
            if getattr(self.state, "inline_reads", False):
                return work()
            return await anyio.to_thread.run_sync(work)
        except LineageError as err:
            raise typed_error(err) from None
        except Exception:
            if budget.expired():   # the progress handler interrupted a statement (whatever wraps it)
                raise typed_error(budget.error()) from None
            raise
        finally:
            self.state.metrics.resolver_seconds.labels(field).observe(time.perf_counter() - started)

    async def write(self, field: str, fn: Callable[[Any], T]) -> T:
        """Run a Recorder call; its events go through the writer thread like HTTP events."""
        from .._server import auth

        try:
            auth.check(self.state.settings, self.request.headers.get("authorization") if self.request else None,
                       write=True)
            return await anyio.to_thread.run_sync(lambda: fn(self.state.recorder()))
        except LineageError as err:
            raise typed_error(err) from None

    async def _load_runs(self, keys: list[tuple[str, int]]) -> list[list[dict[str, Any]]]:
        def load(q: LineageAnalysis) -> list[list[dict[str, Any]]]:
            return [q.runs(pipeline_id, limit) for pipeline_id, limit in keys]
        return await self.read("runs", load)
