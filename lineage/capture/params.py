"""Parameters of a captured call, as JSON that is safe to store and to show.

* Values become JSON: numbers, strings, booleans and None as they are (non-finite
  floats as strings), lists, tuples, sets and dicts element by element (at most
  50 items and 4 levels deep), dates as ISO 8601, paths as strings, enums by
  value, and anything else as ``<TypeName>``: an object's ``repr`` may hold
  secrets or megabytes, so it is never recorded. Strings are cut at 1,000
  characters.
* A parameter or dict key whose name contains a secret-looking word
  (``password``, ``passwd``, ``secret``, ``token``, ``api_key``, ``apikey``,
  ``credential``, ``private_key``, ``auth``, plus ``LINEAGE_CAPTURE_REDACT``
  and a call's own ``redact`` list) is recorded as ``"***"``.
* An allow list (``parameters=[...]`` on the decorator) records only the names
  it lists.
* The whole JSON is capped at ``LINEAGE_CAPTURE_MAX_PARAMETER_BYTES``: the
  largest values are replaced by ``<omitted: N bytes>`` until it fits, and the
  record says it was truncated.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import os
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

REDACTED = "***"
DEFAULT_DENY = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential", "private_key", "auth")
_MAX_STR, _MAX_ITEMS, _MAX_DEPTH = 1000, 50, 4


@dataclass
class Parameters:
    values: dict[str, Any] = field(default_factory=dict)
    redacted: list[str] = field(default_factory=list)
    truncated: bool = False

    def to_json(self) -> str:
        return json.dumps(self.values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _secret(name: str, deny: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in deny)


def json_safe(value: Any, deny: tuple[str, ...] = DEFAULT_DENY, depth: int = 0, path: str = "",
              redacted: list[str] | None = None) -> Any:
    if value is None or isinstance(value, (bool, int)):
        return value if not isinstance(value, int) or abs(value) < 2 ** 63 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value if len(value) <= _MAX_STR else value[:_MAX_STR] + "…"
    if isinstance(value, enum.Enum):
        return json_safe(value.value, deny, depth, path, redacted)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, os.PathLike)):
        return str(value) if not isinstance(value, os.PathLike) else os.fspath(value)
    if depth >= _MAX_DEPTH:
        return f"<{type(value).__name__}>"
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= _MAX_ITEMS:
                out["…"] = f"{len(value) - _MAX_ITEMS} more"
                break
            key = str(k)
            if _secret(key, deny):
                out[key] = REDACTED
                if redacted is not None:
                    redacted.append(f"{path}.{key}" if path else key)
            else:
                out[key] = json_safe(v, deny, depth + 1, f"{path}.{key}" if path else key, redacted)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else list(value)
        out_list = [json_safe(v, deny, depth + 1, path, redacted) for v in items[:_MAX_ITEMS]]
        if len(items) > _MAX_ITEMS:
            out_list.append(f"… {len(items) - _MAX_ITEMS} more")
        return out_list
    return f"<{type(value).__name__}>"


def capture_parameters(arguments: Mapping[str, Any], *, allow: Iterable[str] | None = None,
                       deny: Iterable[str] = (), max_bytes: int = 16384) -> Parameters:
    """JSON-safe, redacted, size-capped parameters of one call."""
    words = tuple(dict.fromkeys((*DEFAULT_DENY, *(w.strip().lower() for w in deny if w.strip()))))
    allowed = None if allow is None else set(allow)
    result = Parameters()
    for name, value in arguments.items():
        if allowed is not None and name not in allowed:
            continue
        if _secret(name, words):
            result.values[name] = REDACTED
            result.redacted.append(name)
            continue
        result.values[name] = json_safe(value, words, 0, name, result.redacted)
    if len(result.to_json().encode()) <= max_bytes:
        return result
    sizes = {k: len(json.dumps(v, ensure_ascii=False, default=str)) for k, v in result.values.items()}
    while len(result.to_json().encode()) > max_bytes and sizes:
        biggest = max(sizes, key=lambda k: sizes[k])
        result.values[biggest] = f"<omitted: {sizes.pop(biggest)} bytes>"
        result.truncated = True
    return result
