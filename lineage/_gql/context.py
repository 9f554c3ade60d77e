"""Per-request context: read access in worker threads, DataLoaders, typed errors."""

from __future__ import annotations

import time
from typing import Any, Callable, TypeVar

import anyio
from graphql import GraphQLError
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from .._analysis import LineageAnalysis
from .._errors import LineageError

T = TypeVar("T")


def typed_error(err: LineageError) -> GraphQLError:
    """An expected failure as a GraphQL error with a machine-readable code (no stack trace)."""
    return GraphQLError(err.message, extensions={"code": err.code.upper(), "status": err.status, **err.details})


class Context(BaseContext):
    def __init__(self, state: Any) -> None:
        super().__init__()
        self.state = state
        # DataLoaders live for one request: a query listing pipelines and their runs
        # reads the runs of all of them in one pass.
        self.runs = DataLoader(self._load_runs)

    async def read(self, field: str, fn: Callable[[LineageAnalysis], T]) -> T:
        started = time.perf_counter()
        try:
            return await anyio.to_thread.run_sync(lambda: fn(self.state.readers.analysis()))
        except LineageError as err:
            raise typed_error(err) from None
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
