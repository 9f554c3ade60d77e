"""Bounds on what the embedded writer keeps between batches.

The SQL writer (:mod:`lineage.graph.sqlwrite`) remembers the vertices it has
read or written, their out-edges and the ids of the strings it has interned,
so the jobs and datasets every event names are not read again per batch. It is
a speed-up, not a copy of the graph: under steady ingestion every run is a new
vertex with new edges, so without a bound the cache is a leak of a few KB per
event.

Dropping everything when a limit is passed keeps the bound but makes memory
saw-tooth up to the limit (the process's RSS stays at the peak) and throws
the hot jobs and datasets away with the cold runs. Instead the vertices are
kept in order of use and the least recently used ones go, with their
out-edges, once vertices and edges together pass ``limit`` elements: a run
that was written once ages out, the jobs and datasets that every event names
stay. The Gremlin writer (:mod:`lineage._writer`, on the embedded file with
the gremlin engine) is bounded the same way. Strings are trimmed oldest first (their ids never change, so a dropped
one is only read again when needed).
"""

from __future__ import annotations

from collections import OrderedDict
from itertools import islice
from typing import Any, Iterable

# elements (vertices + their out-edges) the writer keeps; a cached element with its
# properties is 0.5-2 KB, so this is some tens of MB at most
ELEMENTS = 20_000
STRINGS_PER_ELEMENT = 2   # interned string ids kept, per element of the bound


def touch(vertices: "OrderedDict[tuple[str, str], Any]", keys: Iterable[tuple[str, str]]) -> None:
    """Mark ``keys`` as just used (the end of the order is the most recent)."""
    for key in keys:
        if key in vertices:
            vertices.move_to_end(key)


def trim(writer: Any, limit: int) -> int:
    """Drop the least recently used vertices of ``writer`` (with their out-edges and
    bookkeeping) until its vertices and edges together are within ``limit``, and
    its oldest strings past ``STRINGS_PER_ELEMENT * limit``. Returns the elements dropped."""
    vertices: OrderedDict[tuple[str, str], Any] = writer._vertices
    edges: dict[Any, dict[Any, Any]] = writer._edges
    # a writer that counts what it holds as it goes (the SQL writer) spares a count over
    # its whole cache per batch, which a stream of one-event groups pays per event
    held = getattr(writer, "_held", None)
    if held is None:
        held = len(vertices) + sum(map(len, edges.values()))
    dropped = 0
    if held > limit:
        target = limit * 3 // 4   # some room, so the next batches do not trim again at once
        timed: set[Any] = getattr(writer, "_timed", set())   # the SQL writer's bookkeeping
        unrecorded: set[Any] = getattr(writer, "_unrecorded", set())
        while held > target and vertices:
            _key, element = vertices.popitem(last=False)
            held -= 1
            dropped += 1
            timed.discard(element.id)
            unrecorded.discard(element.id)
            out = edges.pop(element.id, None)
            if out:
                held -= len(out)
                dropped += len(out)
                timed.difference_update(-edge.id for edge in out.values() if isinstance(edge.id, int))
    if hasattr(writer, "_held"):
        writer._held = held
    strings: dict[str, int] = getattr(writer, "_strings", {})
    most = STRINGS_PER_ELEMENT * limit
    if len(strings) > most:
        for text in list(islice(strings, len(strings) - most * 3 // 4)):
            del strings[text]
    return dropped
