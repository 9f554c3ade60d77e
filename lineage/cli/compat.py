"""What the embedded engine (gremlite) cannot run, said in one line, and the
parts of Gremlin the shell makes up for.

Before a traversal goes to gremlite the shell walks its bytecode:

* exact rewrites to steps gremlite has: ``by(T.label)`` / ``by(T.id)`` to
  ``by(label())`` / ``by(id())``; ``hasNot(k)`` to ``not(has(k))``;
  ``has(k, eq(v))`` to ``has(k, v)``, ``neq`` and ``without`` to ``not(has(...))``;
  ``gt/gte/lt/lte`` to gremlite's comparisons; ``repeat(t).times(n)`` without
  ``emit`` to ``t`` written ``n`` times (gremlite answers it with nothing);
* ``dedup()`` in the main traversal (not inside a child traversal) is done by
  the shell: the traversal runs up to it, the shell removes duplicates and
  carries on from the vertices or edges left;
* a final ``profile()`` runs the traversal and reports its time and the SQL
  statements gremlite compiled it to, each with SQLite's query plan;
* any other step gremlite lacks raises :class:`Unsupported`, whose message
  names the step, why, and the supported way to the same result.
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

from gremlin_python.process.graph_traversal import GraphTraversal
from gremlin_python.process.traversal import Bytecode, P, T, TextP
from gremlin_python.structure.graph import Edge, Vertex

ENGINE = "the embedded engine (gremlite)"
MODULATORS = frozenset({"by", "from", "to", "times", "emit", "until"})
# What to write instead, for each step gremlite does not have.
INSTEAD = {
    "dedup": "put dedup() in the main traversal, where the shell removes duplicates itself, "
             "or run it on JanusGraph",
    "group": "use project('key', 'value').by(...).by(...) and group the rows (--json), or run it on JanusGraph",
    "groupCount": "use project('key').by('<property>') with --json and count the rows, or run it on JanusGraph",
    "range": "use limit(n) for the first n results",
    "skip": "use limit(n) and drop the first rows from the output",
    "tail": "use order().by('<property>', desc).limit(n)",
    "choose": "use coalesce(<filter>.<branch>, <other branch>) or union(...)",
    "optional": "use coalesce(<traversal>, identity())",
    "aggregate": "use store('x') and cap('x')",
    "is": "filter with where() or not() instead, e.g. where(out('CONSUMES')) for 'has any' and "
          "not(out('CONSUMES')) for 'has none' rather than count().is(...)",
    "max": "use order().by('<property>', desc).limit(1).values('<property>')",
    "min": "use order().by('<property>').limit(1).values('<property>')",
    "sum": "fetch the values with --json and add them up",
    "mean": "fetch the values with --json and average them",
    "hasId": "start from the ids: g.V(id1, id2)",
    "inject": "start from the graph, e.g. g.V().has('dataset_id', 'gold/customers')",
    "mergeV": "write with `lineage ingest` (OpenLineage events); the shell is for reading the graph",
    "mergeE": "write with `lineage ingest` (OpenLineage events); the shell is for reading the graph",
    "match": "use as() labels with where() and select()",
    "profile": "put profile() last in the main traversal",
    "explain": "use profile() as the last step",
    "map": "use project(...) or flatMap(...)",
    "filter": "use where(<traversal>)",
    "local": "use project(...).by(<traversal>.fold()) for a per-element result",
    "loops": "use repeat(...).emit().times(n) to bound the depth",
}


class Unsupported(Exception):
    """A step or argument the engine cannot run; the message says what to do instead."""


def explain(step: str, why: str | None = None, instead: str | None = None) -> Unsupported:
    """One line: the step, why the embedded engine cannot run it, and what to write instead."""
    why = why or f"gremlite has no {step}() step"
    instead = instead or INSTEAD.get(step, "run it on JanusGraph (set LINEAGE_GREMLIN_URL) or do that part in Python")
    return Unsupported(f"{step}() is not supported by the embedded engine ({why}); {instead}")


def _known_steps() -> frozenset[str] | None:
    try:
        from gremlite.steps import all_known_initial_producer_steps
    except ImportError:  # pragma: no cover - another gremlite layout: let it answer itself
        return None
    return frozenset(all_known_initial_producer_steps) | MODULATORS


KNOWN = _known_steps()
_COMPARE = {"gt", "gte", "lt", "lte"}


def _copy(steps: list[list[Any]], source: list[list[Any]] | None = None) -> Bytecode:
    out = Bytecode()
    out.source_instructions = [list(i) for i in (source or [])]
    out.step_instructions = steps
    return out


def _anon(*steps: list[Any]) -> Bytecode:
    return _copy([list(s) for s in steps])


def _has(args: list[Any]) -> list[list[Any]]:
    """``has`` with a predicate gremlite gets wrong, as steps it gets right."""
    *head, value = args
    key = head[-1] if head else None
    if key == T.id:
        raise explain("has", "gremlite cannot filter on T.id", INSTEAD["hasId"])
    if not isinstance(value, P) or isinstance(value, TextP) or value.operator == "within":
        return [["has", *args]]
    op, arg = value.operator, value.value
    if op == "eq":
        return [["has", *head, arg]]
    present = [["hasLabel", head[0]]] if len(head) == 2 else []   # has(label, key, ...)
    present.append(["has", key])
    if op == "neq":
        return present + [["not", _anon(["has", key, arg])]]
    if op == "without":
        return present + [["not", _anon(["has", key, P.within(*arg)])]]
    if op in _COMPARE:
        return [["has", *head, TextP(op, arg)]]
    raise explain("has", f"gremlite has no {op}() predicate in has() and would silently match nothing")


def rewrite(bytecode: Bytecode, top: bool = True) -> Bytecode:
    """The same traversal in steps gremlite runs correctly; raises Unsupported otherwise."""
    steps: list[list[Any]] = []
    raw = [list(i) for i in bytecode.step_instructions]
    i = 0
    while i < len(raw):
        name, *args = raw[i]
        args = [rewrite(a, top=False) if isinstance(a, Bytecode) else a for a in args]
        nxt = raw[i + 1][0] if i + 1 < len(raw) else None
        if name == "by" and len(args) == 1 and args[0] in (T.label, T.id):
            steps.append(["by", _anon(["label" if args[0] == T.label else "id"])])
        elif name == "hasNot":
            steps.append(["not", _anon(["has", *args])])
        elif name in ("to", "from") and args and isinstance(args[0], Bytecode):
            raise explain(name, f"gremlite takes only a step label in {name}()",
                          "label the ends with as() and name them: g.V(a).as('a').V(b).addE('X').to('a')")
        elif name == "has" and args:
            steps.extend(_has(args))
        elif (name == "repeat" and nxt == "times" and (not steps or steps[-1][0] not in ("emit", "until"))
              and (i + 2 >= len(raw) or raw[i + 2][0] not in ("emit", "until"))
              and isinstance(args[0], Bytecode) and isinstance(raw[i + 1][1], int) and 0 < raw[i + 1][1] <= 50):
            steps.extend([list(s) for s in args[0].step_instructions] * raw[i + 1][1])
            i += 1
        else:
            if name == "dedup" and (not top or args):
                raise explain("dedup", "the shell removes duplicates only in the main traversal, "
                                       "for dedup() without arguments")
            if name == "profile" and (not top or i != len(raw) - 1):
                raise explain("profile", "profile() must be the last step")
            if KNOWN is not None and name not in KNOWN and name not in ("dedup", "profile"):
                raise explain(name)
            steps.append([name, *args])
        i += 1
    return _copy(steps, bytecode.source_instructions)


def null_has(bytecode: Bytecode) -> str | None:
    """The message for ``has(key, null)`` anywhere in the traversal, else None. No
    engine here matches it: a property never set is absent, not null (gremlite
    matches nothing, JanusGraph rejects the step)."""
    for name, *args in bytecode.step_instructions:
        if name == "has" and len(args) in (2, 3) and args[-1] is None:
            key = args[-2]
            return (f"has({key!r}, null) matches nothing: a property that was never set is absent, not null; "
                    f"write hasNot({key!r}) for elements without it")
        for arg in args:
            if isinstance(arg, Bytecode) and (found := null_has(arg)):
                return found
    return None


def _run(g: Any, bytecode: Bytecode) -> list[Any]:
    return GraphTraversal(g.graph, g.traversal_strategies, bytecode).to_list()


def key(item: Any) -> Any:
    if isinstance(item, (Vertex, Edge)):
        return (type(item).__name__, item.id)
    try:
        hash(item)
        return item
    except TypeError:
        return repr(item)


def distinct(items: list[Any]) -> list[Any]:
    """``items`` without repeats, in first-seen order (elements compare by id)."""
    seen: set[Any] = set()
    out = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            out.append(item)
    return out


def execute(g: Any, bytecode: Bytecode) -> list[Any]:
    """Run a rewritten traversal on gremlite, doing dedup() in the shell."""
    steps = bytecode.step_instructions
    cut = next((i for i, s in enumerate(steps) if s[0] == "dedup"), None)
    if cut is None:
        return _run(g, bytecode)
    found = execute(g, _copy(steps[:cut], bytecode.source_instructions))
    unique = distinct(found)
    rest = steps[cut + 1:]
    if not rest or not unique:
        return unique
    kinds = {type(item) for item in unique}
    if kinds == {Vertex} or kinds == {Edge}:
        start = "V" if kinds == {Vertex} else "E"
        return execute(g, _copy([[start, *[item.id for item in unique]], *[list(s) for s in rest]],
                                bytecode.source_instructions))
    raise explain("dedup", "the shell continues after dedup() only from vertices or edges")


def _shape(sql: str) -> str:
    """A statement with its literals blanked, so repeats of one query group together."""
    return re.sub(r"'(?:[^']|'')*'|\b\d+\b", "?", " ".join(sql.split()))


def profile(g: Any, bytecode: Bytecode, con: sqlite3.Connection | None = None) -> dict[str, Any]:
    """profile() for gremlite, which compiles each step to SQL: the traversal's run
    time and results, and each distinct SQL statement it ran with how often and
    SQLite's query plan for it (gremlite has no per-step metrics)."""
    seen: list[str] = []
    if con is not None:
        con.set_trace_callback(seen.append)
    try:
        started = time.perf_counter()
        found = execute(g, _copy([list(s) for s in bytecode.step_instructions[:-1]], bytecode.source_instructions))
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        if con is not None:
            con.set_trace_callback(None)
    shapes: dict[str, list[str]] = {}
    for sql in seen:
        shapes.setdefault(_shape(sql), []).append(sql)
    rows = []
    for shape, runs in sorted(shapes.items(), key=lambda kv: -len(kv[1])):
        plan = ""
        if con is not None and runs[0].lstrip().upper().startswith(("SELECT", "WITH")):
            try:
                plan = "; ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + runs[0]).fetchall())
            except sqlite3.Error as exc:
                plan = f"(no plan: {exc})"
        rows.append({"statement": shape, "count": len(runs), "plan": plan})
    return {"engine": "embedded", "total_ms": round(elapsed, 3), "results": len(found),
            "sql_statements": len(seen), "statements": rows}


def server_profile(metrics: Any) -> dict[str, Any]:
    """A Gremlin Server's TraversalMetrics in the shape of :func:`profile`."""
    rows = []
    for m in metrics.get("metrics", []):
        counts = m.get("counts", {})
        rows.append({"step": m.get("name"), "count": counts.get("elementCount"),
                     "traversers": counts.get("traverserCount"), "time_ms": round(m.get("dur", 0.0), 3),
                     "percent": round(m.get("annotations", {}).get("percentDur", 0.0), 1)})
    return {"engine": "server", "total_ms": round(metrics.get("dur", 0.0), 3), "steps": rows}
