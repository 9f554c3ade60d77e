"""What the API and the CLI show of runs beyond their stored properties.

A run stores its ``parameters`` and its ``inputs`` / ``outputs`` summaries as
JSON text (see the README's graph model); :func:`decode_run` turns them back
into values. :func:`mark_code_changes` flags runs whose code version differs
from the previous run of the same pipeline that recorded one.
"""

from __future__ import annotations

import json
from typing import Any


def mark_code_changes(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set ``code_changed`` on runs listed newest first: whether each ran different code from
    the previous run that records a code version (None when there is none to compare)."""
    older: str | None = None
    for run in reversed(runs):
        current = run.get("code_version")
        run["code_changed"] = None if current is None or older is None else current != older
        if current is not None:
            older = current
    return runs


def _json(text: Any, default: Any) -> Any:
    if not isinstance(text, str):
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def decode_run(run: dict[str, Any]) -> dict[str, Any]:
    """The run with ``parameters`` a dict (or None) and ``inputs`` / ``outputs`` lists."""
    out = dict(run)
    out["parameters"] = _json(run.get("parameters"), None)
    out["inputs"] = [i for i in _json(run.get("inputs"), []) if isinstance(i, dict)]
    out["outputs"] = [o for o in _json(run.get("outputs"), []) if isinstance(o, dict)]
    return out


def short_code(version: str | None) -> str | None:
    """``sha256:0123456789``: a code version cut to the scheme and ten characters."""
    if not version:
        return None
    scheme, sep, rest = version.partition(":")
    return f"{scheme}:{rest[:10]}" if sep and len(rest) > 10 else version
