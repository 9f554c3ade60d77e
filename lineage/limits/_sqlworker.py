"""The SQL parse worker: one query per line of JSON on stdin, one answer per
line on stdout. It runs in its own process (see :mod:`.sqlparse`) because the
parser can overflow its stack on a long enough query and take its process with it."""

from __future__ import annotations

import json
import resource
import sys


def _tables(tables) -> list[list]:
    return [[t.database, t.schema, t.name] for t in tables]


def _table(t) -> list | None:
    return None if t is None else [t.database, t.schema, t.name]


def _columns(meta) -> list[list]:
    """Each output column with the (database, schema, table, column) it is computed from."""
    out = []
    for item in meta.column_lineage or ():
        sources = [[*(_table(c.origin) or [None, None, None]), c.name] for c in item.lineage]
        out.append([item.descendant.name, _table(item.descendant.origin), sources])
    return out


def main() -> None:
    memory = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    import openlineage_sql

    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            meta = openlineage_sql.parse([request["query"]], dialect=request["dialect"])
            if meta is None:
                answer = {"error": "the parser found no statement in the query"}
            else:
                answer = {"in": _tables(meta.in_tables), "out": _tables(meta.out_tables),
                          "errors": [str(e.message) for e in meta.errors], "columns": _columns(meta)}
        except MemoryError:
            answer = {"error": "the parser ran out of memory"}
        except Exception as exc:  # the parser's own refusal: report it, keep serving
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(answer).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
