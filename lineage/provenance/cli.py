"""``lineage provenance flush|query`` and ``lineage retention``.

    lineage provenance flush [--url URL] [--verbose]   write buffered records, compact through this hour
    lineage provenance query "SQL" [--format F]        DuckDB SQL over the view `provenance`
    lineage retention [--apply] [--now TIME]            what age-off removes (and, with --apply, remove it)
    lineage export dot|json|timeline|report             (lineage/query/cli.py)
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .._errors import Ambiguous, BackendError, InvalidArgument, NotFound
from .._settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {"db": args.db} if getattr(args, "db", None) else {}
    if getattr(args, "dir", None):
        overrides["provenance_dir"] = args.dir
    return Settings.from_env(**overrides)


def _flush_remote(url: str, token: str | None) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(url.rstrip("/") + "/api/v1/provenance/flush", headers=headers, timeout=600)
    except httpx.HTTPError as exc:
        raise BackendError(f"cannot reach the server at {url} ({exc}); check --url and that `lineage serve` runs") \
            from None
    if response.status_code != 200:
        raise BackendError(f"the server answered {response.status_code}: {response.text[:300]}")
    return response.json()


def exit_1_on_bad_input(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """An unknown id or a bad argument is one line on stderr and exit status 1 (like the query commands)."""
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (NotFound, Ambiguous, InvalidArgument) as exc:
            print(f"lineage: {exc.message}", file=sys.stderr)
            return 1
    run.__name__ = fn.__name__
    return run


def cmd_flush(args: argparse.Namespace) -> int:
    if args.url:
        result = _flush_remote(args.url, args.token)
    else:
        from .parquet import compact

        settings = _settings(args)
        done = compact(Path(settings["LINEAGE_PROVENANCE_DIR"]), datetime.now(timezone.utc))
        result = {"records": 0, "raw_files": [], "compacted_files": [str(p) for p in done.files],
                  "raw_files_merged": done.merged, "pending": 0}
    print(f"flushed {result['records']} records; merged {result['raw_files_merged']} raw files into "
          f"{len(result['compacted_files'])} compacted files")
    if args.verbose:
        for path in result["compacted_files"]:
            print(f"  {path}")
    return 0


def _print_table(columns: list[str], rows: list[tuple[Any, ...]], out: Any) -> None:
    text = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in text:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip(), file=out)
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=out)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@exit_1_on_bad_input
def cmd_query(args: argparse.Namespace) -> int:
    from .query import run_sql

    settings = _settings(args)
    columns, rows = run_sql(settings["LINEAGE_PROVENANCE_DIR"], args.sql)
    if args.format == "json":
        for row in rows:
            print(json.dumps(_plain(dict(zip(columns, row))), ensure_ascii=False))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([json.dumps(_plain(v)) if isinstance(v, (list, dict)) else _plain(v) for v in row]
                         for row in rows)
    else:
        _print_table(columns, rows, sys.stdout)
    return 0


def _now(text: str | None) -> datetime:
    if not text:
        return datetime.now(timezone.utc)
    from .._events import normalize_time
    try:
        iso = normalize_time(text, "--now")
    except Exception:
        raise InvalidArgument(f"--now {text!r} is not an ISO 8601 time; e.g. 2024-05-04T00:00:00Z") from None
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


@exit_1_on_bad_input
def cmd_retention(args: argparse.Namespace) -> int:
    from .._store import LineageStore
    from .retention import plan

    settings = _settings(args)
    now = _now(args.now)
    needs_store = settings["LINEAGE_RETENTION_RUN_DAYS"] or settings["LINEAGE_RETENTION_EVENT_DAYS"]
    if needs_store:
        with LineageStore(settings, provenance=False) as store:
            result = plan(settings, store, now, apply=args.apply)
    else:
        result = plan(settings, None, now, apply=args.apply)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.describe())
    if not args.apply:
        print("(dry run: nothing was removed; add --apply to remove it)", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add ``provenance``, ``retention`` and ``export`` to the ``lineage`` command."""
    from ..cli import add_command

    p = add_command(sub, "provenance", "provenance records of finished runs: flush them to Parquet, query them "
                    "with DuckDB", ["lineage provenance flush --url http://127.0.0.1:5000 --verbose",
                                    "lineage provenance query \"SELECT * FROM provenance WHERE name = 'orders.csv'\""],
                    lambda args: 0)
    prov = p.add_subparsers(dest="provenance_cmd", required=True, metavar="ACTION",
                            help="flush (write buffered records, compact) or query (DuckDB SQL), e.g. flush")
    f = add_command(prov, "flush", "write buffered records and compact through the current hour, then return",
                    ["lineage provenance flush --url http://127.0.0.1:5000 --verbose", "lineage provenance flush"],
                    cmd_flush)
    f.add_argument("--url", help="a running server to flush (its buffer, then compaction); without it, compact "
                                 "LINEAGE_PROVENANCE_DIR here, e.g. --url http://127.0.0.1:5000")
    f.add_argument("--token", help="bearer token for the server when LINEAGE_API_TOKENS is set, e.g. --token s3cret")
    f.add_argument("--dir", help="provenance directory, overriding LINEAGE_PROVENANCE_DIR, e.g. --dir /data/provenance")
    f.add_argument("--verbose", "-v", action="store_true", help="list the compacted files, e.g. -v")
    q = add_command(prov, "query", "run DuckDB SQL over the view `provenance` (every compacted and raw file)",
                    ["lineage provenance query \"SELECT data_sink, final_state, count(*) FROM provenance "
                     "WHERE data_source = 's3://landing' GROUP BY ALL\"",
                     "lineage provenance query \"SELECT * FROM provenance LIMIT 10\" --format json"], cmd_query)
    q.add_argument("sql", help="SQL over the view provenance, e.g. \"SELECT * FROM provenance LIMIT 10\"")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="output format (default table), e.g. --format json for one JSON object per row")
    q.add_argument("--dir", help="provenance directory, overriding LINEAGE_PROVENANCE_DIR, e.g. --dir ./provenance")

    r = add_command(sub, "retention", "age off provenance files, Run vertices and event-log rows (a dry run "
                    "unless --apply)", ["lineage retention", "LINEAGE_RETENTION_RUN_DAYS=30 lineage retention --apply",
                                        "lineage retention --now 2024-05-04T00:00:00Z --json"], cmd_retention)
    r.add_argument("--apply", action="store_true", help="remove what is listed (default: only list it), e.g. --apply")
    r.add_argument("--now", help="measure ages from this time instead of now, e.g. --now 2024-05-04T00:00:00Z")
    r.add_argument("--json", action="store_true", help="print the plan as JSON, e.g. --json")
    r.add_argument("--dir", help="provenance directory, overriding LINEAGE_PROVENANCE_DIR, e.g. --dir ./provenance")

    from ..query import cli as export_cli
    export_cli.register(sub)
