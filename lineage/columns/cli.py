"""``lineage columns``: column lineage from the command line.

``lineage columns fields|upstream|downstream|impact``: each asks
:class:`lineage.columns.ColumnLineage` (the same queries behind GraphQL),
prints a table, or JSON with ``--json``, and exits 1 with the error's message
when the dataset or field is unknown or an argument is wrong.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

from .._errors import Ambiguous, InvalidArgument, NotFound
from ..cli import FORMATTER, add_command, render


def _command(show: Callable[[Any, argparse.Namespace], Any]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from .._client import JanusGraphClient
        from .._settings import Settings
        from .queries import ColumnLineage

        overrides = {"db": args.db} if getattr(args, "db", None) else {}
        with JanusGraphClient(Settings.from_env(**overrides)) as client:
            try:
                result = show(ColumnLineage(client.queries), args)
            except (NotFound, Ambiguous, InvalidArgument) as exc:
                return render.fail(exc.message)
        if args.json:
            render.print_json(result)
        return 0
    return run


def _how(edge: dict[str, Any]) -> str:
    kind = "/".join(x for x in (edge.get("transformation_type"), edge.get("transformation_subtype")) if x)
    return (kind or "-") + (" masking" if edge.get("masking") else "")


def _fields(c: Any, args: argparse.Namespace) -> Any:
    result = c.fields(args.dataset)
    if not args.json:
        if not result["fields"]:
            render.line(f"{result['dataset_id']} has no schema and no column lineage yet")
        else:
            render.print_table(["field", "type", "inputs", "outputs"],
                               [[f["name"], f["type"], f["inputs"], f["outputs"]] for f in result["fields"]],
                               f"fields of {result['dataset_id']}")
    return result


def _lineage(direction: str) -> Callable[[Any, argparse.Namespace], Any]:
    def show(c: Any, args: argparse.Namespace) -> Any:
        result = c.lineage(args.dataset, args.field, direction, args.depth, indirect=not args.direct_only)
        if not args.json:
            root = result["root"]["id"]
            if not result["fields"]:
                render.line(f"no column lineage {direction} of {root} within depth {args.depth}")
            else:
                how = {(e["output"]["id"], e["input"]["id"]): e for e in result["edges"]}
                rows = []
                for f in result["fields"]:
                    a, b = f["path"][-2], f["path"][-1]
                    edge = how.get((a, b) if direction == "upstream" else (b, a), {})
                    rows.append([f["distance"], f["dataset_id"], f["field"], _how(edge), edge.get("pipeline_id")])
                render.print_table(["distance", "dataset", "field", "transformation", "pipeline"], rows,
                                   f"{direction} of {root} (depth {args.depth}): {len(result['fields'])} fields")
        return result
    return show


def _impact(c: Any, args: argparse.Namespace) -> Any:
    result = c.impact(args.dataset, args.field, args.change, args.depth)
    if not args.json:
        root = result["root"]["id"]
        verb = "masking" if args.change == "mask" else "a change to"
        render.line(f"{verb} {root} reaches {result['total_fields']} fields "
                    f"({result['unmasked_fields']} receive it unmasked)")
        if result["fields"]:
            render.print_table(["distance", "dataset", "field", "masked", "path"],
                               [[f["distance"], f["dataset_id"], f["field"],
                                 "masked by " + ", ".join(sorted({str(m["pipeline_id"]) for m in f["masked_at"]}))
                                 if f["masked"] else "no", " -> ".join(f["path"])] for f in result["fields"]])
        rows = [[g["label"], g["id"], g["distance"], ", ".join(g["fields"]) if g["column_level"]
                 else f"no column lineage: reads {g['via']}", "yes" if g["masked"] else "no"]
                for kind in ("models", "features", "datasets") for g in result[kind]]
        if rows:
            render.print_table(["type", "id", "distance", "fields", "only masked"], rows, "artifacts that receive it")
        if result["pipelines"]:
            render.line("pipelines carrying it: " + ", ".join(p["id"] for p in result["pipelines"]))
    return result


def register(sub: Any) -> None:
    group = sub.add_parser("columns", help="column lineage: a field's upstream, downstream and impact",
                           description="Column lineage: which fields a field was computed from, which are computed "
                                       "from it, and what changing or masking it reaches.",
                           epilog="examples:\n  lineage columns fields gold/customers\n"
                                  "  lineage columns upstream gold/customers email\n"
                                  "  lineage columns impact silver/customers email --change mask",
                           formatter_class=FORMATTER)
    cmds = group.add_subparsers(dest="columns_cmd", required=True, metavar="COMMAND",
                                help="fields, upstream, downstream or impact, e.g. lineage columns upstream "
                                     "gold/customers email")

    def add(name: str, help: str, example: str, show: Callable) -> argparse.ArgumentParser:
        p = add_command(cmds, name, help, [example, f"{example} --json"], _command(show))
        p.add_argument("--json", action="store_true",
                       help=f"print JSON for scripts instead of a table, e.g. {example} --json")
        p.add_argument("dataset", help="a dataset, feature view or model id, e.g. gold/customers")
        return p

    add("fields", "a dataset's fields with their types and how many derivations lead in and out",
        "lineage columns fields gold/customers", _fields)
    for direction, what in (("upstream", "the fields a field was computed from"),
                            ("downstream", "the fields computed from a field")):
        p = add(direction, f"{what}, nearest first, with the transformation and pipeline of each step",
                f"lineage columns {direction} gold/customers email --depth 3", _lineage(direction))
        p.add_argument("field", help="a field of the dataset, e.g. email")
        p.add_argument("--depth", type=int, default=5, help="derivations to follow, 1 to 50 (default 5), e.g. --depth 3")
        p.add_argument("--direct-only", action="store_true",
                       help="leave out INDIRECT derivations (joins, filters, grouping), e.g. --direct-only")
    p = add("impact", "what changing or masking a field reaches: fields, datasets, feature views and models, "
            "marking where a masking transformation already applies",
            "lineage columns impact silver/customers email --change mask", _impact)
    p.add_argument("field", help="the field that changes, e.g. email")
    p.add_argument("--change", default="change", choices=("change", "mask"),
                   help="change (follow every derivation) or mask (only those that carry the value), "
                        "e.g. --change mask")
    p.add_argument("--depth", type=int, default=10, help="derivations to follow, 1 to 50 (default 10), e.g. --depth 5")
