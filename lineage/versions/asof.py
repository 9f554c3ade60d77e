"""The lineage graph as it was at a time ``T``: the rule every backend applies.

Every vertex and edge carries ``first_seen`` and ``last_seen``: the earliest and
latest event times that asserted it. As of ``T``:

* a node existed when ``first_seen <= T``;
* an edge existed when ``first_seen <= T`` and it was not superseded by then. An
  edge caused by pipeline ``P`` is **superseded at T** when a run of ``P`` (a Run
  ``RUN_OF`` the pipeline) began (its ``first_seen``) after the edge's
  ``last_seen`` and at or before ``T``: a run of the pipeline started after the
  last event that named the edge, so that run (and every later one) no longer
  read or wrote it. An edge whose pipeline still names it, or whose pipeline has
  no later run, stays. Edges asserted without a run (JobEvents) are superseded
  only by later runs of their job;
* a dataset's version then is its newest ``DatasetVersion`` created at or before
  ``T`` (see :mod:`lineage.versions.history`).

The edge's nodes are asserted by the same event as the edge, so an edge that
existed at ``T`` joins nodes that did. ``last_seen`` is the latest time only: an
edge a pipeline dropped and later named again counts as present in between.

The SQL engine applies this rule inside its recursive CTEs
(:meth:`lineage.graph.sql.SqlGraph.expand`), the Gremlin implementation in
Python over the edges and run times it reads (:func:`edge_live`); the test suite
checks they agree.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from .._errors import InvalidArgument
from .._events import normalize_time

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# what normalize_time returns: safe to embed in SQL as a literal
STORED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def as_of_time(value: Any, name: str = "asOf") -> str | None:
    """``value`` (an RFC 3339 date-time, a date meaning its midnight UTC, a datetime, or
    None) as the UTC text the graph stores, so times compare as strings."""
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        value = value.isoformat()
        if "T" not in value:
            value += "T00:00:00Z"
    text = str(value).strip()
    if _DATE.fullmatch(text):
        text += "T00:00:00Z"
    try:
        out = normalize_time(text, name)
    except Exception:
        raise InvalidArgument(f"{name} must be an RFC 3339 date-time or a date, e.g. '2024-05-01T12:00:00Z' "
                              f"or '2024-05-01'; got {str(value)[:80]!r}") from None
    assert STORED.fullmatch(out), out
    return out


def node_live(props: Mapping[str, Any], as_of: str) -> bool:
    """Whether a node had been seen by ``as_of``."""
    first = props.get("first_seen")
    return first is None or str(first) <= as_of


def edge_live(props: Mapping[str, Any], run_starts: Iterable[str], as_of: str) -> bool:
    """Whether an edge existed at ``as_of``; ``run_starts`` are the start times
    (``first_seen``) of the runs of the edge's pipeline."""
    first = props.get("first_seen")
    if first is None or str(first) > as_of:
        return False
    last = str(props.get("last_seen") or first)
    return not any(last < str(start) <= as_of for start in run_starts)
