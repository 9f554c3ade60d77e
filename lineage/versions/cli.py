"""``lineage versions DATASET``: a dataset's version history from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from ..cli import add_command, render


def _change(change: dict[str, Any] | None) -> str:
    if change is None:
        return ""
    parts = [f"+{f['name']} {f.get('type') or ''}".rstrip() for f in change["added"]]
    parts += [f"-{f['name']}" for f in change["removed"]]
    parts += [f"~{f['name']} {f.get('before')}->{f.get('after')}" for f in change["retyped"]]
    return "\n".join(parts) or "no change"


def _show(args: argparse.Namespace) -> int:
    from .._client import JanusGraphClient
    from .._errors import Ambiguous, InvalidArgument, NotFound
    from .._settings import Settings

    overrides = {"db": args.db} if getattr(args, "db", None) else {}
    with JanusGraphClient(Settings.from_env(**overrides)) as client:
        try:
            versions = client.get_dataset_versions(args.dataset, args.as_of, args.limit)
        except (NotFound, Ambiguous, InvalidArgument) as exc:
            return render.fail(exc.message)
    if args.json:
        render.print_json(versions)
    elif not versions:
        render.line(f"no versions recorded for {args.dataset}" + (f" as of {args.as_of}" if args.as_of else ""))
    else:
        render.print_table(
            ["created", "version", "source", "run", "rows", "schema change", "inputs"],
            [[v["created_at"], v["version"], v["source"], (v["run"] or {}).get("id"), v["row_count"],
              _change(v["schema_change"]),
              "\n".join(f"{i['dataset_id']}@{i['version'] or '?'}" for i in v["inputs"])] for v in versions],
            f"versions of {args.dataset}, newest first: {len(versions)}")
    return 0


def register(sub: Any) -> None:
    p = add_command(sub, "versions", "every version of a dataset, newest first: when, which run created it, rows, "
                    "schema change from the version before, and the input versions it was computed from",
                    ["lineage versions gold/customers", "lineage versions gold/customers --as-of 2024-05-01 --json"],
                    _show)
    p.add_argument("dataset", help="a dataset id, e.g. gold/customers")
    p.add_argument("--as-of", metavar="TIME", help="only versions created by TIME (RFC 3339 UTC, or a date), "
                   "e.g. --as-of 2024-05-01T12:00:00Z")
    p.add_argument("--limit", type=int, default=100, help="most versions to show (default 100), e.g. --limit 10")
    p.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table, "
                   "e.g. lineage versions gold/customers --json")
