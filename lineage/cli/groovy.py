"""Gremlin as the TinkerPop docs and the Gremlin Console write it, read as Python.

Groovy and Python spell a few things differently. This module turns Console
text into gremlinpython:

* steps named like Python keywords or built-ins get gremlinpython's trailing
  underscore: ``in(...)`` is ``in_(...)``, likewise ``not``, ``as``, ``and``,
  ``or``, ``is``, ``from``, ``with``, ``id``, ``max``, ``min``, ``sum``,
  ``range``, ``filter``, ``all``, ``any``;
* ``null``, ``true``, ``false`` are ``None``, ``True``, ``False``;
* ``//`` and ``/* */`` comments are dropped (and ``#`` ones);
* a line that starts with ``.`` continues the traversal above it, so a
  multi-line Console snippet is one statement;
* a trailing ``.toList()`` / ``.iterate()`` / ``.next()`` says how to run it.

Python spellings (``in_``, ``has_label``) pass through unchanged.
"""

from __future__ import annotations

import io
import re
import tokenize

RENAMED = frozenset({"in", "not", "as", "and", "or", "is", "from", "with", "id", "max", "min", "sum",
                     "range", "filter", "all", "any"})
LITERALS = {"null": "None", "true": "True", "false": "False"}
_TERMINAL = re.compile(r"\.(toList|to_list|iterate|next|toSet|to_set)\(\s*\)\s*;?\s*$")
_OPENERS, _CLOSERS = "([{", ")]}"


def strip_comments(text: str) -> tuple[str, int]:
    """``text`` without comments, and its bracket depth at the end (strings respected)."""
    out: list[str] = []
    depth, i, n = 0, 0, len(text)
    quote: str | None = None
    while i < n:
        c = text[i]
        if quote:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            out.append(c)
        elif text.startswith("//", i) or c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
            continue
        else:
            depth += (c in _OPENERS) - (c in _CLOSERS)
            out.append(c)
        i += 1
    return "".join(out), depth


def statements(text: str) -> list[str]:
    """Split a snippet into statements, each on one line."""
    cleaned, _ = strip_comments(text)
    found: list[list[str]] = []
    for raw in cleaned.splitlines():
        part = raw.strip()
        if not part:
            continue
        if found and (part.startswith(".") or strip_comments("\n".join(found[-1]))[1] > 0
                      or found[-1][-1].endswith((".", ",", "("))):
            found[-1].append(part)
        else:
            found.append([part])
    return [" ".join(lines).rstrip(";").strip() for lines in found]


def to_python(statement: str) -> str:
    """One statement in Python spelling (unchanged if it does not tokenize)."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(statement).readline)
                  if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.COMMENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return statement
    edits: list[tuple[int, int, str]] = []
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NAME or tok.start[0] != 1:
            continue
        prev = tokens[i - 1].string if i else ""
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if tok.string in RENAMED and nxt == "(" and (prev in (".", "(", ",", "=", "") or prev.isspace()):
            edits.append((tok.start[1], tok.end[1], tok.string + "_"))
        elif tok.string in LITERALS and prev != ".":
            edits.append((tok.start[1], tok.end[1], LITERALS[tok.string]))
    for start, end, text in reversed(edits):
        statement = statement[:start] + text + statement[end:]
    return statement


def split_terminal(statement: str) -> tuple[str, str | None]:
    """``(traversal, terminal)``: ``g.V().next()`` is ``("g.V()", "next")``."""
    match = _TERMINAL.search(statement)
    if not match:
        return statement, None
    word = match.group(1)
    kind = {"toList": "list", "to_list": "list", "toSet": "set", "to_set": "set"}.get(word, word)
    return statement[:match.start()], kind
