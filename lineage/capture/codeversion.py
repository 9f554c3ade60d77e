"""Function identity and code version hashes.

``function_id(fn)`` is ``module.qualname``. ``code_version(fn)`` hashes the
function's *normalised* source together with the normalised source of the
project-local functions and classes it calls, recursively:

* normalised means parsed with :mod:`ast` and dumped without positions, with
  docstrings dropped: comments, blank lines, formatting and docstrings do not
  change the hash; any change to what the code does (a body, a default, a
  decorator argument) does;
* a callee is a name the function reads (``helper(...)``, ``mod.helper(...)``)
  that resolves, in the function's globals or closure, to a function or class
  defined in a *project-local* module: one whose file lies outside the Python
  installation and its site-packages. Library code is identified by the
  library, not hashed, so upgrading pandas does not change your code version;
* when no source is available (a lambda typed at a prompt) the compiled code
  object is hashed instead, and the hash says so (``bytecode:`` prefix).

The result is ``sha256:<hex>`` and is stable across processes and machines for
the same source.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import os
import sys
import sysconfig
import textwrap
import types
from typing import Any, Callable

_MAX_CALLEES = 200


def function_id(fn: Callable[..., Any]) -> str:
    fn = inspect.unwrap(fn)
    module = getattr(fn, "__module__", None) or "__main__"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    return f"{module}.{name}"


@functools.lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update({sys.prefix, sys.base_prefix, sys.exec_prefix})
    return tuple(sorted(os.path.realpath(r) + os.sep for r in roots if r))


def is_project_local(obj: Any) -> bool:
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    path = getattr(module, "__file__", None)
    if not path:
        return getattr(obj, "__module__", None) == "__main__"
    real = os.path.realpath(path)
    return not real.startswith(_library_roots()) and "site-packages" not in real


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _tree(obj: Any) -> ast.AST | None:
    try:
        source = textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        return None
    try:
        return _strip_docstrings(ast.parse(source))
    except SyntaxError:  # a lambda inside an expression: the source line is not a statement
        return None


def normalised_source(obj: Any) -> str:
    """The normalised form that is hashed (``ast.dump`` of the parsed source)."""
    tree = _tree(obj)
    if tree is not None:
        return ast.dump(tree, include_attributes=False)
    code = getattr(inspect.unwrap(obj), "__code__", None)
    if code is None:
        return f"opaque:{function_id(obj)}"
    return "bytecode:" + _code_fingerprint(code)


def _code_fingerprint(code: types.CodeType) -> str:
    parts = [code.co_code.hex(), repr(code.co_names), repr(code.co_varnames)]
    for const in code.co_consts:
        parts.append(_code_fingerprint(const) if isinstance(const, types.CodeType) else repr(const))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _referenced(obj: Any, tree: ast.AST | None) -> list[Any]:
    """Project-local functions and classes a function or class refers to by name."""
    fn = inspect.unwrap(obj)
    scope: dict[str, Any] = dict(getattr(fn, "__globals__", None) or vars(sys.modules.get(fn.__module__, object)))
    closure = getattr(fn, "__closure__", None) or ()
    code = getattr(fn, "__code__", None)
    if code is not None:
        for name, cell in zip(code.co_freevars, closure):
            try:
                scope[name] = cell.cell_contents
            except ValueError:
                continue
    found: list[Any] = []
    if tree is None:
        names = list(getattr(code, "co_names", ()))
        chains = [(n,) for n in names]
    else:
        chains = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                chains.append((node.value.id, node.attr))
            elif isinstance(node, ast.Name):
                chains.append((node.id,))
    for chain in chains:
        target = scope.get(chain[0])
        if len(chain) == 2 and isinstance(target, types.ModuleType):
            target = getattr(target, chain[1], None)
        elif len(chain) == 2:
            continue
        target = inspect.unwrap(target) if callable(target) else target
        if isinstance(target, (types.FunctionType, type)) and target is not fn and is_project_local(target):
            found.append(target)
    return found


def code_version(fn: Callable[..., Any]) -> tuple[str, list[str]]:
    """``(sha256:<hex>, [callee ids])`` for a function and its project-local callees."""
    root = inspect.unwrap(fn)
    seen: dict[str, str] = {}
    stack = [root]
    while stack and len(seen) < _MAX_CALLEES:
        obj = stack.pop()
        ident = function_id(obj)
        if ident in seen:
            continue
        tree = _tree(obj)
        seen[ident] = ast.dump(tree, include_attributes=False) if tree is not None else normalised_source(obj)
        stack.extend(_referenced(obj, tree))
    digest = hashlib.sha256()
    root_id = function_id(root)
    digest.update(seen[root_id].encode())
    callees = sorted(k for k in seen if k != root_id)
    for ident in callees:
        digest.update(f"\x1e{ident}\x1f{seen[ident]}".encode())
    return "sha256:" + digest.hexdigest(), callees


def sql_version(sql: str) -> str:
    """Hash of the SQL as :func:`normalise_sql` leaves it."""
    return "sql:" + hashlib.sha256(normalise_sql(sql).encode()).hexdigest()


def normalise_sql(sql: str) -> str:
    """Drop ``--`` and ``/* */`` comments and a trailing ``;``, collapse whitespace
    outside string literals; everything else (identifiers, literals) is kept."""
    out: list[str] = []
    i, n = 0, len(sql)
    space = False
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            if space and out:
                out.append(" ")
            space = False
            out.append(sql[i:j + 1])
            i = j + 1
            continue
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
            space = True
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
            space = True
            continue
        if ch.isspace():
            space = True
            i += 1
            continue
        if space and out:
            out.append(" ")
        space = False
        out.append(ch)
        i += 1
    return "".join(out).strip().rstrip(";").strip()


def file_version(path: str | os.PathLike[str]) -> str:
    """The code version of a whole file, e.g. a Spark job or a training script.

    A Python file is hashed in the normalised form used for functions (comments,
    formatting and docstrings do not count); any other file (SQL, Scala) by its bytes."""
    with open(path, "rb") as fh:
        raw = fh.read()
    if str(path).endswith(".py"):
        try:
            tree = _strip_docstrings(ast.parse(raw))
            return "sha256:" + hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()
        except (SyntaxError, ValueError):
            pass
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def git_commit(path: str | os.PathLike[str]) -> str | None:
    """The commit checked out in the git work tree holding ``path``, or None (not in git,
    or git missing). Read from ``.git`` files directly: no subprocess."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        dot_git = os.path.join(folder, ".git")
        if os.path.exists(dot_git):
            return _read_head(dot_git)
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _read_head(dot_git: str) -> str | None:
    try:
        if os.path.isfile(dot_git):  # a worktree or submodule: "gitdir: <path>"
            with open(dot_git, encoding="utf-8") as fh:
                text = fh.read().strip()
            if not text.startswith("gitdir:"):
                return None
            dot_git = os.path.normpath(os.path.join(os.path.dirname(dot_git), text[7:].strip()))
        with open(os.path.join(dot_git, "HEAD"), encoding="utf-8") as fh:
            head = fh.read().strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head[4:].strip()
        for base in (dot_git, _common_dir(dot_git)):
            candidate = os.path.join(base, ref)
            if os.path.isfile(candidate):
                with open(candidate, encoding="utf-8") as fh:
                    return fh.read().strip() or None
            packed = os.path.join(base, "packed-refs")
            if os.path.isfile(packed):
                with open(packed, encoding="utf-8") as fh:
                    for line in fh:
                        sha, _, name = line.strip().partition(" ")
                        if name == ref:
                            return sha
    except OSError:
        return None
    return None


def _common_dir(dot_git: str) -> str:
    try:
        with open(os.path.join(dot_git, "commondir"), encoding="utf-8") as fh:
            return os.path.normpath(os.path.join(dot_git, fh.read().strip()))
    except OSError:
        return dot_git
