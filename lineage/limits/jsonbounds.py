"""JSON from untrusted clients, decoded within bounds.

``json.loads`` alone lets one request cost far more than its size suggests:
a 5,000-digit integer raises ``ValueError``, 1,000 nested arrays raise
``RecursionError``, ``NaN`` and ``1e400`` decode to floats that no JSON
encoder will write back. Here:

* numbers are checked while decoding (the decoder's ``parse_*`` hooks): a
  literal longer than ``max_number_chars``, a non-finite value and the
  ``NaN``/``Infinity`` constants become markers, reported with their JSON
  path by :func:`check_tree`;
* :func:`check_tree` walks the decoded value without recursion and enforces
  nesting depth, string length, items per container and values in total;
* nesting too deep for the C decoder itself is located by a token scan, so
  the error still names a path; in a batch, :func:`decode_array` decodes the
  items one by one then, and only the too-deep ones fail.

Every problem is an :class:`~lineage.InvalidEvent` naming the JSON path.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from .._errors import InvalidEvent


@dataclass(frozen=True)
class JsonLimits:
    """Caps on one event. Generous for real events (the largest in our corpus
    nests 9 levels, its longest string is 6 KB), small enough that the worst
    request costs little more than its size."""

    max_depth: int = 64              # nested arrays/objects
    max_number_chars: int = 100      # characters of one number literal
    max_string_chars: int = 1_000_000
    max_items: int = 10_000          # entries of one array or object
    max_values: int = 200_000        # values in one event, all levels
    max_id_chars: int = 1_024        # a namespace or a name (they become graph keys)
    max_datasets: int = 1_000        # inputs, and outputs, of one event (each is a vertex and an edge)


LIMITS = JsonLimits()

_FIX_NUMBER = "Send finite numbers of at most {n} characters (or the value as a string)."


class Refused:
    """A value the decoder would not keep; :func:`check_tree` reports it at its path."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def __repr__(self) -> str:
        return f"Refused({self.problem!r})"


def _hooks(limits: JsonLimits) -> dict[str, Any]:
    most = limits.max_number_chars

    def parse_int(text: str) -> Any:
        if len(text) > most:
            return Refused(f"is a number of {len(text)} characters; at most {most} are accepted")
        return int(text)

    def parse_float(text: str) -> Any:
        if len(text) > most:
            return Refused(f"is a number of {len(text)} characters; at most {most} are accepted")
        value = float(text)
        if not math.isfinite(value):
            return Refused(f"{text} is out of the range of a double; JSON numbers must be finite")
        return value

    def parse_constant(name: str) -> Any:
        return Refused(f"{name} is not JSON; numbers must be finite (send null or a string)")

    return {"parse_int": parse_int, "parse_float": parse_float, "parse_constant": parse_constant}


def _text(body: bytes | bytearray | str) -> str:
    return body if isinstance(body, str) else bytes(body).decode("utf-8", "replace")


def decode(body: bytes | bytearray | str, limits: JsonLimits = LIMITS) -> Any:
    """Decode one JSON document; syntax errors and nesting past what the decoder
    can follow are :class:`InvalidEvent`. Call :func:`check_tree` on the result."""
    try:
        return json.loads(body, **_hooks(limits))
    except RecursionError:
        raise InvalidEvent(_deep_path(_text(body), limits.max_depth) or "$",
                           f"nests deeper than {limits.max_depth} levels", "Flatten the structure.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent("body", f"is not valid JSON ({exc})", "Send the event as a JSON object.") from None


def decode_array(body: bytes | bytearray | str, limits: JsonLimits = LIMITS) -> Any:
    """Like :func:`decode`, but a top-level array whose items nest too deeply for
    the decoder is decoded item by item: those items become :class:`InvalidEvent`
    values (their paths relative to the item), the others decode as usual."""
    try:
        return json.loads(body, **_hooks(limits))
    except RecursionError:
        text = _text(body)
        items = _split_array(text)
        if items is None:
            raise InvalidEvent(_deep_path(text, limits.max_depth) or "$",
                               f"nests deeper than {limits.max_depth} levels", "Flatten the structure.") from None
        out: list[Any] = []
        for item in items:
            try:
                out.append(decode(item, limits))
            except InvalidEvent as exc:
                out.append(exc)
        return out
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent("body", f"is not valid JSON ({exc})", "Send a JSON array of events.") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _segments(chain: tuple[Any, ...] | None) -> list[Any]:
    keys: list[Any] = []
    while chain is not None:
        chain, key = chain
        keys.append(key)
    return keys[::-1]


def _printable(key: str) -> str:
    """A key as it can be written back in an error (unpaired surrogates escaped)."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def _format(chain: tuple[Any, ...] | None, keys: list[Any] | None = None) -> str:
    text = "".join(f"[{k}]" if isinstance(k, int) else f".{_printable(str(k))}"
                   for k in (keys if keys is not None else _segments(chain)))
    return text[1:] if text.startswith(".") else text


def _deep_field(chain: tuple[Any, ...] | None) -> str:
    """Where too-deep nesting is reported: the member it hangs under (its first 8
    levels at most, trailing array indices dropped), not a path 64 levels long."""
    keys = _segments(chain)[:8]
    while len(keys) > 1 and isinstance(keys[-1], int):
        keys.pop()
    return _format(None, keys)


def check_tree(value: Any, limits: JsonLimits = LIMITS, prefix: str = "") -> None:
    """Raise :class:`InvalidEvent` at the first value past a limit, a refused
    number, a non-finite float or an unpaired surrogate, naming its path."""
    root: tuple[Any, ...] | None = (None, prefix) if prefix else None
    stack: list[tuple[Any, Any, int]] = [(value, root, 1)]
    seen = 0
    max_chars = limits.max_string_chars

    def fail(chain: Any, problem: str, fix: str) -> InvalidEvent:
        return InvalidEvent(_format(chain) or "$", problem, fix)

    while stack:
        item, chain, depth = stack.pop()
        seen += 1
        if seen > limits.max_values:
            raise fail(chain, f"makes the event hold over {limits.max_values} values",
                       "Send fewer facets or split the event.")
        kind = type(item)
        if kind is dict or kind is list:
            if depth > limits.max_depth:
                raise InvalidEvent(_deep_field(chain) or "$", f"nests deeper than {limits.max_depth} levels",
                                   "Flatten the structure.")
            if len(item) > limits.max_items:
                raise fail(chain, f"has {len(item)} entries; at most {limits.max_items} are accepted",
                           "Split the event or send fewer entries.")
            if kind is dict:
                for key, child in reversed(item.items()):
                    if type(key) is not str:
                        raise fail((chain, str(key)[:40]), f"is a {type(key).__name__} key; JSON keys are text",
                                   "Use text keys.")
                    # an ASCII key cannot hold a surrogate: skip the regex for nearly all keys
                    if (len(key) > max_chars or "\x00" in key
                            or (not key.isascii() and _SURROGATE.search(key))):
                        raise fail((chain, key[:40].replace("\x00", "\\u0000")),
                                   "is a key that is too long, not valid Unicode or holds a NUL character",
                                   "Use short text keys.")
                    stack.append((child, (chain, key), depth + 1))
            else:
                for index in range(len(item) - 1, -1, -1):
                    stack.append((item[index], (chain, index), depth + 1))
        elif kind is str:
            if len(item) > max_chars:
                raise fail(chain, f"is a string of {len(item)} characters; at most {limits.max_string_chars}"
                           " are accepted", "Send shorter text.")
            if not item.isascii() and _SURROGATE.search(item):
                raise fail(chain, "contains an unpaired UTF-16 surrogate (a broken \\uD800-\\uDFFF escape)",
                           "Send valid Unicode text; escape characters outside the BMP as a surrogate pair.")
            if "\x00" in item:
                raise fail(chain, "contains a NUL character (\\u0000), which no graph store can keep in text",
                           "Remove the NUL character or encode binary data (for example as base64).")
        elif kind is Refused:
            raise fail(chain, item.problem, _FIX_NUMBER.format(n=limits.max_number_chars))
        elif kind is float:
            if not math.isfinite(item):
                raise fail(chain, f"{item} is not a finite number", _FIX_NUMBER.format(n=limits.max_number_chars))
        elif kind is int:
            if item.bit_length() > limits.max_number_chars * 3.33:
                raise fail(chain, f"is an integer of over {limits.max_number_chars} digits",
                           _FIX_NUMBER.format(n=limits.max_number_chars))
        elif item is not None and kind is not bool:
            raise fail(chain, f"is a {kind.__name__}, which JSON cannot hold", "Send JSON values only.")


_SCALARS = frozenset({str, int, float, bool, type(None)})
_CONTAINERS = frozenset({dict, list})
_ALL = _SCALARS | _CONTAINERS
_KEYS = frozenset({str})


def plainly_within(value: dict[str, Any], text: str, limits: JsonLimits = LIMITS) -> bool:
    """A cheap test that :func:`check_tree` would accept ``value``, given ``text``, its
    ``json.dumps(..., ensure_ascii=False, allow_nan=False)`` (which already refused
    non-finite floats and, encoded to UTF-8, unpaired surrogates).

    True only when sure: the text holds no NUL escape and is no longer than one
    string may be; every container and key is exactly a JSON type; nesting, entries,
    values and integers are within bounds. It looks at containers, not at each value
    (only the integers of a container that holds any are compared). False means
    "not sure": call :func:`check_tree` for the verdict and the path of the problem.
    """
    if len(text) > limits.max_string_chars or "\\u0000" in text:
        return False
    most = 10 ** limits.max_number_chars    # below it an integer has at most max_number_chars digits
    stack: list[tuple[Any, int]] = [(value, 1)]
    seen = 1
    while stack:
        item, depth = stack.pop()
        if depth > limits.max_depth or len(item) > limits.max_items:
            return False
        seen += len(item)
        if seen > limits.max_values:
            return False
        if type(item) is dict:
            if not set(map(type, item)) <= _KEYS:
                return False
            children = item.values()
        else:
            children = item
        kinds = set(map(type, children))
        if int in kinds and any(type(v) is int and not -most < v < most for v in children):
            return False
        if kinds <= _SCALARS:
            continue
        if not kinds <= _ALL:
            return False
        stack.extend((child, depth + 1) for child in children if type(child) in _CONTAINERS)
    return True


# -- the token scan, for documents the C decoder cannot follow ----------------

_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]', re.S)


def _deep_path(text: str, max_depth: int) -> str | None:
    """The JSON path of the first container nested deeper than ``max_depth``."""
    stack: list[list[Any]] = []     # per open container: [kind, current key or index]
    last = None
    for match in _TOKEN.finditer(text):
        token = match.group()
        char = token[0]
        if char == '"':
            last = token
        elif char in "[{":
            if len(stack) >= max_depth:
                chain: Any = None
                for _kind, key in stack:
                    chain = (chain, key)
                return _deep_field(chain)
            stack.append([char, 0 if char == "[" else ""])
        elif char in "]}":
            if stack:
                stack.pop()
        elif char == ":" and stack and stack[-1][0] == "{":
            try:
                stack[-1][1] = json.loads(last) if last else ""
            except ValueError:
                stack[-1][1] = "?"
        elif char == "," and stack and stack[-1][0] == "[":
            stack[-1][1] += 1
    return None


def _split_array(text: str) -> list[str] | None:
    """The source text of each item of a top-level JSON array (None if it is not one)."""
    if not text.lstrip().startswith("["):
        return None
    items: list[str] = []
    depth = 0
    start = 0
    for match in _TOKEN.finditer(text):
        char = match.group()[0]
        if char in "[{":
            depth += 1
            if depth == 1:
                start = match.end()
        elif char in "]}":
            depth -= 1
            if depth == 0:
                tail = text[start:match.start()]
                if tail.strip() or items:
                    items.append(tail)
                return items
        elif char == "," and depth == 1:
            items.append(text[start:match.start()])
            start = match.end()
    return None
