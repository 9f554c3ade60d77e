"""Lakehouse commands: ``lineage iceberg`` (snapshots, record, drift) and
``lineage mlflow`` (record an MLflow run as a model version).

The Iceberg catalog comes from ``--catalog-uri``/``--warehouse`` or the
``LINEAGE_ICEBERG_*`` settings (else pyiceberg's own configuration); the graph
from ``--db`` or ``LINEAGE_DB``/``LINEAGE_GREMLIN_URL``, as everywhere.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

from .._errors import Ambiguous, ConfigurationError, InvalidArgument, NotFound
from .._ids import split_model_id
from .._settings import Settings
from . import FORMATTER, add_command, render


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {"db": args.db} if getattr(args, "db", None) else {}
    for option, name in (("catalog_uri", "iceberg_uri"), ("warehouse", "iceberg_warehouse"),
                         ("catalog", "iceberg_catalog")):
        if getattr(args, option, None):
            overrides[name] = getattr(args, option)
    return Settings.from_env(**overrides)


def _run(show: Callable[[Any, Settings, argparse.Namespace], Any]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from .._client import JanusGraphClient

        settings = _settings(args)
        with JanusGraphClient(settings) as client:
            try:
                result = show(client, settings, args)
            except (NotFound, Ambiguous, InvalidArgument, ConfigurationError) as exc:
                return render.fail(exc.message)
        if getattr(args, "json", False):
            render.print_json(result)
        return 0
    return run


def _table_arg(text: str) -> tuple[str, str]:
    namespace, dot, table = text.rpartition(".")
    if "/" in text:
        namespace, _, table = text.rpartition("/")
    elif not dot:
        raise argparse.ArgumentTypeError(f"{text!r} names no namespace; write e.g. gold.customers")
    return namespace, table


def _snapshots(client: Any, settings: Settings, args: argparse.Namespace) -> Any:
    from ..integrations.iceberg import IcebergCatalog

    rows = IcebergCatalog.from_settings(settings).snapshots(*args.table)
    if not args.json:
        render.print_table(["snapshot", "parent", "committed (ms)", "operation", "records"],
                           [[r["snapshot_id"], r["parent_id"], r["timestamp_ms"], r["operation"], r["total_records"]]
                            for r in rows], f"snapshots of {'.'.join(args.table)}: {len(rows)}")
    return rows


def _record(client: Any, settings: Settings, args: argparse.Namespace) -> Any:
    from ..integrations.iceberg import IcebergCatalog, dataset_id

    catalog = IcebergCatalog.from_settings(settings)
    snapshot = args.snapshot or "latest"
    spec = catalog.dataset(*args.table, snapshot, layer=args.layer)
    result = catalog.record_snapshot(client, *args.table, layer=args.layer, snapshot=snapshot)
    if not args.json:
        render.line(f"recorded {dataset_id(*args.table)} at snapshot {spec.version} "
                    f"({len(spec.schema or [])} columns; {result['accepted']} new events)")
    return {"dataset_id": spec.dataset_id, "version": spec.version, **result}


def _drift(client: Any, settings: Settings, args: argparse.Namespace) -> Any:
    from ..integrations.iceberg import IcebergCatalog, model_data_drift

    name, version = split_model_id(args.model)
    report = model_data_drift(client, IcebergCatalog.from_settings(settings), name, version)
    if args.json:
        return report
    render.line(f"{report['model_id']}: {'data changed since training' if report['drift'] else 'no schema drift'}")
    for d in report["datasets"]:
        render.line(f"  {d['dataset_id']}: snapshot {d['trained_on_snapshot']} -> {d['latest_snapshot']}, "
                    f"rows {d['rows_before']} -> {d['rows_after']} ({d['row_change']:+d})")
        for c in d["added"]:
            render.line(f"    + {c['name']} {c['type']}")
        for c in d["removed"]:
            render.line(f"    - {c['name']} {c['type']}")
        for c in d["type_changed"]:
            render.line(f"    ~ {c['name']} {c['from']} -> {c['to']}")
    for ds in report["unpinned"]:
        render.line(f"  {ds}: not pinned to a snapshot, so the training data cannot be re-read")
    for ds in report["not_in_catalog"]:
        render.line(f"  {ds}: not a table of this Iceberg catalog")
    return report


def _catalog_options(p: argparse.ArgumentParser, example: str) -> None:
    p.add_argument("--catalog-uri", metavar="URI", help="Iceberg catalog URI, overriding LINEAGE_ICEBERG_URI, "
                   f"e.g. {example} --catalog-uri sqlite:////data/catalog.db")
    p.add_argument("--warehouse", help="Iceberg warehouse, overriding LINEAGE_ICEBERG_WAREHOUSE, "
                   "e.g. --warehouse file:///data/warehouse")
    p.add_argument("--catalog", help="pyiceberg catalog name, overriding LINEAGE_ICEBERG_CATALOG, e.g. --catalog prod")
    p.add_argument("--json", action="store_true", help=f"print JSON for scripts, e.g. {example} --json")


def _sub(parent: Any, name: str, help: str, example: str, show: Callable) -> argparse.ArgumentParser:
    p = parent.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                          epilog=f"example:\n  {example}", formatter_class=FORMATTER)
    p.set_defaults(func=_run(show))
    _catalog_options(p, example)
    return p


def register(sub: Any) -> None:
    p = add_command(sub, "iceberg", "Iceberg tables as versioned datasets: snapshots, recording them, and the "
                    "drift between the snapshot a model trained on and the latest",
                    ["lineage iceberg snapshots gold.customers", "lineage iceberg record gold.customers --layer gold",
                     "lineage iceberg drift churn_predictor@5"], lambda args: p.print_help() or 1)
    actions = p.add_subparsers(dest="iceberg_cmd", metavar="ACTION",
                               help="snapshots, record or drift, e.g. lineage iceberg drift churn_predictor@5")
    s = _sub(actions, "snapshots", "a table's snapshots, oldest first", "lineage iceberg snapshots gold.customers",
             _snapshots)
    s.add_argument("table", type=_table_arg, help="the table as namespace.table, e.g. gold.customers")
    s = _sub(actions, "record", "declare a table in the graph at its current (or a given) snapshot, with its schema",
             "lineage iceberg record gold.customers --layer gold", _record)
    s.add_argument("table", type=_table_arg, help="the table as namespace.table, e.g. gold.customers")
    s.add_argument("--layer", help="medallion layer, e.g. --layer gold")
    s.add_argument("--snapshot", help="a snapshot id instead of the current one, e.g. --snapshot 4358109269873137077")
    s = _sub(actions, "drift", "for each table a model version trained on: schema and row-count change between "
             "that snapshot and the latest", "lineage iceberg drift churn_predictor@5", _drift)
    s.add_argument("model", metavar="NAME[@VERSION]", help="a model version, e.g. churn_predictor@5")
