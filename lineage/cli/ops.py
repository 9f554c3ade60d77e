"""``lineage backup``, ``lineage restore`` and ``lineage healthcheck``.

    lineage backup lineage-backup.db           # while the server runs
    lineage backup --events-only - | gzip > events.db.gz
    lineage restore lineage-backup.db          # with the server stopped
    lineage healthcheck                        # the container's HEALTHCHECK
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from typing import Any

from .._settings import Settings
from . import add_command


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(**({"db": args.db} if getattr(args, "db", None) else {}))


def _describe(report: Any) -> str:
    held = "graph and event log" if report.graph else "event log only"
    return f"{report.events} events ({held}), {report.bytes / 1e6:.1f} MB"


def cmd_backup(args: argparse.Namespace) -> int:
    from ..ops.backup import backup

    settings = _settings(args)
    if args.destination != "-":
        report = backup(settings, args.destination, events_only=args.events_only, overwrite=args.force)
        print(f"backed up {report.source} to {report.destination}: {_describe(report)}; integrity ok")
        return 0
    with tempfile.TemporaryDirectory(prefix="lineage-backup-") as folder:
        path = os.path.join(folder, "backup.db")
        report = backup(settings, path, events_only=args.events_only)
        with open(path, "rb") as data:
            shutil.copyfileobj(data, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    print(f"backed up {report.source} to standard output: {_describe(report)}; integrity ok", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..ops.backup import restore

    settings = _settings(args)
    with tempfile.TemporaryDirectory(prefix="lineage-restore-") as folder:
        source = args.source
        if source == "-":
            source = os.path.join(folder, "backup.db")
            with open(source, "wb") as out:
                shutil.copyfileobj(sys.stdin.buffer, out)
        report = restore(settings, source, overwrite=args.force)
    print(f"restored {report.destination} from {args.source}: {_describe(report)}")
    if report.rebuilt:
        print(f"the backup held the event log alone: rebuilt the graph from {report.rebuilt} events")
    elif settings.gremlin_url:
        print("the graph itself is in JanusGraph: restore Cassandra (see the chart README), "
              "or run `lineage rebuild` to replay this log into an empty graph")
    return 0


def cmd_healthcheck(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    url = args.url or f"http://127.0.0.1:{settings['LINEAGE_PORT']}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:  # noqa: S310 - a URL we build
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        print(f"lineage: {url} did not answer ({exc}); is `lineage serve` running on this port?", file=sys.stderr)
        return 1
    if status != 200:
        print(f"lineage: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


def register(sub: Any) -> None:
    p = add_command(sub, "backup", "copy the live SQLite file with SQLite's online backup API, consistent while "
                    "the server writes (the embedded graph and its event log; with LINEAGE_GREMLIN_URL back up "
                    "Cassandra instead), checked before it is kept",
                    ["lineage backup /backups/lineage-$(date +%Y%m%d).db",
                     "lineage backup --events-only - | gzip > events.db.gz"], cmd_backup)
    p.add_argument("destination", metavar="DEST",
                   help="file to write (- writes it to standard output), e.g. lineage-backup.db")
    p.add_argument("--events-only", action="store_true",
                   help="copy only the event log, a smaller file that restore rebuilds the graph from, "
                        "e.g. lineage backup --events-only events.db")
    p.add_argument("--force", action="store_true", help="replace DEST if it exists, e.g. lineage backup --force b.db")

    p = add_command(sub, "restore", "put a backup in place of LINEAGE_DB "
                    "with the server stopped; a backup of the event log alone is replayed into a new graph",
                    ["lineage restore /backups/lineage-20260208.db", "gunzip -c events.db.gz | lineage restore -"],
                    cmd_restore)
    p.add_argument("source", metavar="BACKUP",
                   help="a file written by lineage backup (- reads it from standard input), e.g. lineage-backup.db")
    p.add_argument("--force", action="store_true",
                   help="replace a live file that already holds events, e.g. lineage restore --force b.db")

    p = add_command(sub, "healthcheck", "exit 0 when this machine's server answers /healthz on LINEAGE_PORT, 1 "
                    "otherwise (the container image's HEALTHCHECK)",
                    ["lineage healthcheck", "lineage healthcheck --url http://127.0.0.1:8080/healthz"],
                    cmd_healthcheck)
    p.add_argument("--url", help="check this URL instead, e.g. --url http://127.0.0.1:5000/healthz")
    p.add_argument("--timeout", type=float, default=4.0, help="seconds to wait for an answer, e.g. --timeout 2")
