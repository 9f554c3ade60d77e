"""``lineage export dot|json|timeline|report``: the visual exports from the shell.

    lineage export dot --node gold/daily --depth 2 -o lineage.dot && dot -Tsvg lineage.dot > lineage.svg
    lineage export json -o graph.json
    lineage export timeline --hours 24 -o runs.html
    lineage export report --format html -o report.html
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._settings import Settings
from ..provenance.cli import exit_1_on_bad_input

KINDS = ("dot", "json", "timeline", "report")
CATALOG_KINDS = ("dcat", "catalog")   # the data catalog, exported by lineage.cli.catalog


def export(settings: Settings, analysis: Any, kind: str, node: str | None = None, depth: int = 3,
           direction: str = "both", hours: float | None = None, fmt: str = "markdown") -> str:
    """One export as text (shared by the CLI and the HTTP routes)."""
    from . import LineageQueryEngine, LineageVisualizer

    provenance_dir = settings["LINEAGE_PROVENANCE_DIR"] if settings["LINEAGE_PROVENANCE_ENABLED"] else None
    visualizer = LineageVisualizer(analysis, LineageQueryEngine(analysis), provenance_dir)
    if kind == "dot":
        return visualizer.export_to_dot(node, depth, direction)
    if kind == "json":
        return visualizer.export_to_json(node, depth, direction)
    if kind == "timeline":
        return visualizer.export_timeline_html(hours)
    return visualizer.generate_summary_report(fmt)


@exit_1_on_bad_input
def cmd_export(args: argparse.Namespace) -> int:
    from .._analysis import LineageAnalysis
    from .._store import LineageStore

    if args.kind in CATALOG_KINDS:
        from ..cli.catalog import cmd_export as export_catalog
        return export_catalog(args)

    settings = Settings.from_env(**({"db": args.db} if getattr(args, "db", None) else {}))
    with LineageStore(settings, provenance=False) as store:
        text = export(settings, LineageAnalysis(store.graph, settings.default_namespace), args.kind, args.node,
                      args.depth, args.direction, args.hours, args.format)
    if args.output and args.output != "-":
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {args.kind} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(sub: Any) -> None:
    from ..cli import add_command

    p = add_command(sub, "export", "export the lineage as Graphviz DOT, JSON graph data, a timeline of runs "
                    "(HTML) or a summary report, or the data catalog as DCAT (RDF Turtle) or JSON", [
                        "lineage export dot --node gold/daily --depth 2 -o lineage.dot && dot -Tsvg lineage.dot "
                        "> lineage.svg",
                        "lineage export json -o graph.json", "lineage export timeline --hours 24 -o runs.html",
                        "lineage export report --format html -o report.html",
                        "lineage export dcat -o catalog.ttl", "lineage export catalog -o catalog.json"], cmd_export)
    p.add_argument("kind", choices=KINDS + CATALOG_KINDS,
                   help="what to export: dot, json, timeline, report, dcat (the catalog in Turtle) or catalog "
                        "(JSON), e.g. dot")
    p.add_argument("--node", help="only the lineage around this node (dot, json), e.g. --node gold/daily")
    p.add_argument("--depth", type=int, default=3, help="hops around --node (default 3), e.g. --depth 2")
    p.add_argument("--direction", choices=("both", "upstream", "downstream"), default="both",
                   help="which side of --node (default both), e.g. --direction upstream")
    p.add_argument("--hours", type=float, help="timeline: only runs of the last HOURS, e.g. --hours 24")
    p.add_argument("--format", choices=("markdown", "html"), default="markdown",
                   help="report format (default markdown), e.g. --format html")
    p.add_argument("-o", "--output", help="file to write (default: standard output), e.g. -o lineage.dot")
    p.add_argument("--base", default="urn:lineage:",
                   help="dcat: IRI prefix of catalog resources, e.g. --base https://data.example.com/")
