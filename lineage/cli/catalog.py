"""``lineage components``, ``lineage export`` (DCAT Turtle or JSON catalog) and
``lineage consume`` (OpenLineage events, heartbeats and catalog messages from Kafka)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .._settings import Settings
from . import add_command, render


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(**({"db": args.db} if getattr(args, "db", None) else {}))


def _store(args: argparse.Namespace) -> Any:
    from .._store import LineageStore

    return LineageStore(_settings(args))


def cmd_components(args: argparse.Namespace) -> int:
    from ..catalog import liveness

    with _store(args) as store:
        items = liveness.components(store.graph, gone_intervals=store.settings["LINEAGE_COMPONENT_GONE_INTERVALS"])
    if args.json:
        render.print_json(items)
    elif not items:
        render.line("no components have reported; start a lineage.capture.Reporter in one")
    else:
        render.print_table(["state", "id", "type", "status", "last seen", "instances", "reads", "writes"],
                           [[c["state"], c["id"], c["component_type"], c["status"], c["last_seen"],
                             len(c["instances"]), ", ".join(c["reads"]), ", ".join(c["writes"])] for c in items],
                           f"components: {len(items)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``lineage export dcat|catalog`` (registered by the one ``export`` command)."""
    from ..catalog import dcat, registry

    with _store(args) as store:
        entries = registry.entries(store.graph)
    text = dcat.to_turtle(entries, args.base) if args.kind == "dcat" else json.dumps(entries, indent=2) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
        render.line(f"wrote {len(entries)} datasets to {args.output}")
    return 0


def cmd_consume(args: argparse.Namespace) -> int:
    from ..integrations.kafka import consume

    with _store(args) as store:
        stats = consume(store, args.topics, args.bootstrap_servers, args.group, max_messages=args.max_messages,
                        idle_timeout=args.idle_timeout)
    render.line(f"read {stats.messages} messages: accepted {stats.accepted}, duplicates {stats.duplicates}, "
                f"rejected {len(stats.rejected)}")
    for reason in stats.rejected:
        render.line(f"  rejected {reason}")
    return 0


def register(sub: Any) -> None:
    p = add_command(sub, "components", "list components that report heartbeats: live, late or gone",
                    ["lineage components", "lineage components --json"], cmd_components)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table, e.g. --json")

    p = add_command(sub, "consume", "read OpenLineage events, heartbeats and catalog messages from Kafka topics "
                    "(at least once: offsets are committed after the events are durable)",
                    ["lineage consume openlineage --bootstrap-servers kafka:9092",
                     "lineage consume openlineage provenance.live catalog --max-messages 1000"], cmd_consume)
    p.add_argument("topics", nargs="+", help="topics to read, e.g. openlineage provenance.live catalog")
    p.add_argument("--bootstrap-servers", default="localhost:9092",
                   help="Kafka brokers, e.g. --bootstrap-servers kafka-1:9092,kafka-2:9092")
    p.add_argument("--group", default="lineage", help="consumer group whose offsets are committed, e.g. --group lineage")
    p.add_argument("--max-messages", type=int, metavar="N", help="stop after N messages, e.g. --max-messages 1000")
    p.add_argument("--idle-timeout", type=float, metavar="SECONDS",
                   help="stop when no message came for this long, e.g. --idle-timeout 30")
