"""Lineage questions from the command line: upstream, downstream, impact, search,
model and runs. Each asks the query layer (the same one behind the Python client
and GraphQL), prints a table sized to the terminal, or JSON with ``--json``, and
exits 1 with the error's message when the id is unknown or an argument is wrong.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

from .. import _model as m
from .._errors import Ambiguous, InvalidArgument, NotFound
from .._queries import MAX_NODES as MAX_RUNS
from .._runs import decode_run, mark_code_changes, short_code
from .._settings import Settings
from . import add_command, render

ARTIFACT_TYPES = (m.DATASET, m.MODEL, m.FEATURE)


def _queries(args: argparse.Namespace) -> Any:
    from .._client import JanusGraphClient

    overrides = {"db": args.db} if getattr(args, "db", None) else {}
    return JanusGraphClient(Settings.from_env(**overrides))


def _command(show: Callable[[Any, argparse.Namespace], Any]) -> Callable[[argparse.Namespace], int]:
    """Run ``show(queries, args)``; an unknown id or a bad argument is one line and exit 1."""
    def run(args: argparse.Namespace) -> int:
        with _queries(args) as client:
            try:
                result = show(client.queries, args)
            except (NotFound, Ambiguous, InvalidArgument) as exc:
                return render.fail(exc.message)
        if args.json:
            render.print_json(result)
        return 0
    return run


def _node_rows(nodes: list[dict[str, Any]]) -> list[list[Any]]:
    return [[n.get("distance"), n["id"], n["label"], n.get("layer"), n.get("version")] for n in nodes]


def _lineage(direction: str) -> Callable[[Any, argparse.Namespace], Any]:
    def show(q: Any, args: argparse.Namespace) -> Any:
        nodes = q.lineage(args.id, direction, args.depth, labels=args.type, as_of=args.as_of)
        if not args.json:
            if not nodes:
                render.line(f"nothing {direction} of {args.id} within depth {args.depth}")
            else:
                render.print_table(["distance", "id", "type", "layer", "version"], _node_rows(nodes),
                                   f"{direction} of {args.id} (depth {args.depth}): {len(nodes)}")
        return nodes
    return show


def _impact(q: Any, args: argparse.Namespace) -> Any:
    result = q.impact(args.id, args.change, args.depth, as_of=args.as_of)
    if not args.json:
        render.line(f"a {result['change_type']} change to {result['dataset_id']} affects "
                    f"{result['total_affected']} nodes: severity {result['severity']}"
                    + (" (cut at the node cap)" if result["truncated"] else ""))
        rows = [[n["label"], n["id"], n["distance"], " -> ".join(n["path"])]
                for kind in ("models", "features", "datasets", "pipelines") for n in result[kind]]
        if rows:
            render.print_table(["type", "id", "distance", "path"], rows)
    return result


def _search(q: Any, args: argparse.Namespace) -> Any:
    nodes = q.search(args.text, args.type, args.limit)
    if not args.json:
        if not nodes:
            render.line(f"no node id or name starts with {args.text!r} (the match is case-sensitive)")
        else:
            render.print_table(["id", "type", "layer", "version"],
                               [[n["id"], n["label"], n.get("layer"), n.get("version")] for n in nodes])
    return nodes


def _model(q: Any, args: argparse.Namespace) -> Any:
    lineage = q.model_training_lineage(args.model, None, args.depth, as_of=args.as_of)
    model = lineage["model"]
    verdict = q.reproducibility(model["id"], as_of=args.as_of)
    if not args.json:
        framework = f" ({model['framework']})" if model.get("framework") else ""
        render.line(f"{model['id']}{framework}: "
                    + ({"verified": "reproducible, verified by replay", "reproducible": "reproducible"}
                       .get(verdict.get("level"), "reproducible") if verdict["reproducible"] else "NOT reproducible"))
        render.print_table(["input", "type", "trained on version", "current version", "layer"],
                           [[n["id"], n["label"], n.get("version"), n.get("current_version"), n.get("layer")]
                            for n in lineage["training_datasets"]], "training inputs")
        if verdict["pipelines"]:
            render.print_table(["pipeline", "code version"], sorted(verdict["pipelines"].items()),
                               "pipelines on its path")
        if lineage["upstream"]:
            render.print_table(["distance", "id", "type", "layer", "version"], _node_rows(lineage["upstream"]),
                               f"further upstream (depth {args.depth})")
        for reason in verdict["missing"]:
            render.line(f"- {reason}")
    return {"lineage": lineage, "reproducibility": verdict}


def _data_cell(items: list[dict[str, Any]]) -> str:
    """Each dataset a run wrote, with its rows and a short fingerprint."""
    parts = []
    for item in items:
        rows = f" {item['rows']} rows" if item.get("rows") is not None else ""
        fp = f" {short_code(item['fingerprint'])}" if item.get("fingerprint") else ""
        parts.append(f"{item.get('datasetId')}{rows}{fp}")
    return "\n".join(parts)


def _runs(q: Any, args: argparse.Namespace) -> Any:
    # one run more than shown, so the oldest shown can be compared with the one before it
    extra = q.runs(args.pipeline, args.limit + 1) if 0 < args.limit < MAX_RUNS else q.runs(args.pipeline, args.limit)
    runs = [decode_run(r) for r in mark_code_changes(extra)][:args.limit]
    if not args.json:
        if not runs:
            render.line(f"no runs recorded for {args.pipeline}")
        else:
            render.print_table(["run", "state", "started", "ended", "pipeline version", "code version",
                                "outputs", "error"],
                               [[r["id"], r.get("state"), r.get("started_at"), r.get("ended_at"),
                                 r.get("pipeline_version"),
                                 (short_code(r.get("code_version")) or "") + (" (changed)" if r.get("code_changed")
                                                                              else ""),
                                 _data_cell(r["outputs"]), r.get("error_message")] for r in runs])
    return runs


def _types(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        out = [t.strip() for t in text.split(",") if t.strip()]
        bad = [t for t in out if t not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown type {', '.join(bad)}; use {', '.join(allowed)}")
        return out
    return parse


def _add(sub: Any, name: str, help: str, example: str, show: Callable) -> argparse.ArgumentParser:
    p = add_command(sub, name, help, [example, f"{example} --json"], _command(show))
    p.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table, "
                   f"e.g. {example} --json")
    return p


def _as_of(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", metavar="TIME", help="answer as the graph was at TIME (RFC 3339 UTC, or a date for "
                   "its midnight): only nodes seen by then and edges not superseded, with the dataset versions "
                   "then, e.g. --as-of 2024-05-01T12:00:00Z")


def register(sub: Any) -> None:
    for direction, what in (("upstream", "artifacts a dataset, model or feature view was made from"),
                            ("downstream", "artifacts made from a dataset, model or feature view")):
        p = _add(sub, direction, f"{what}, nearest first",
                 f"lineage {direction} gold/customers --depth 3", _lineage(direction))
        p.add_argument("id", help="a dataset, model or feature view id, e.g. gold/customers or churn_predictor@3")
        p.add_argument("--depth", type=int, default=5, help="hops to follow, 1 to 50 (default 5), e.g. --depth 10")
        p.add_argument("--type", type=_types(ARTIFACT_TYPES),
                       help="only these node types, comma-separated, e.g. --type Dataset,Model")
        _as_of(p)

    p = _add(sub, "impact", "what a change to a dataset would reach, with distance, path and severity",
             "lineage impact bronze/sales --change schema", _impact)
    p.add_argument("id", help="the dataset that changes, e.g. bronze/sales")
    p.add_argument("--change", default="schema", choices=("schema", "data", "deprecation"),
                   help="kind of change (default schema), e.g. --change deprecation")
    p.add_argument("--depth", type=int, default=10, help="hops to follow, 1 to 50 (default 10), e.g. --depth 5")
    _as_of(p)

    p = _add(sub, "search", "datasets, pipelines, models and feature views whose name or id contains TEXT (ignoring case), best first",
             "lineage search orders", _search)
    p.add_argument("text", help="part of a name or id, any case, e.g. orders or gold/")
    p.add_argument("--type", type=_types(ARTIFACT_TYPES + (m.PIPELINE,)),
                   help="only these node types, comma-separated, e.g. --type Model")
    p.add_argument("--limit", type=int, default=20, help="most results to show (default 20), e.g. --limit 50")

    p = _add(sub, "model", "a model version's training inputs (with the version each was trained on), "
             "the pipelines behind them, and whether it can be reproduced",
             "lineage model churn_predictor@3", _model)
    p.add_argument("model", metavar="NAME[@VERSION]",
                   help="a model version, e.g. churn_predictor@3 (the name alone when it has one version)")
    p.add_argument("--depth", type=int, default=5, help="upstream hops to show (default 5), e.g. --depth 10")
    _as_of(p)

    p = _add(sub, "runs", "the newest runs of a pipeline, with state, times, code version (marked when it "
             "changed since the run before), outputs with rows and fingerprints, and errors",
             "lineage runs spark_aggregate_sales --limit 5", _runs)
    p.add_argument("pipeline", help="a pipeline id (the OpenLineage job), e.g. spark_aggregate_sales")
    p.add_argument("--limit", type=int, default=10, help="most runs to show (default 10), e.g. --limit 50")
