"""The function store: every captured function version, kept by its version hash.

An entry is small JSON in ``<dir>/functions/<hex>.json``: the function's source
text, the source of the project-local functions and classes it calls, and how
each other name it reads resolves (a module to import, a library object to
import by ``module.qualname``, or a constant). :meth:`FunctionStore.load`
rebuilds a callable from that alone, so a recorded version runs again after
the code in the working tree has changed.

What cannot be rebuilt is said per function when it is stored (``limitations``
in the entry, and a warning on the ``lineage.capture`` logger):

* no Python source: C extensions, built-ins, code typed at a prompt;
* names bound to live objects (a connection, a model, a list built at run
  time), whether globals or closure cells: only constants, modules, importable
  library objects and project-local functions and classes are kept;
* methods (a qualname with a class part): their ``self`` is a live object.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import json
import logging
import os
import tempfile
import textwrap
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .._errors import InvalidArgument, NotFound
from ..capture.codeversion import code_version, function_id, is_project_local

logger = logging.getLogger("lineage.capture")
_CONSTANTS = (int, float, str, bool, type(None))


@dataclass
class FunctionEntry:
    """One stored function version."""

    version_hash: str
    function_id: str
    module: str
    qualname: str
    source: str | None
    callees: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: dict[str, dict[str, Any]] = field(default_factory=dict)
    limitations: list[str] = field(default_factory=list)

    @property
    def reconstructable(self) -> bool:
        return not self.limitations

    def to_dict(self) -> dict[str, Any]:
        return {"versionHash": self.version_hash, "functionId": self.function_id, "module": self.module,
                "qualname": self.qualname, "source": self.source, "callees": self.callees, "names": self.names,
                "limitations": self.limitations, "reconstructable": self.reconstructable}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FunctionEntry":
        return cls(d["versionHash"], d["functionId"], d["module"], d["qualname"], d.get("source"),
                   d.get("callees") or {}, d.get("names") or {}, list(d.get("limitations") or []))


def _source(obj: Any) -> str | None:
    try:
        return textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        return None


def _read_names(source: str) -> list[str]:
    """Names the code reads, decorators aside (they are dropped when it is loaded)."""
    tree = _strip_decorators(source)
    bound = {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
             for a in (*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg) if a}
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return sorted(set(names) - bound)


def _scope(fn: Any) -> dict[str, Any]:
    scope = dict(getattr(fn, "__globals__", None) or {})
    code = getattr(fn, "__code__", None)
    for name, cell in zip(getattr(code, "co_freevars", ()), getattr(fn, "__closure__", None) or ()):
        try:
            scope[name] = cell.cell_contents
        except ValueError:
            continue
    return scope


def describe(fn: Callable[..., Any]) -> FunctionEntry:
    """Everything needed to rebuild ``fn`` later, and what would stop it."""
    root = inspect.unwrap(fn)
    version, _ = code_version(root)
    entry = FunctionEntry(version, function_id(root), getattr(root, "__module__", None) or "__main__",
                          getattr(root, "__qualname__", getattr(root, "__name__", "")), _source(root))
    if entry.source is None or not isinstance(root, types.FunctionType):
        entry.limitations.append(f"{entry.function_id} has no Python source (a C extension, a built-in "
                                 "or code typed at a prompt); it cannot be loaded from the store")
        return entry
    parts = [p for p in entry.qualname.split(".") if p != "<locals>"]
    if len(parts) > 1 and "<locals>" not in entry.qualname:
        entry.limitations.append(f"{entry.function_id} is a method; its instance is a live object that is not kept")
    pending = [(root, entry.source)]
    seen = {entry.function_id}
    while pending:
        obj, source = pending.pop()
        scope = _scope(obj)
        freevars = set(getattr(getattr(obj, "__code__", None), "co_freevars", ()))
        for name in _read_names(source):
            if name not in scope:
                continue  # a builtin, or a name the body binds itself
            value = scope[name]
            target = inspect.unwrap(value) if callable(value) else value
            where = "closure variable" if name in freevars else "global"
            if isinstance(target, types.ModuleType):
                entry.names[name] = {"kind": "module", "module": target.__name__}
            elif isinstance(target, _CONSTANTS):
                entry.names[name] = {"kind": "value", "value": target}
            elif isinstance(target, tuple) and all(isinstance(v, _CONSTANTS) for v in target):
                entry.names[name] = {"kind": "tuple", "value": list(target)}
            elif isinstance(target, (types.FunctionType, type)) and is_project_local(target):
                ident = function_id(target)
                entry.names[name] = {"kind": "local", "id": ident}
                text = _source(target)
                if text is None:
                    entry.limitations.append(f"{ident} (called as {name}) has no Python source")
                elif ident not in seen:
                    seen.add(ident)
                    entry.callees[ident] = {"name": target.__name__, "source": text}
                    pending.append((target, text))
            elif getattr(target, "__module__", None) and getattr(target, "__qualname__", None) \
                    and "<locals>" not in target.__qualname__:
                entry.names[name] = {"kind": "import", "module": target.__module__, "qualname": target.__qualname__}
            else:
                entry.limitations.append(f"{where} {name!r} of {function_id(obj)} is a live "
                                         f"{type(value).__name__} object, which is not kept")
    return entry


def _strip_decorators(source: str) -> ast.Module:
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.decorator_list = []  # replaying must not capture again
    return tree


class FunctionStore:
    """Content-addressed function versions under ``<directory>/functions``."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.root = Path(directory) / "functions"
        self._written: set[str] = set()

    def _path(self, version_hash: str) -> Path:
        scheme, _, hexpart = version_hash.partition(":")
        if not hexpart or not all(c in "0123456789abcdef" for c in hexpart):
            raise InvalidArgument(f"a version hash looks like sha256:<hex>; got {version_hash!r}")
        return self.root / f"{scheme}-{hexpart}.json"

    def put(self, fn: Callable[..., Any], version_hash: str | None = None) -> FunctionEntry | None:
        """Keep ``fn``'s current version (once per version); log what cannot be rebuilt.
        ``version_hash``, when the caller knows it, skips the work for a version already kept."""
        if version_hash is not None and version_hash in self._written:
            return None
        entry = describe(fn)
        if entry.version_hash in self._written:
            return entry
        path = self._path(entry.version_hash)
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
            with os.fdopen(fd, "w") as fh:
                json.dump(entry.to_dict(), fh, sort_keys=True, default=str)
            os.replace(tmp, path)
            for reason in entry.limitations:
                logger.warning("replay of %s %s is limited: %s", entry.function_id, entry.version_hash[:19], reason)
        self._written.add(entry.version_hash)
        return entry

    def get(self, version_hash: str) -> FunctionEntry:
        path = self._path(version_hash)
        if not path.exists():
            raise NotFound(f"no function version {version_hash} in the function store {self.root}; it is kept "
                           "when the step is captured with LINEAGE_REPLAY_DIR set")
        return FunctionEntry.from_dict(json.loads(path.read_text()))

    def __contains__(self, version_hash: str) -> bool:
        try:
            return self._path(version_hash).exists()
        except InvalidArgument:
            return False

    def versions(self, function_id_: str | None = None) -> list[FunctionEntry]:
        if not self.root.exists():
            return []
        entries = [FunctionEntry.from_dict(json.loads(p.read_text())) for p in sorted(self.root.glob("*.json"))]
        return [e for e in entries if function_id_ is None or e.function_id == function_id_]

    def load(self, version_hash: str) -> Callable[..., Any]:
        """A callable built from the stored source alone (decorators dropped)."""
        entry = self.get(version_hash)
        if entry.limitations:
            raise InvalidArgument(f"{entry.function_id} {version_hash} cannot be loaded: "
                                  + "; ".join(entry.limitations))
        namespace: dict[str, Any] = {"__builtins__": builtins, "__name__": entry.module}
        for name, ref in entry.names.items():
            if ref["kind"] == "module":
                namespace[name] = importlib.import_module(ref["module"])
            elif ref["kind"] == "value":
                namespace[name] = ref["value"]
            elif ref["kind"] == "tuple":
                namespace[name] = tuple(ref["value"])
            elif ref["kind"] == "import":
                obj: Any = importlib.import_module(ref["module"])
                for part in ref["qualname"].split("."):
                    obj = getattr(obj, part)
                namespace[name] = obj
        for ident, callee in entry.callees.items():
            exec(compile(_strip_decorators(callee["source"]), f"<stored {ident}>", "exec"), namespace)
        for name, ref in entry.names.items():  # a callee imported under another name
            if ref["kind"] == "local":
                callee_name = entry.callees.get(ref["id"], {}).get("name")
                if callee_name and callee_name in namespace:
                    namespace[name] = namespace[callee_name]
        assert entry.source is not None
        exec(compile(_strip_decorators(entry.source), f"<stored {entry.function_id} {version_hash[:19]}>", "exec"),
             namespace)
        fn = namespace[entry.qualname.rsplit(".", 1)[-1]]
        fn.__lineage_version__ = version_hash
        return fn


def load_current(spec: str) -> Callable[..., Any]:
    """``module:name`` (or ``module.name``) imported from the code as it is now."""
    module, sep, name = spec.partition(":")
    if not sep:
        module, _, name = spec.rpartition(".")
    if not module or not name:
        raise InvalidArgument(f"a function is given as module:name, e.g. mypipeline.steps:clean; got {spec!r}")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        raise InvalidArgument(f"cannot import {module} for {spec}: {exc}; run from the project's folder") from None
    for part in name.split("."):
        if not hasattr(obj, part):
            raise InvalidArgument(f"{module} has no {name}; give module:name of a function")
        obj = getattr(obj, part)
    return obj
