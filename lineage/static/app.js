// The lineage explorer: routing between the home page and a node's views.
// State lives in the URL hash (#/node/<id>?type=&dir=&depth=&view=), so any view can be shared.

import { gql, queries } from "./api.js";
import { $, el } from "./dom.js";
import { clearDetails, selectNode } from "./details.js";
import { errorBox } from "./errors.js";
import { drawGraph, enablePanZoom, fit, showCanvasMessage } from "./graph.js";
import { showHome } from "./home.js";
import { hashFor, parseHash } from "./route.js";
import { enableSearch } from "./search.js";
import { forgetStatuses } from "./checks.js";
import { showRootCause } from "./rootcause.js";
import { state } from "./state.js";
import { showImpact, showModel } from "./views.js";
import { enableTimeControl, showTime } from "./timecontrol.js";

export { parseHash };

const COLORS = { Dataset: "var(--dataset)", Pipeline: "var(--pipeline)", Model: "var(--model)", Feature: "var(--feature)" };

function go(change) { location.hash = hashFor({ ...state.route, ...change }); }

function sameGraph(a, b) {
  return a && b && a.id === b.id && a.dir === b.dir && a.depth === b.depth && a.at === b.at && a.view === "graph";
}

async function showRoute(route) {
  if (!sameGraph(state.route, route)) { state.expanded = new Set(); state.limits = null; forgetStatuses(); }
  state.route = route;
  $("home").hidden = true;
  $("view").hidden = false;
  $("title").textContent = route.id;
  $("direction").value = route.dir;
  $("depth").value = route.depth;
  showTime(route);
  for (const tab of document.querySelectorAll(".tabs a")) {
    tab.href = hashFor({ ...route, view: tab.dataset.view });
    if (tab.dataset.view === route.view) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
  }
  $("tab-impact").hidden = route.type && route.type !== "Dataset";
  $("tab-rootcause").hidden = route.type && !["Dataset", "Pipeline"].includes(route.type);
  $("tab-model").hidden = route.type !== "Model";
  const graphView = route.view === "graph";
  $("canvas").hidden = !graphView;
  $("graph-controls").hidden = !graphView;
  $("impact").hidden = route.view !== "impact";
  $("model").hidden = route.view !== "model";
  $("rootcause").hidden = route.view !== "rootcause";
  $("notice").replaceChildren();
  if (route.view === "impact") { selectNode({ id: route.id, label: route.type || "Dataset" }); return showImpact(route); }
  if (route.view === "rootcause") { clearDetails(); return showRootCause(route); }
  if (route.view === "model") {
    clearDetails();
    const id = await showModel(route);
    if (id) selectNode({ id, label: "Model" });
    return;
  }
  clearDetails();
  try {
    const { lineageGraph: graph } = await gql(queries.graph, { id: route.id, depth: route.depth, dir: route.dir, type: route.type, asOf: route.at });
    state.graph = graph;
    const center = graph.nodes.find((n) => n.id === graph.center);
    if (graph.truncated) $("notice").append(el("span", { id: "truncated" },
      `Showing the nearest ${graph.nodeCount} nodes: the node cap was reached. Lower the depth or centre on a node further out.`));
    if (center) {
      if (!route.type) state.route.type = center.label;
      $("tab-impact").hidden = center.label !== "Dataset";
      $("tab-rootcause").hidden = !["Dataset", "Pipeline"].includes(center.label);
      $("tab-model").hidden = center.label !== "Model";
      for (const tab of document.querySelectorAll(".tabs a")) tab.href = hashFor({ ...state.route, view: tab.dataset.view });
    }
    await drawGraph(graph);
  } catch (err) {
    state.graph = null;
    showCanvasMessage(errorBox(err));   // said once, in the canvas; the legend stays where it is
  }
}

function route() {
  const r = parseHash();
  if (r) showRoute(r); else { state.route = null; showHome(); }
}

function init() {
  enableSearch();
  enableTimeControl(go);
  $("direction").addEventListener("change", (e) => go({ dir: e.target.value }));
  $("depth").addEventListener("change", (e) => go({ depth: Math.min(10, Math.max(1, parseInt(e.target.value, 10) || 3)) }));
  $("shortcuts").addEventListener("change", () => state.graph && drawGraph(state.graph));
  $("edge-labels").addEventListener("change", () => state.graph && drawGraph(state.graph, { fold: false }));
  $("fit").addEventListener("click", () => { state.expanded = new Set(); state.limits = null; state.graph && drawGraph(state.graph); });
  $("graph").addEventListener("node-open", (e) => go({ id: e.detail.id, type: e.detail.label, view: "graph" }));
  $("graph").addEventListener("node-details", (e) => selectNode(e.detail));
  window.addEventListener("open-details", (e) => selectNode(e.detail));
  $("legend").prepend(...Object.entries(COLORS).map(([k, c]) => el("span", { style: `--c:${c}` }, k)),
    el("span", { class: "layers" }, "bronze / silver / gold: border colour"),
    el("span", { class: "dashed" }, "dashed: derived, no pipeline recorded"));
  enablePanZoom();
  window.addEventListener("hashchange", route);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => fit(), 100); });
  window.addEventListener("details-toggled", () => { if (state.route?.view === "graph") fit(); });
  route();
}

init();
