"""SQL facets, parsed where a bad query cannot hurt the server.

openlineage-sql is native code. On a long enough query it overflows its stack
and the process dies with SIGSEGV: a 105 KB chain of ``OR`` terms does it
with the 8 MB main-thread stack (14,000 terms parse, 15,000 crash), and a
29 KB ``UNION ALL`` of 1,000 selects takes 4.5 s. So queries are parsed in
worker processes (``python -m lineage.limits._sqlworker``) with

* a size cap (``LINEAGE_SQL_MAX_BYTES``): longer queries are not parsed;
* a time limit (``LINEAGE_SQL_TIMEOUT``): a worker past it is killed;
* an address-space cap on each worker, so a runaway parse fails inside it.

A worker that crashes or is killed is replaced on the next query. Every
outcome is a :class:`SqlParse`: the tables, or the reason there are none.
Results are kept in a small LRU cache (producers resend the same query on
every run); timeouts are not cached, since they depend on the load.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("lineage.sql")

Table = tuple[Any, Any, str]          # (database, schema, name)
# An output column, its table when the parser knows it, and the (database, schema, table, column)
# it is computed from (openlineage-sql's column lineage).
Column = tuple[str, "Table | None", tuple[tuple[Any, Any, Any, str], ...]]


@dataclass(frozen=True)
class SqlParse:
    """The tables a query reads and writes, or ``error`` saying why none were found;
    ``columns``: the column lineage the parser found."""

    inputs: tuple[Table, ...] = ()
    outputs: tuple[Table, ...] = ()
    error: str | None = None
    cacheable: bool = field(default=True, compare=False)
    columns: tuple[Column, ...] = ()


class _Died(Exception):
    pass


_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sqlworker.py")
_STARTUP_SECONDS = 30.0


class _Worker:
    """One parse process. Started as a plain script (not ``-m lineage...``) so it
    imports the parser only; it says ``ready`` once it has."""

    def __init__(self, memory_bytes: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, _SCRIPT, str(memory_bytes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True)
        try:
            self._read(_STARTUP_SECONDS)
        except TimeoutError:
            raise _Died("did not start") from None

    def ask(self, request: bytes, timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(request)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _Died(self._death()) from None
        return json.loads(self._read(timeout))

    def _read(self, timeout: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        buffer = bytearray()
        while not buffer.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.kill()
                raise TimeoutError
            chunk = os.read(fd, 65536)
            if not chunk:
                raise _Died(self._death())
            buffer += chunk
        return bytes(buffer)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "stopped answering"
        if code < 0:
            try:
                return f"crashed ({signal.Signals(-code).name})"
            except ValueError:
                return f"crashed (signal {-code})"
        return f"exited with status {code}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                if pipe:
                    pipe.close()
            except OSError:
                pass


class SqlParser:
    """A pool of at most ``workers`` parse processes, started when first needed."""

    def __init__(self, max_bytes: int = 65_536, timeout: float = 2.0, *, workers: int = 2,
                 memory_bytes: int = 1 << 30, cache_size: int = 256) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        self.cache_size = cache_size
        self._slots = threading.BoundedSemaphore(workers)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], SqlParse] = OrderedDict()
        self._closed = False

    def parse(self, query: str, dialect: str = "generic") -> SqlParse:
        size = len(query.encode("utf-8", "surrogatepass"))
        if size > self.max_bytes:
            return SqlParse(error=f"the query is {size} bytes; queries over {self.max_bytes} bytes "
                                  "(LINEAGE_SQL_MAX_BYTES) are not parsed")
        key = (dialect, query)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        result = self._ask(query, dialect, size)
        if result.cacheable:
            with self._lock:
                self._cache[key] = result
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return result

    def _ask(self, query: str, dialect: str, size: int) -> SqlParse:
        request = json.dumps({"query": query, "dialect": dialect}).encode() + b"\n"
        with self._slots:
            try:
                worker = self._checkout()
            except _Died as died:
                return SqlParse(error=f"the SQL parse worker {died}", cacheable=False)
            try:
                answer = worker.ask(request, self.timeout)
            except TimeoutError:
                log.warning("SQL parse of a %d-byte query passed %.1f s; worker stopped", size, self.timeout)
                return SqlParse(error=f"parsing took over {self.timeout:g} s (LINEAGE_SQL_TIMEOUT) and was stopped",
                                cacheable=False)
            except _Died as died:
                worker.kill()
                log.warning("the SQL parser %s on a %d-byte query; worker replaced", died, size)
                return SqlParse(error=f"the SQL parser {died} on this query")
            self._checkin(worker)
        if "error" in answer:
            return SqlParse(error=f"the SQL parser could not read the query: {answer['error']}")
        inputs = tuple(tuple(t) for t in answer["in"])
        outputs = tuple(tuple(t) for t in answer["out"])
        problems = answer.get("errors") or []
        error = f"the SQL parser could not read the query: {problems[0]}" if problems and not inputs else None
        columns = tuple((str(name), tuple(table) if table else None, tuple(tuple(src) for src in sources))
                        for name, table, sources in answer.get("columns") or ())
        return SqlParse(inputs, outputs, error, columns=columns)  # type: ignore[arg-type]

    def _checkout(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        return _Worker(self.memory_bytes)

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.kill()
            else:
                self._idle.append(worker)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
