"""The ``lineage`` command line: the parser (``build_parser``) and ``main``.

Commands live beside their feature: each module registers its own with
``register(subparsers)`` (see ``lineage.cli``)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Sequence

from ._errors import LineageError
from ._events import decode_events
from ._settings import Settings
from .cli import (add_command, catalog as cli_catalog, gremlin as cli_gremlin, lakehouse as cli_lakehouse,
                  ops as cli_ops, query as cli_query)
from .columns import cli as columns_cli
from .provenance import cli as provenance_cli
from .replay import cli as replay_cli
from .versions import cli as versions_cli


def _store(args: argparse.Namespace):
    from ._store import LineageStore

    overrides = {}
    if getattr(args, "db", None):
        overrides["db"] = args.db
    return LineageStore(Settings.from_env(**overrides))


def _print_result(result: Any, elapsed: float) -> None:
    out = sys.stdout
    rate = result.received / elapsed if elapsed > 0 else 0.0
    print(f"received {result.received}, accepted {result.accepted}, duplicates {result.duplicates}, "
          f"rejected {len(result.rejected)} in {elapsed:.2f}s ({rate:.0f} events/s)", file=out)
    for r in result.rejected:
        print(f"  rejected #{r.index}: {r.reason}", file=out)


def cmd_ingest(args: argparse.Namespace) -> int:
    from ._store import IngestResult

    total = IngestResult()
    started = time.perf_counter()
    with _store(args) as store:
        for path in args.files:
            text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
            result = store.ingest(decode_events(text))
            if args.files[1:]:
                print(f"{path}:", end=" ")
                _print_result(result, time.perf_counter() - started)
            total.merge(result, total.received)
    _print_result(total, time.perf_counter() - started)
    return 1 if total.rejected else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import demo_events

    with _store(args) as store:
        result = store.ingest(demo_events(store.settings.default_namespace))
        print(f"demo lakehouse loaded into {store.backend.describe()}: "
              f"{result.accepted} new events, {result.duplicates} already present")
        print("try: lineage upstream gold/customers; lineage model churn_predictor@3; "
              "lineage gremlin -c \"g.V().has('dataset_id', 'gold/customers').in('TRAINED_ON').values('model_id')\"")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with _store(args) as store:
        result = store.rebuild()
        print(f"rebuilt {store.backend.describe()} from {result.received} logged events "
              f"in {time.perf_counter() - started:.2f}s")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ._server import create_app

    overrides: dict[str, Any] = {}
    if args.db:
        overrides["db"] = args.db
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    settings = Settings.from_env(**overrides)
    app = create_app(settings)
    if settings["LINEAGE_WRITER_NICENESS"]:
        # a writer thread of lower priority still holds the interpreter lock for a whole
        # switch interval when it runs: make it hand the lock over sooner (5 ms -> 1 ms)
        sys.setswitchinterval(0.001)
    where = f"http://{settings['LINEAGE_HOST']}:{settings['LINEAGE_PORT']}"
    print(f"lineage explorer at {where}/  GraphQL at {where}/graphql  OpenLineage at {where}/api/v1/lineage",
          file=sys.stderr)
    # h11 whatever else is installed: httptools (uvicorn[standard]) answers a malformed
    # header with a plain-text 400 of its own before our app can name the problem
    uvicorn.run(app, host=settings["LINEAGE_HOST"], port=settings["LINEAGE_PORT"], log_level="warning",
                access_log=False, http="h11")
    return 0


def cmd_graphql_schema(args: argparse.Namespace) -> int:
    from ._gql import schema

    print(str(schema).rstrip())
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from . import _doctor

    overrides = {"db": args.db} if args.db else {}
    settings = Settings.from_env(**overrides)
    if args.wait is not None and not _doctor.wait(settings, args.wait, sys.stdout):
        return 1
    if args.create_keyspace and not _doctor.create_keyspace(settings, sys.stdout):
        return 1
    return _doctor.run(settings, sys.stdout)


DESCRIPTION = """Directional data and ML lineage from OpenLineage events, in a property graph.

The graph is the embedded file LINEAGE_DB (./lineage.db) unless LINEAGE_GREMLIN_URL
points at JanusGraph. Run `lineage COMMAND --help` for a command's options and examples."""
EPILOG = """examples:
  lineage demo && lineage upstream gold/customers
  lineage impact bronze/sales --change schema
  lineage gremlin -c "g.V().has('dataset_id', 'gold/customers').in('TRAINED_ON').values('model_id')"
  lineage serve

exit status: 0 done; 1 an unknown id, a bad argument or a rejected event;
             2 a missing file, a configuration or a backend problem"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lineage", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", metavar="FILE",
                        help="embedded graph file, overriding LINEAGE_DB, e.g. --db /data/lineage.db")
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    p = add_command(sub, "ingest", "load OpenLineage events from files into the graph",
                    ["lineage ingest events.json more.ndjson", "cat events.ndjson | lineage ingest -"], cmd_ingest)
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a JSON array, a single event or NDJSON (- reads stdin), e.g. events.json")
    add_command(sub, "demo", "load the demo lakehouse (bronze, silver, gold, features and models)",
                ["lineage demo"], cmd_demo)
    add_command(sub, "rebuild", "replay the event log into an empty graph", ["lineage rebuild"], cmd_rebuild)
    cli_gremlin.register(sub)
    cli_query.register(sub)
    cli_catalog.register(sub)
    cli_lakehouse.register(sub)
    replay_cli.register(sub)
    versions_cli.register(sub)
    p = add_command(sub, "serve", "run the HTTP server: OpenLineage ingestion, GraphQL and the lineage explorer",
                    ["lineage serve", "lineage serve --host 0.0.0.0 --port 8080"], cmd_serve)
    p.add_argument("--host", help="listen address, overriding LINEAGE_HOST, e.g. --host 0.0.0.0")
    p.add_argument("--port", type=int, help="port, overriding LINEAGE_PORT, e.g. --port 8080")
    add_command(sub, "graphql-schema", "print the GraphQL SDL (graphql/schema.graphql is this output)",
                ["lineage graphql-schema > graphql/schema.graphql"], cmd_graphql_schema)
    p = add_command(sub, "doctor", "check the backend (and the Cassandra ring) and say how to fix what is wrong",
                    ["lineage doctor", "lineage doctor --wait 120 --create-keyspace"], cmd_doctor)
    p.add_argument("--wait", type=float, metavar="SECONDS",
                   help="first wait up to SECONDS for Cassandra and the graph to answer, e.g. --wait 120")
    p.add_argument("--create-keyspace", action="store_true",
                   help="create the Cassandra keyspace (NetworkTopologyStrategy) if it does not exist, "
                        "e.g. doctor --create-keyspace")
    provenance_cli.register(sub)
    cli_ops.register(sub)
    columns_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and what is wrong with the arguments
        return 1 if exc.code == 2 else int(exc.code or 0)
    try:
        return args.func(args)
    except LineageError as exc:
        print(f"lineage: {exc.message}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"lineage: no such file: {exc.filename}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
