"""``lineage gremlin``: a Gremlin shell on the configured graph that explains itself.

Statements are written as in the Gremlin Console (Groovy) or in gremlinpython;
see :mod:`.groovy` for what is translated. A traversal runs when it is entered;
its results print as a table (paths as chains of identities) or, with
``--json``, as JSON. Mistakes answer in one line, exit status 1: an unknown
step, a step the embedded engine lacks (with the supported way, see
:mod:`.compat`), an id that matches nothing. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import code
import difflib
import logging
import re
import sys
import traceback
import warnings
from typing import Any

from gremlin_python.process.graph_traversal import GraphTraversal, GraphTraversalSource, __
from gremlin_python.process.traversal import (Cardinality, Column, Order, P, Pop, Scope, T, TextP,
                                              Traversal)

from .. import _model as m
from .._errors import Ambiguous, LineageError, NotFound
from .._settings import Settings
from . import add_command, compat, render
from .groovy import split_terminal, statements, strip_comments, to_python
from .shell_output import Profile, show

EXAMPLES = [
    "lineage gremlin -c \"g.V().has('dataset_id', 'gold/customers').in('TRAINED_ON').values('model_id')\"",
    "lineage gremlin --json -c \"g.V().hasLabel('Model').valueMap('model_id', 'framework')\"",
    "lineage gremlin -f recipes.groovy          # Console snippets, one result block each",
    "lineage gremlin                            # interactive",
]
_STEP_CALL = re.compile(r"\.\s*([A-Za-z_]\w*)\s*\(")
_KNOWN_CALLS = frozenset(n for cls in (GraphTraversal, GraphTraversalSource, __) for n in dir(cls))


class ShellError(Exception):
    """A mistake in a statement; the message says what to write instead."""


def namespace(store: Any) -> dict[str, Any]:
    """``g``, ``__``, the enums, and the Console's static imports: anonymous steps
    (``out(...)``), predicates (``within(...)``) and orders (``desc``)."""
    ns: dict[str, Any] = {name: getattr(__, name) for name in dir(__) if not name.startswith("_")}
    for cls, names in ((P, ("eq", "neq", "gt", "gte", "lt", "lte", "between", "inside", "outside", "within",
                            "without")),
                       (TextP, ("containing", "startingWith", "endingWith", "notContaining",
                                "notStartingWith", "notEndingWith", "starting_with", "ending_with"))):
        ns.update({n: getattr(cls, n) for n in names if hasattr(cls, n)})
    ns.update({"asc": Order.asc, "desc": Order.desc, "shuffle": Order.shuffle})
    ns.update({"g": store.g, "__": __, "P": P, "T": T, "TextP": TextP, "Order": Order, "Column": Column,
               "Pop": Pop, "Scope": Scope, "Cardinality": Cardinality, "store": store})
    return ns


class Shell:
    def __init__(self, store: Any, as_json: bool = False, debug: bool = False) -> None:
        from .._client import JanusGraphClient

        self.store = store
        self.g = store.g
        self.embedded = store.backend.kind == "embedded"
        self.queries = JanusGraphClient(store=store).queries
        self.ns = namespace(store)
        self.as_json = as_json
        self.debug = debug

    # -- running -----------------------------------------------------------------

    def run_text(self, text: str) -> int:
        """Run every statement in ``text``; stop at the first mistake (exit status 1)."""
        for statement in statements(text):
            try:
                self.run_statement(statement)
            except ShellError as exc:
                return render.fail(str(exc))
            except Exception as exc:  # noqa: BLE001 - the shell answers in one line
                if self.debug:
                    traceback.print_exc()
                return render.fail(self.describe_error(exc, statement))
        return 0

    def run_statement(self, statement: str) -> None:
        python, terminal = split_terminal(to_python(statement))
        try:
            compiled, mode = compile(python, "<gremlin>", "eval"), "eval"
        except SyntaxError:
            try:
                compiled, mode = compile(python, "<gremlin>", "exec"), "exec"
            except SyntaxError as exc:
                raise ShellError(f"cannot read {statement!r} as Gremlin: {exc.msg} at column {exc.offset}; "
                                 "write it as in the Gremlin Console, e.g. g.V().has('dataset_id', "
                                 "'gold/customers').out('DERIVED_FROM')") from None
        try:
            with warnings.catch_warnings():  # camelCase is the Console's spelling, not a deprecated use
                warnings.simplefilter("ignore", DeprecationWarning)
                value = eval(compiled, self.ns)  # noqa: S307 - an operator's own shell on their own graph
        except TypeError as exc:
            if "object is not callable" in str(exc):
                raise ShellError(self.unknown_step(python)) from None
            raise
        except NameError as exc:
            raise ShellError(f"{exc.args[0]}: not a Gremlin step, predicate or value here; "
                             "anonymous steps are written bare (out('X')) or as __.out('X')") from None
        if mode == "exec" or value is None:
            return
        if isinstance(value, Traversal):
            value = self.run_traversal(value, terminal)
            if value is None:
                return
        elif terminal:
            raise ShellError(f".{terminal}() needs a traversal, e.g. g.V().limit(3).{terminal}()")
        show(self.g, value if isinstance(value, (list, Profile)) else [value], self.as_json)

    def run_traversal(self, traversal: Traversal, terminal: str | None) -> Any:
        steps = traversal.bytecode.step_instructions
        profiling = bool(steps) and steps[-1][0] == "profile"
        mistake = compat.null_has(traversal.bytecode)
        if mistake:
            raise ShellError(mistake)
        if self.embedded:
            results = self._embedded(traversal, profiling)
        else:
            results = traversal.to_list()
            if profiling:
                return Profile(compat.server_profile(results[0] if results else {}))
        if isinstance(results, Profile):
            return results
        if terminal == "iterate":
            return None
        if not results:
            self.check_ids(traversal)
        if terminal == "set":
            results = compat.distinct(results)
        if terminal == "next":
            if not results:
                raise ShellError("next() found nothing: the traversal has no results")
            return results[:1]
        return results

    def _embedded(self, traversal: Traversal, profiling: bool) -> Any:
        from gremlite.errors import BadStepArgs, GremliteError, UnknownStep

        try:
            bytecode = compat.rewrite(traversal.bytecode)
            if profiling:
                return Profile(compat.profile(self.g, bytecode, getattr(self.store.backend, "con", None)))
            return compat.execute(self.g, bytecode)
        except compat.Unsupported as exc:
            raise ShellError(str(exc)) from None
        except UnknownStep as exc:
            raise ShellError(str(compat.explain(str(exc)))) from None
        except BadStepArgs as exc:
            if "V(" in str(exc) and "IDs" in str(exc):
                raise ShellError("vertex ids on the embedded graph are integers (see id()); to find a node by "
                                 "its identity use has(), e.g. g.V().has('dataset_id', 'gold/customers')") from None
            raise ShellError(f"{exc} ({compat.ENGINE} accepts fewer argument forms than TinkerPop; "
                             "see the README's Gremlin section)") from None
        except GremliteError as exc:
            raise ShellError(f"{type(exc).__name__}: {exc} ({compat.ENGINE})") from None

    # -- explaining --------------------------------------------------------------

    def check_ids(self, traversal: Traversal) -> None:
        """An empty result from a lookup by id: say when the id itself matches nothing."""
        steps = traversal.bytecode.step_instructions
        if not steps or steps[0][0] != "V":
            return
        if len(steps[0]) > 1:
            ids = steps[0][1:]
            present = {repr(v) for v in self.g.V(*ids).id_().to_list()}
            missing = [i for i in ids if repr(i) not in present]
            if missing:
                raise ShellError(f"no vertex with id {', '.join(map(repr, missing))}; vertex ids come from id(); "
                                 "to find a node by its identity use has('dataset_id', 'gold/customers')")
            return
        label = None
        for name, *args in steps[1:]:
            if name == "hasLabel" and len(args) == 1 and isinstance(args[0], str):
                label = args[0]
            elif name == "has" and len(args) in (2, 3) and isinstance(args[-1], str):
                key = args[-2]
                label = args[0] if len(args) == 3 else label
                if key in m.IDENTITY.values():
                    self._check_identity(key, args[-1], label)
                    return
            else:
                return

    def _check_identity(self, key: str, value: str, label: str | None) -> None:
        label = label if label in m.IDENTITY and m.IDENTITY[label] == key else \
            next(lab for lab, k in m.IDENTITY.items() if k == key)
        try:
            found = self.queries.resolve(value, label)
        except NotFound as exc:
            raise ShellError(exc.message) from None
        except Ambiguous as exc:
            raise ShellError(f"no {label} has {key} {value!r}; {exc.message}") from None
        if found.key != value:
            raise ShellError(f"no {label} has {key} {value!r}; did you mean {found.key!r}?")

    def unknown_step(self, python: str) -> str:
        for name in _STEP_CALL.findall(python):
            if name not in _KNOWN_CALLS:
                close = difflib.get_close_matches(name, sorted(_KNOWN_CALLS), n=1)
                hint = f"; did you mean {close[0]}()?" if close else ""
                return f"{name}() is not a Gremlin step{hint}"
        return "a value was called like a step; check the statement for a missing '.' or an extra '()'"

    def describe_error(self, exc: Exception, statement: str) -> str:
        if isinstance(exc, LineageError):
            return exc.message
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        name = type(exc).__name__
        if name == "GremlinServerError":
            return f"the Gremlin Server rejected {statement!r}: {text}"
        return f"{name}: {text} (in {statement!r}; --debug shows the traceback)"


class Console(code.InteractiveConsole):
    """The interactive shell: Groovy or Python, one statement at a time."""

    def __init__(self, shell: Shell) -> None:
        super().__init__(locals=shell.ns)
        self.shell = shell

    def runsource(self, source: str, filename: str = "<input>", symbol: str = "single") -> bool:
        cleaned, depth = strip_comments(source)
        if depth > 0 or cleaned.rstrip().endswith((".", ",")):
            return True  # wait for the rest
        if cleaned.strip():
            self.shell.run_text(source)
        return False


def cmd_gremlin(args: argparse.Namespace) -> int:
    from .._store import LineageStore

    if not args.debug:  # the driver logs every server error with its Java stack; we say it in one line
        logging.getLogger("gremlinpython").setLevel(logging.CRITICAL)
    overrides = {"db": args.db} if getattr(args, "db", None) else {}
    with LineageStore(Settings.from_env(**overrides)) as store:
        shell = Shell(store, as_json=args.json, debug=args.debug)
        if args.command is not None or args.file is not None:
            text = args.command if args.command is not None else _read(args.file)
            return shell.run_text(text)
        banner = (f"Gremlin on {store.backend.describe()}\n"
                  "Write traversals as in the Gremlin Console (in(), not(), null) or in Python (in_(), not_()); "
                  "each runs when entered.\n"
                  "Example: g.V().has('dataset_id', 'gold/customers').out('DERIVED_FROM').values('dataset_id')")
        Console(shell).interact(banner=banner, exitmsg="")
    return 0


def _read(path: str) -> str:
    return sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()


def register(sub: Any) -> None:
    p = add_command(sub, "gremlin", "a Gremlin shell on the configured graph, in Console (Groovy) or Python "
                    "spelling; results as tables, paths as chains of ids", EXAMPLES, cmd_gremlin)
    what = p.add_mutually_exclusive_group()
    what.add_argument("-c", dest="command", metavar="EXPR",
                      help="run these statements and exit, e.g. -c \"g.V().hasLabel('Model').values('model_id')\"")
    what.add_argument("-f", dest="file", metavar="FILE",
                      help="run the statements in FILE (- for stdin) and exit, e.g. -f recipes.groovy")
    p.add_argument("--json", action="store_true", help="print results as JSON, e.g. lineage gremlin --json -c ...")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks, e.g. lineage gremlin --debug -c ...")
