// Parents and children in the details panel: the job or run that started this one, the
// child jobs (with their newest run's state) or child runs it started, and a run's own
// details (what it read and wrote, its code version, parameters).

import { gql, queries } from "./api.js";
import { el } from "./dom.js";
import { shortId, shortTime } from "./names.js";
import { hashFor } from "./route.js";
import { state } from "./state.js";

// A link that opens a pipeline or run in this panel (children are often not drawn).
export function panelLink(id, label, text) {
  return el("a", { href: "#", class: "panel-link", "data-id": id, title: `${label} ${id}`,
                   onclick: (e) => { e.preventDefault(); window.dispatchEvent(new CustomEvent("open-details", { detail: { id, label } })); } },
  text || id);
}

const graphHref = (id, type) => hashFor({ ...state.route, id, type, view: "graph" });
const stateCell = (s) => el("td", { class: `state-${s}` }, s || "—");

export function parentLine(node) {
  if (!node.parent) return null;
  const p = node.parent;
  const pipeline = p.label === "Run" ? p.properties.pipeline_id : null;
  return el("p", { class: "parent", id: "parent" }, "Started by ", el("span", { class: "kind" }, p.label === "Run" ? "run" : "job"), " ",
    panelLink(p.id, p.label, p.label === "Run" && pipeline ? `${pipeline} (run ${shortId(p.id)})` : p.id));
}

// The children of a pipeline (jobs, with their newest run's state) or of a run (runs).
export function childrenSection(node) {
  const kids = node.children || [];
  if (!kids.length) return null;
  const drawn = new Set((state.graph?.nodes || []).map((n) => n.id));
  const runs = node.label === "Run";
  const rows = kids.map((k) => {
    const p = k.properties || {};
    const st = runs ? p.state : p.latest_state;
    return el("tr", { "data-child": k.id }, stateCell(st),
      el("td", {}, panelLink(k.id, k.label, runs ? (p.pipeline_id || k.id) : k.id),
        runs ? el("div", { class: "muted" }, `run ${shortId(k.id)} · ${shortTime(p.started_at)}`) : null,
        !runs && drawn.has(k.id) && k.id !== state.route?.id ? el("a", { class: "centre-link", href: graphHref(k.id, "Pipeline") }, " centre") : null));
  });
  const failed = kids.filter((k) => ["FAIL", "ABORT"].includes(runs ? k.properties?.state : k.properties?.latest_state)).length;
  const hidden = runs ? 0 : kids.filter((k) => !drawn.has(k.id)).length;
  return [el("h3", {}, `${runs ? "Child runs" : "Child jobs"} (${kids.length}${failed ? `, ${failed} failed` : ""})`),
    el("table", { class: "children", id: "children" }, el("thead", {}, el("tr", {}, el("th", {}, runs ? "state" : "latest"),
      el("th", {}, runs ? "run of" : "job"))), el("tbody", {}, rows)),
    hidden ? el("p", { class: "muted small" }, `${hidden} not in this graph: jobs that read and write nothing are never drawn; open one here.`) : null];
}

function datasets(list, other) {
  if (!list.length) return el("p", { class: "muted" }, "none recorded");
  const again = new Set(other.map((d) => d.datasetId));
  return el("ul", { class: "run-datasets" }, list.map((d) => el("li", { title: d.fingerprint || d.version || "" },
    el("a", { href: graphHref(d.datasetId, "Dataset") }, d.datasetId),
    d.rows != null ? ` · ${d.rows} rows` : "", d.fingerprint || d.version ? ` · ${(d.fingerprint || d.version).slice(0, 18)}…` : "",
    again.has(d.datasetId) ? el("span", { class: "in-place", title: "read and written by the same run" }, " in place") : null)));
}

// A run: state, times, its pipeline, code version, parameters, what it read and wrote,
// its parent and children, and a way to ask why it differs from an earlier run.
export async function runParts(node) {
  const { run } = await gql(queries.run, { id: node.id });
  const params = run.parameters && Object.keys(run.parameters).length ? run.parameters : null;
  const facts = el("dl", { class: "props" },
    el("dt", {}, "state"), el("dd", { class: `state-${run.state}` }, run.state || "—"),
    el("dt", {}, "pipeline"), el("dd", {}, run.pipelineId ? [panelLink(run.pipelineId, "Pipeline"), " ",
      el("a", { class: "centre-link", href: graphHref(run.pipelineId, "Pipeline") }, "graph")] : "—"),
    el("dt", {}, "started"), el("dd", {}, shortTime(run.startedAt)),
    el("dt", {}, "ended"), el("dd", {}, shortTime(run.endedAt)),
    run.codeVersion ? [el("dt", {}, "code version"), el("dd", { class: `mono${run.codeChanged ? " code-changed" : ""}` },
      run.codeVersion, run.codeChanged ? " (changed)" : "")] : null,
    run.errorMessage ? [el("dt", {}, "error"), el("dd", { class: "error-text" }, run.errorMessage)] : null);
  return [
    el("h2", {}, run.runId), el("p", {}, el("span", { class: "kind" }, "Run"), run.pipelineId ? ` of ${run.pipelineId}` : ""),
    parentLine(node), facts,
    params ? [el("h3", {}, "Parameters"), el("dl", { class: "props mono" },
      Object.entries(params).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, JSON.stringify(v))]))] : null,
    el("h3", {}, "Read"), datasets(run.inputs, run.outputs),
    el("h3", {}, "Wrote"), datasets(run.outputs, run.inputs),
    childrenSection(node),
    run.pipelineId ? el("p", {}, el("a", { id: "run-root-cause", href: hashFor({ ...state.route, id: run.pipelineId, type: "Pipeline",
      view: "rootcause", bad: run.runId, good: null }) }, "Root cause: compare with an earlier run")) : null,
  ];
}
