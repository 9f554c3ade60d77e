"""How the Gremlin shell shows results: paths as chains of identities, vertices and
edges by their ids, maps as tables, a profile as a table; or all of it as JSON."""

from __future__ import annotations

import json
from typing import Any

from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import T
from gremlin_python.structure.graph import Edge, Path, Vertex

from .. import _model as m
from . import render

IDENTITY_KEYS = tuple(m.IDENTITY.values())


class Profile(dict):
    """The result of a traversal ending in profile()."""


def _elements(value: Any, out: dict[str, Any]) -> None:
    """Collect every vertex in ``value`` (and the ends of every edge) by id."""
    if isinstance(value, Vertex):
        out[repr(value.id)] = value.id
    elif isinstance(value, Edge):
        _elements(value.outV, out)
        _elements(value.inV, out)
    elif isinstance(value, Path):
        for item in value.objects:
            _elements(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            _elements(item, out)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            _elements(item, out)


def identities(g: Any, results: list[Any]) -> dict[Any, str]:
    """The identity (``dataset_id``, ``model_id`` ...) of every vertex in the results."""
    found: dict[str, Any] = {}
    _elements(results, found)
    ids = list(found.values())
    names: dict[Any, str] = {}
    for i in range(0, len(ids), 500):
        rows = g.V(*ids[i:i + 500]).project("i", "m").by(__.id_()).by(__.value_map(*IDENTITY_KEYS)).to_list()
        for row in rows:
            values = [v[0] if isinstance(v, list) else v for v in row["m"].values()]
            names[repr(row["i"])] = str(values[0]) if values else f"v[{row['i']}]"
    return names


class Formatter:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def vertex(self, v: Vertex) -> str:
        return self.names.get(repr(v.id), f"v[{v.id}]")

    def chain(self, path: Path) -> str:
        parts: list[str] = []
        objects = path.objects
        for i, item in enumerate(objects):
            if isinstance(item, Edge):
                before = objects[i - 1] if i else None
                forward = not isinstance(before, Vertex) or before.id == item.outV.id
                parts.append(f" -{item.label}-> " if forward else f" <-{item.label}- ")
                if not isinstance(objects[i + 1] if i + 1 < len(objects) else None, Vertex):
                    parts.append(self.vertex(item.inV if forward else item.outV))
            else:
                if parts and not parts[-1].startswith(" "):
                    parts.append(" -> ")
                parts.append(self.text(item))
        return "".join(parts)

    def text(self, value: Any) -> str:
        if isinstance(value, Vertex):
            return self.vertex(value)
        if isinstance(value, Edge):
            return f"{self.vertex(value.outV)} -{value.label}-> {self.vertex(value.inV)}"
        if isinstance(value, Path):
            return self.chain(value)
        if isinstance(value, (dict, list)):
            return json.dumps(self.plain(value), default=str, ensure_ascii=False)
        return str(value)

    def plain(self, value: Any) -> Any:
        """JSON-ready: elements as small dicts, enum keys as words."""
        if isinstance(value, Vertex):
            return {"id": value.id, "label": value.label, "identity": self.vertex(value)}
        if isinstance(value, Edge):
            return {"id": str(value.id), "label": value.label, "from": self.vertex(value.outV),
                    "to": self.vertex(value.inV)}
        if isinstance(value, Path):
            return {"chain": self.chain(value), "objects": [self.plain(o) for o in value.objects]}
        if isinstance(value, dict):
            return {(k.name if isinstance(k, T) else str(k)): self.plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set)):
            return [self.plain(v) for v in value]
        return value


def _cell(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def show(g: Any, results: Any, as_json: bool) -> None:
    if isinstance(results, Profile):
        return render.print_json(dict(results)) if as_json else _show_profile(results)
    names = identities(g, results)
    fmt = Formatter(names)
    if as_json:
        return render.print_json(fmt.plain(results))
    if not results:
        return
    kinds = {type(r) for r in results}
    if kinds == {Vertex}:
        render.print_table(["id", "label", "identity"], [[v.id, v.label, fmt.vertex(v)] for v in results])
    elif kinds == {Edge}:
        render.print_table(["label", "from", "to", "id"],
                           [[e.label, fmt.vertex(e.outV), fmt.vertex(e.inV), e.id] for e in results])
    elif kinds == {dict}:
        rows = [fmt.plain(r) for r in results]
        columns = list(dict.fromkeys(k for r in rows for k in r))
        render.print_table(columns, [[_cell(r.get(c)) for c in columns] for r in rows])
    else:
        for item in results:
            print(fmt.text(item))


def _show_profile(p: Profile) -> None:
    if p["engine"] == "embedded":
        render.line(f"{p['results']} results in {p['total_ms']:.2f} ms from {p['sql_statements']} SQL statements "
                    "(the embedded engine compiles each step to SQL; it keeps no per-step metrics)")
        render.print_table(["times", "SQL statement", "SQLite query plan"],
                           [[r["count"], r["statement"], r["plan"]] for r in p["statements"]])
    else:
        render.print_table(["step", "count", "traversers", "time (ms)", "% time"],
                           [[r["step"], r["count"], r["traversers"], r["time_ms"], r["percent"]] for r in p["steps"]])
        render.line(f"total {p['total_ms']:.2f} ms")
