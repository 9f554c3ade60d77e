"""Text formats of the exports: Graphviz DOT, a timeline page (HTML with inline
SVG), and a summary report as Markdown or HTML. Pure functions of plain data."""

from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from typing import Any

from .. import _model as m

COLOURS = {m.DATASET: "#dbe9f6", m.PIPELINE: "#fdf1c7", m.MODEL: "#e3f1e6", m.FEATURE: "#efe3f4", m.RUN: "#eeeeee"}
STATE_COLOURS = {"COMPLETE": "#2e7d32", "FAIL": "#c62828", "ABORT": "#ef6c00", "RUNNING": "#1565c0",
                 "START": "#1565c0", "OTHER": "#757575"}
# edges drawn the way data flows: (from, to) as named by the edge's ends
_FLOW = {m.DERIVED_FROM: "in_to_out", m.TRAINED_ON: "in_to_out", m.GENERATED_BY: "in_to_out",
         m.CONSUMES: "in_to_out", m.PRODUCES: "out_to_in"}


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _dot_id(text: str) -> str:
    return f'"{_esc(text)}"'


def to_dot(graph: dict[str, Any], name: str = "lineage") -> str:
    """A DOT digraph, left to right in the direction data flows; nodes coloured by type."""
    lines = [f"digraph {_dot_id(name)} {{", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=8, color="#666666"];']
    for node in graph["nodes"]:
        label = f'"{_esc(node["id"])}\\n{_esc(node["label"])}"'     # \n: a line break inside a DOT label
        shape = ", shape=ellipse" if node["label"] == m.PIPELINE else ""
        lines.append(f"  {_dot_id(node['id'])} [label={label}, "
                     f"fillcolor={_dot_id(COLOURS.get(node['label'], '#ffffff'))}{shape}];")
    for edge in graph["edges"]:
        a, b = edge["source"], edge["target"]
        if _FLOW.get(edge["label"]) == "in_to_out":
            a, b = b, a
        lines.append(f"  {_dot_id(a)} -> {_dot_id(b)} [label={_dot_id(edge['label'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _ms(text: str | None) -> float | None:
    if not text:
        return None
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    return parsed.timestamp() * 1000


def timeline_html(data: dict[str, Any], title: str = "Pipeline runs") -> str:
    """One row per pipeline, one bar per run from its start to its end, coloured by state;
    hover a bar for the run. A standalone page (no scripts, no network)."""
    rows = data["pipelines"]
    runs = [(i, r) for i, p in enumerate(rows) for r in p["runs"]]
    starts = [_ms(r["start"]) for _, r in runs if r["start"]]
    ends = [_ms(r["end"] or r["start"]) for _, r in runs if r["end"] or r["start"]]
    low, high = (min(starts), max(ends)) if starts else (0.0, 1.0)
    span = max(high - low, 1000.0)
    left, width, row_h = 260, 900, 26
    height = 40 + row_h * len(rows)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" height="{height}" '
           f'role="img" aria-label="{html.escape(title)}">']
    for i, pipeline in enumerate(rows):
        y = 30 + i * row_h
        svg.append(f'<g class="pipeline" data-pipeline="{html.escape(pipeline["pipeline_id"])}">'
                   f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="12">'
                   f'{html.escape(pipeline["pipeline_id"])}</text>'
                   f'<line x1="{left}" x2="{left + width}" y1="{y + row_h - 2}" y2="{y + row_h - 2}" stroke="#eee"/>')
        for run in pipeline["runs"]:
            start = _ms(run["start"]) or low
            end = _ms(run["end"]) or start
            x = left + (start - low) / span * width
            w = max(3.0, (end - start) / span * width)
            colour = STATE_COLOURS.get(run["state"] or "OTHER", "#757575")
            tip = f"{run['run_id']} {run['state']} {run['start'] or '?'} → {run['end'] or '?'}"
            svg.append(f'<rect class="run" data-run-id="{html.escape(run["run_id"])}" '
                       f'data-state="{html.escape(run["state"] or "")}" x="{x:.1f}" y="{y + 4}" width="{w:.1f}" '
                       f'height="{row_h - 10}" rx="2" fill="{colour}"><title>{html.escape(tip)}</title></rect>')
        svg.append("</g>")
    for at, anchor in ((low, "start"), (high, "end")):
        stamp = datetime.fromtimestamp(at / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if starts else ""
        svg.append(f'<text x="{left + (at - low) / span * width:.1f}" y="16" font-size="11" '
                   f'text-anchor="{anchor}" fill="#555">{stamp}</text>')
    svg.append("</svg>")
    legend = " ".join(f'<span><i style="background:{c}"></i>{s}</span>' for s, c in STATE_COLOURS.items()
                      if s not in ("START",))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;margin:20px}} .legend span{{margin-right:14px;font-size:12px}}
.legend i{{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>{len(runs)} runs of {len(rows)} pipelines{html.escape(data.get("window", ""))}.</p>
<div class="legend">{legend}</div>
{"".join(svg)}
</body></html>
"""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def report_markdown(report: dict[str, Any]) -> str:
    out = [f"# {report['title']}", "", f"Generated {report['generated']}.", ""]
    for section in report["sections"]:
        out += [f"## {section['title']}", ""]
        if section.get("text"):
            out += [section["text"], ""]
        if section["rows"]:
            out.append("| " + " | ".join(section["columns"]) + " |")
            out.append("|" + "|".join(" --- " for _ in section["columns"]) + "|")
            for row in section["rows"]:
                out.append("| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |")
            out.append("")
        elif not section.get("text"):
            out += ["(none)", ""]
    return "\n".join(out)


def report_html(report: dict[str, Any]) -> str:
    body = [f"<h1>{html.escape(report['title'])}</h1>", f"<p>Generated {html.escape(report['generated'])}.</p>"]
    for section in report["sections"]:
        body.append(f"<h2>{html.escape(section['title'])}</h2>")
        if section.get("text"):
            body.append(f"<p>{html.escape(section['text'])}</p>")
        if section["rows"]:
            head = "".join(f"<th>{html.escape(c)}</th>" for c in section["columns"])
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
                           for row in section["rows"])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif not section.get("text"):
            body.append("<p>(none)</p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(report['title'])}</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;margin:20px}} table{{border-collapse:collapse;margin-bottom:16px}}
th,td{{border:1px solid #ddd;padding:4px 8px;font-size:13px;text-align:left}} th{{background:#f5f5f5}}</style>
</head><body>{"".join(body)}</body></html>
"""
