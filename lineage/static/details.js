// The details panel: a node's properties, version, schema, a dataset's checks, a
// pipeline's recent runs and child jobs, and a run's own details.

import { gql, queries } from "./api.js";
import { checksSection } from "./checks.js";
import { $, el, fill } from "./dom.js";
import { showError } from "./errors.js";
import { childrenSection, panelLink, parentLine, runParts } from "./family.js";
import { shortTime } from "./names.js";
import { hashFor } from "./route.js";
import { state } from "./state.js";
import { withVersionsTab } from "./versions.js";

function propsList(props, skip = []) {
  const dl = el("dl", { class: "props" });
  for (const [k, v] of Object.entries(props || {})) {
    if (skip.includes(k) || v === null || v === undefined || v === "" || k === "prop_times") continue;
    dl.append(el("dt", {}, k), el("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)));
  }
  return dl;
}

export function runsTable(runs) {
  if (!runs.length) return el("p", {}, "No runs recorded.");
  return el("table", { class: "runs" }, el("thead", {}, el("tr", {}, el("th", {}, "state"),
    el("th", {}, "started (UTC)"), el("th", {}, "ended"), el("th", {}, "code"), el("th", {}, "output"))),
    el("tbody", {}, runs.map((r) => el("tr", { "data-run": r.runId },
    el("td", { class: `state-${r.state}` }, r.state || "—"),
    el("td", {}, panelLink(r.runId, "Run", shortTime(r.startedAt))),
    el("td", {}, shortTime(r.endedAt)), runCode(r), runOutputs(r)))));
}

// A run's code version, shortened, marked when it differs from the run before.
function runCode(r) {
  if (!r.codeVersion) return el("td", {}, "—");
  const short = r.codeVersion.replace(/^(\w+:)?(.{10}).*$/, "$1$2");
  return el("td", { class: r.codeChanged ? "code-changed" : "", title: r.codeVersion },
    short, r.codeChanged ? " (changed)" : "");
}

// What a run wrote: rows and a shortened fingerprint per output.
function runOutputs(r) {
  const outs = r.outputs || [];
  if (!outs.length) return el("td", {}, "—");
  return el("td", {}, outs.map((o) => el("div", { title: o.fingerprint || "" }, o.datasetId,
    o.rows != null ? ` · ${o.rows} rows` : "", o.fingerprint ? ` · ${o.fingerprint.slice(0, 18)}…` : "")));
}

export async function selectNode(n) {
  state.selected = n.id;
  document.querySelectorAll(".node.selected").forEach((x) => x.classList.remove("selected"));
  document.querySelector(`.node[data-id="${CSS.escape(n.id)}"]`)?.classList.add("selected");
  const panel = $("details");
  openPanel();
  fill(panel, el("p", {}, "Loading…"));
  try {
    const [{ node }, checks] = await Promise.all([gql(queries.node, { id: n.id, type: n.label }),
      n.label === "Dataset" ? checksSection(n.id).catch((err) => [el("h3", {}, "Checks"), el("p", { class: "error-text" }, err.message)]) : null]);
    if (state.selected !== n.id) return;
    if (node.label === "Run") {
      const parts = await runParts(node);
      if (state.selected === n.id) fill(panel, closeButton(), parts);
      return;
    }
    const p = node.properties;
    const parts = [closeButton(), el("h2", {}, node.id), el("p", {}, el("span", { class: "kind" }, node.label),
      node.layer ? ` ${node.layer} layer` : ""), parentLine(node)];
    const facts = {};
    if (node.version) facts[node.label === "Pipeline" ? "version" : "version / snapshot"] = node.version;
    if (p.code_version) facts["code version"] = p.code_version;
    if (p.pipeline_type) facts["type"] = p.pipeline_type;
    if (p.framework) facts["framework"] = p.framework;
    if (p.description) facts["description"] = p.description;
    if (p.last_seen) facts["last seen"] = p.last_seen;
    parts.push(propsList(facts), inPlace(node));
    if (checks) parts.push(checks);
    if (p.schema_fields) {
      const fields = JSON.parse(p.schema_fields);
      parts.push(el("h3", {}, `Schema (${fields.length} fields)`), el("table", {},
        el("tbody", {}, fields.map((f) => el("tr", {}, el("td", {}, f.name), el("td", {}, f.type || ""))))));
    }
    if (node.label === "Pipeline") parts.push(el("h3", {}, "Recent runs"), runsTable(node.runs), childrenSection(node));
    const links = el("p", {});
    const route = state.route;
    if (node.label === "Dataset") links.append(el("a", { href: hashFor({ ...route, id: node.id, type: "Dataset", view: "impact" }) }, "Impact of a change"), " ");
    if (node.label === "Dataset" || node.label === "Pipeline") links.append(el("a", { href: hashFor({ ...route, id: node.id, type: node.label, view: "rootcause", good: null, bad: null }) }, "Root cause"), " ");
    if (node.label === "Model") links.append(el("a", { href: hashFor({ ...route, id: node.id, type: "Model", view: "model" }) }, "Training lineage"), " ");
    if (node.id !== route.id) links.append(el("a", { href: hashFor({ ...route, id: node.id, type: node.label, view: "graph" }) }, "Centre here"));
    parts.push(links, el("h3", {}, "All properties"), propsList(p, ["prop_times", "schema_fields", "id", "label"]));
    fill(panel, node.label === "Dataset" ? [parts.slice(0, 3), withVersionsTab(parts.slice(3), node.id, route?.at)] : parts);
  } catch (err) { showError(panel, err); panel.prepend(closeButton()); }
}

// An update in place (a job that reads and writes this dataset) as the graph shows it.
function inPlace(node) {
  const edges = state.graph?.edges || [];
  if (!edges.some((e) => e.label === "DERIVED_FROM" && e.source === node.id && e.target === node.id)) return null;
  const reads = new Set(edges.filter((e) => e.label === "CONSUMES" && e.target === node.id).map((e) => e.source));
  const jobs = edges.filter((e) => e.label === "GENERATED_BY" && e.source === node.id && reads.has(e.target)).map((e) => e.target);
  return el("p", { class: "in-place-note", id: "in-place" }, "Updated in place: derived from itself",
    jobs.length ? [" by ", jobs.flatMap((j, i) => [i ? ", " : "", panelLink(j, "Pipeline")])] : "", ".");
}

function closeButton() {
  return el("button", { type: "button", class: "close", id: "close-details", "aria-label": "Close details",
                        onclick: clearDetails }, "×");
}

// Opening or closing the panel changes the canvas width: the graph view refits on this event.
function panel(open) {
  const split = $("details").parentElement;
  if (split.classList.contains("with-details") === open) return;
  $("details").hidden = !open;
  split.classList.toggle("with-details", open);
  window.dispatchEvent(new Event("details-toggled"));
}

function openPanel() { panel(true); }

// The graph view opens with the canvas using the whole width; details open on request.
export function clearDetails() {
  state.selected = null;
  document.querySelectorAll(".node.selected").forEach((x) => x.classList.remove("selected"));
  $("details").replaceChildren();
  panel(false);
}
