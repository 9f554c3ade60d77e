"""Output for the command line: width-aware tables (rich) for people, JSON for scripts."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Iterable, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text


def console() -> Console:
    """A console on the current stdout (tests swap it), no markup: as wide as the
    terminal (or COLUMNS), and unwrapped when piped so grep and cut see whole rows."""
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 10_000
    return Console(file=sys.stdout, width=width, highlight=False, soft_wrap=False)


def cell(value: Any) -> Text:
    if value is None:
        return Text("")
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, default=str, ensure_ascii=False)
    return Text(str(value))


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> Table:
    out = Table(title=title, title_justify="left", box=None, header_style="bold", pad_edge=False,
                show_edge=False)
    for name in columns:  # ids are copied from here: wrap them, never cut them short
        out.add_column(name, overflow="fold")
    for row in rows:
        out.add_row(*(cell(v) for v in row))
    return out


def print_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    console().print(table(columns, list(rows), title))


def line(text: str = "") -> None:
    console().print(Text(text), soft_wrap=True)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def fail(message: str) -> int:
    """One line on stderr, exit status 1."""
    print(f"lineage: {message}", file=sys.stderr)
    return 1
