// The lineage explorer: search, a layered lineage graph, details, impact and model views.
// State lives in the URL hash (#/node/<id>?type=&dir=&depth=&view=), so any view can be shared.

import { gql, queries, ApiError } from "./api.js";
import { layout } from "./layout.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 180, NODE_H = 40;
const COLORS = { Dataset: "var(--dataset)", Pipeline: "var(--pipeline)", Model: "var(--model)", Feature: "var(--feature)" };

const state = { route: null, graph: null, selected: null, view: { x: 0, y: 0, k: 1 } };

// ---------------------------------------------------------------- helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function short(text, max = 26) { return text.length > max ? "…" + text.slice(-(max - 1)) : text; }

export function parseHash(hash = location.hash) {
  const m = hash.match(/^#\/node\/([^?]*)(?:\?(.*))?$/);
  if (!m) return null;
  const q = new URLSearchParams(m[2] || "");
  return {
    id: decodeURIComponent(m[1]), type: q.get("type") || null, dir: q.get("dir") || "both",
    depth: Math.min(10, Math.max(1, parseInt(q.get("depth") || "3", 10) || 3)), view: q.get("view") || "graph",
  };
}

function hashFor(r) {
  const q = new URLSearchParams({ dir: r.dir, depth: String(r.depth), view: r.view });
  if (r.type) q.set("type", r.type);
  return `#/node/${encodeURIComponent(r.id)}?${q}`;
}

function go(change) { location.hash = hashFor({ ...state.route, ...change }); }

function showError(target, err) {
  const box = el("div", { class: "empty error", role: "alert" });
  if (err instanceof ApiError && err.code === "NOT_FOUND") {
    box.append(el("strong", {}, "Unknown node. "), err.message, " Try the search box above.");
  } else if (err instanceof ApiError && err.code === "UNREACHABLE") {
    box.append(el("strong", {}, "Server unreachable. "), err.message);
  } else {
    box.append(el("strong", {}, "Something went wrong. "), err.message || String(err));
  }
  target.replaceChildren(box);
}

// ---------------------------------------------------------------- search

let searchTimer = null, searchSeq = 0, active = -1;

function renderResults(nodes, prefix) {
  const list = $("results");
  active = -1;
  if (!prefix) { list.hidden = true; return; }
  list.replaceChildren(...(nodes.length ? nodes.map((n, i) => el("li", {
    role: "option", id: `result-${i}`, "data-id": n.id, "data-type": n.label, "aria-selected": "false",
    onmousedown: (e) => { e.preventDefault(); openResult(n); },
  }, el("span", { class: "kind" }, n.label), n.id)) : [el("li", { "aria-disabled": "true" }, `Nothing starts with “${prefix}”.`)]));
  list.hidden = false;
}

function openResult(n) {
  $("results").hidden = true;
  $("search").value = n.id;
  const view = n.label === "Model" ? "model" : "graph";
  location.hash = hashFor({ id: n.id, type: n.label, dir: "both", depth: 3, view });
}

function onSearchInput() {
  const prefix = $("search").value.trim();
  clearTimeout(searchTimer);
  if (!prefix) { renderResults([], ""); return; }
  searchTimer = setTimeout(async () => {
    const seq = ++searchSeq;
    try {
      const data = await gql(queries.search, { p: prefix });
      if (seq === searchSeq) renderResults(data.search, prefix);
    } catch (err) {
      if (seq === searchSeq) { $("results").replaceChildren(el("li", {}, err.message)); $("results").hidden = false; }
    }
  }, 120);
}

function onSearchKey(e) {
  const items = [...$("results").querySelectorAll("li[data-id]")];
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    if (!items.length) return;
    active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items.forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
    $("search").setAttribute("aria-activedescendant", items[active].id);
  } else if (e.key === "Enter") {
    e.preventDefault();
    const li = items[active >= 0 ? active : 0];
    if (li) openResult({ id: li.dataset.id, label: li.dataset.type });
  } else if (e.key === "Escape") {
    $("results").hidden = true;
  }
}

// ---------------------------------------------------------------- graph

function visibleEdges(graph) {
  if ($("shortcuts").checked) return graph.edges;
  // DERIVED_FROM repeats what dataset -> pipeline -> dataset already shows; keep it only where no pipeline does
  const viaPipeline = new Set();
  const writers = new Map();
  for (const e of graph.edges) if (e.label === "GENERATED_BY" || e.label === "PRODUCES") {
    const [artifact, pipeline] = e.label === "PRODUCES" ? [e.target, e.source] : [e.source, e.target];
    if (!writers.has(artifact)) writers.set(artifact, new Set());
    writers.get(artifact).add(pipeline);
  }
  for (const e of graph.edges) if (e.label === "CONSUMES") viaPipeline.add(`${e.source}|${e.target}`);
  return graph.edges.filter((e) => e.label !== "DERIVED_FROM"
    || ![...(writers.get(e.source) || [])].some((p) => viaPipeline.has(`${p}|${e.target}`)));
}

function applyView() {
  const { x, y, k } = state.view;
  $("graph").querySelector("g.world")?.setAttribute("transform", `translate(${x},${y}) scale(${k})`);
}

const READABLE = 0.6;  // below this zoom the labels cannot be read: centre on the node instead

function fit() {
  const world = $("graph").querySelector("g.world");
  if (!world || !state.layout) return;
  const box = $("canvas").getBoundingClientRect();
  const w = state.layout.width + 40, h = state.layout.height + 40;
  const whole = Math.min(1.4, box.width / w, box.height / h);
  if (whole >= READABLE) {
    state.view = { k: whole, x: (box.width - (w - 40) * whole) / 2, y: (box.height - (h - 40) * whole) / 2 };
  } else {
    const c = state.layout.coords.get(state.graph?.center) || { x: 0, y: 0 };
    const k = READABLE;
    state.view = { k, x: box.width / 2 - (c.x + NODE_W / 2) * k, y: box.height / 2 - (c.y + NODE_H / 2) * k };
  }
  applyView();
}

function drawGraph(graph) {
  const root = $("graph");
  root.replaceChildren();
  const world = svg("g", { class: "world" });
  root.append(world);
  const edges = visibleEdges(graph);
  const placed = layout(graph.nodes, edges);
  state.layout = placed;
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7",
                                 markerHeight: "7", orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8c959f" }));
  defs.append(marker);
  world.append(defs);
  for (const e of placed.flow) {
    const a = placed.coords.get(e.from), b = placed.coords.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    const g = svg("g", { class: `edge ${e.label}`, "data-label": e.label, "data-source": e.source, "data-target": e.target });
    g.append(svg("path", { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`, "marker-end": "url(#arrow)" }));
    const label = svg("text", { x: mid, y: (y1 + y2) / 2 - 4, "text-anchor": "middle" });
    label.textContent = e.label;
    g.append(label);
    world.append(g);
  }
  for (const n of graph.nodes) {
    const p = placed.coords.get(n.id);
    const classes = ["node", n.label, n.layer ? `layer-${n.layer}` : "", n.id === graph.center ? "center" : "",
                     n.id === state.selected ? "selected" : ""].join(" ");
    const g = svg("g", { class: classes, transform: `translate(${p.x},${p.y})`, tabindex: "0", role: "button",
                         "data-id": n.id, "data-label": n.label,
                         "aria-label": `${n.label} ${n.id}${n.layer ? ", " + n.layer + " layer" : ""}. Enter to centre, Space for details.` });
    g.append(svg("rect", { width: NODE_W, height: NODE_H }));
    // long ids show their OpenLineage name, with the namespace on the second line
    const long = n.id.length > 20 && n.properties?.name && n.id.endsWith("/" + n.properties.name);
    const title = svg("text", { x: 10, y: 17 });
    title.textContent = short(long ? n.properties.name : n.id);
    const sub = svg("text", { x: 10, y: 31, class: "sub" });
    sub.textContent = [n.label, long ? short(n.properties.namespace || "", 18) : n.layer,
                       n.version ? `v ${short(String(n.version), 12)}` : ""].filter(Boolean).join(" · ");
    const tip = svg("title");
    tip.textContent = n.id;
    g.append(title, sub, tip);
    g.addEventListener("click", (ev) => {
      if (ev.detail === 0) return;  // keyboard "click" is handled below
      if (n.id === graph.center || ev.shiftKey) selectNode(n);
      else go({ id: n.id, type: n.label, view: "graph" });
    });
    g.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); go({ id: n.id, type: n.label, view: "graph" }); }
      if (ev.key === " ") { ev.preventDefault(); selectNode(n); }
    });
    world.append(g);
  }
  fit();
}

function enablePanZoom() {
  const root = $("graph");
  let drag = null;
  root.addEventListener("pointerdown", (e) => {
    if (e.target.closest(".node")) return;
    drag = { x: e.clientX, y: e.clientY, vx: state.view.x, vy: state.view.y };
    root.classList.add("dragging");
    root.setPointerCapture(e.pointerId);
  });
  root.addEventListener("pointermove", (e) => {
    if (!drag) return;
    state.view.x = drag.vx + e.clientX - drag.x;
    state.view.y = drag.vy + e.clientY - drag.y;
    applyView();
  });
  const end = () => { drag = null; root.classList.remove("dragging"); };
  root.addEventListener("pointerup", end);
  root.addEventListener("pointercancel", end);
  root.addEventListener("wheel", (e) => {
    e.preventDefault();
    const box = root.getBoundingClientRect();
    const mx = e.clientX - box.left, my = e.clientY - box.top;
    const k = Math.min(3, Math.max(0.15, state.view.k * Math.exp(-e.deltaY * 0.0015)));
    state.view.x = mx - ((mx - state.view.x) * k) / state.view.k;
    state.view.y = my - ((my - state.view.y) * k) / state.view.k;
    state.view.k = k;
    applyView();
  }, { passive: false });
}

// ---------------------------------------------------------------- details

function propsList(props, skip = []) {
  const dl = el("dl", { class: "props" });
  for (const [k, v] of Object.entries(props || {})) {
    if (skip.includes(k) || v === null || v === undefined || v === "" || k === "prop_times") continue;
    dl.append(el("dt", {}, k), el("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)));
  }
  return dl;
}

async function selectNode(n) {
  state.selected = n.id;
  document.querySelectorAll(".node.selected").forEach((x) => x.classList.remove("selected"));
  document.querySelector(`.node[data-id="${CSS.escape(n.id)}"]`)?.classList.add("selected");
  const panel = $("details");
  panel.replaceChildren(el("p", {}, "Loading…"));
  try {
    const { node } = await gql(queries.node, { id: n.id, type: n.label });
    const p = node.properties;
    const parts = [el("h2", {}, node.id), el("p", {}, el("span", { class: "kind" }, node.label),
      node.layer ? ` ${node.layer} layer` : "")];
    const facts = {};
    if (node.version) facts[node.label === "Pipeline" ? "version" : "version / snapshot"] = node.version;
    if (p.code_version) facts["code version"] = p.code_version;
    if (p.pipeline_type) facts["type"] = p.pipeline_type;
    if (p.framework) facts["framework"] = p.framework;
    if (p.description) facts["description"] = p.description;
    if (p.last_seen) facts["last seen"] = p.last_seen;
    parts.push(propsList(facts));
    if (p.schema_fields) {
      const fields = JSON.parse(p.schema_fields);
      parts.push(el("h3", {}, `Schema (${fields.length} fields)`), el("table", {},
        el("tbody", {}, fields.map((f) => el("tr", {}, el("td", {}, f.name), el("td", {}, f.type || ""))))));
    }
    if (node.label === "Pipeline") {
      parts.push(el("h3", {}, "Recent runs"));
      parts.push(node.runs.length ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "state"),
        el("th", {}, "started"), el("th", {}, "ended"), el("th", {}, "code"), el("th", {}, "output"))),
        el("tbody", {}, node.runs.map((r) => el("tr", {},
        el("td", { class: `state-${r.state}` }, r.state || "—"), el("td", {}, r.startedAt || "—"),
        el("td", {}, r.endedAt || "—"), runCode(r), runOutputs(r))))) : el("p", {}, "No runs recorded."));
    }
    const links = el("p", {});
    if (node.label === "Dataset") links.append(el("a", { href: hashFor({ ...state.route, id: node.id, type: "Dataset", view: "impact" }) }, "Impact of a change"), " ");
    if (node.label === "Model") links.append(el("a", { href: hashFor({ ...state.route, id: node.id, type: "Model", view: "model" }) }, "Training lineage"), " ");
    if (node.id !== state.route.id) links.append(el("a", { href: hashFor({ ...state.route, id: node.id, type: node.label, view: "graph" }) }, "Centre here"));
    parts.push(links, el("h3", {}, "All properties"), propsList(p, ["prop_times", "schema_fields", "id", "label"]));
    panel.replaceChildren(...parts);
  } catch (err) { showError(panel, err); }
}

// ---------------------------------------------------------------- impact and model views

function csv(rows) {
  const quote = (v) => `"${String(v ?? "").replace(/"/g, '""')}"`;
  return rows.map((r) => r.map(quote).join(",")).join("\n") + "\n";
}

async function showImpact(route) {
  const box = $("impact");
  box.replaceChildren(el("p", {}, "Analysing…"));
  const change = box.dataset.change || "schema";
  try {
    const { impactAnalysis: r } = await gql(queries.impact, { id: route.id, change });
    const groups = [["Models", r.affectedModels], ["Features", r.affectedFeatures],
                    ["Datasets", r.affectedDatasets], ["Pipelines", r.affectedPipelines]];
    const select = el("select", { id: "change-type", onchange: (e) => { box.dataset.change = e.target.value; showImpact(route); } },
      ["schema", "data", "deprecation"].map((c) => el("option", { value: c, selected: c === change }, c)));
    const rows = [["kind", "id", "distance", "path"], ...groups.flatMap(([kind, nodes]) =>
      nodes.map((n) => [kind.slice(0, -1), n.id, n.distance, n.path.join(" > ")]))];
    const download = el("button", { type: "button", id: "export-csv", onclick: () => {
      const blob = new Blob([csv(rows)], { type: "text/csv" });
      const a = el("a", { href: URL.createObjectURL(blob), download: `impact-${route.id.replace(/\W+/g, "_")}.csv` });
      document.body.append(a); a.click(); a.remove();
    } }, "Export CSV");
    box.replaceChildren(
      el("p", {}, el("label", {}, "Change type ", select), " ",
        el("span", { class: `severity ${r.severity}`, id: "severity" }, r.severity), " ",
        `${r.totalAffected} affected`, r.truncated ? " (truncated)" : "", " ", download),
      ...groups.map(([kind, nodes]) => el("section", { "data-kind": kind },
        el("h3", {}, `${kind} (${nodes.length})`),
        nodes.length ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "id"), el("th", {}, "distance"), el("th", {}, "path"))),
          el("tbody", {}, nodes.map((n) => el("tr", {}, el("td", {}, el("a", { href: hashFor({ ...route, id: n.id, type: n.label, view: "graph" }) }, n.id)),
            el("td", {}, n.distance), el("td", {}, n.path.join(" → ")))))) : el("p", {}, "None."))));
  } catch (err) { showError(box, err); }
}

async function showModel(route) {
  const box = $("model");
  box.replaceChildren(el("p", {}, "Loading…"));
  const at = route.id.lastIndexOf("@");
  const [name, version] = at > 0 ? [route.id.slice(0, at), route.id.slice(at + 1)] : [route.id, null];
  try {
    const { modelLineage: m } = await gql(queries.model, { name, version });
    box.replaceChildren(
      el("p", {}, el("span", { class: `verdict ${m.isReproducible ? "yes" : "no"}`, id: "verdict" },
        m.isReproducible ? "Reproducible" : "Not reproducible"), ` · ${m.modelName} version ${m.modelVersion ?? "—"}`,
        m.framework ? ` · ${m.framework}` : ""),
      m.missing.length ? el("ul", { id: "missing" }, m.missing.map((x) => el("li", {}, x))) : null,
      el("h3", {}, "Training inputs"),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "input"), el("th", {}, "trained on"), el("th", {}, "latest"))),
        el("tbody", {}, m.trainingDatasets.map((d) => el("tr", {},
          el("td", {}, el("a", { href: hashFor({ ...route, id: d.id, type: d.label, view: "graph" }) }, d.id)),
          el("td", {}, d.version ?? "not pinned"), el("td", {}, d.currentVersion ?? "—"))))),
      el("h3", {}, "Trained by"),
      el("ul", {}, m.pipelines.map((p) => el("li", {}, p.id, ` (code version ${p.properties.code_version ?? "none"})`))));
  } catch (err) { showError(box, err); }
}

// ---------------------------------------------------------------- routing

async function showHome() {
  $("home").hidden = false;
  $("view").hidden = true;
  const status = $("home-status");
  try {
    const { hasLineage } = await gql("query { hasLineage }");
    status.replaceChildren(hasLineage ? el("p", {}, "Start typing above, e.g. a table name.") : el("div", { class: "empty", id: "empty" },
      el("strong", {}, "No lineage yet. "), "Send OpenLineage events to ", el("code", {}, "POST /api/v1/lineage"),
      " (point your Airflow, Spark or dbt integration at this server), load files with ",
      el("code", {}, "lineage ingest events.json"), ", or try the demo with ", el("code", {}, "lineage demo"), "."));
  } catch (err) { showError(status, err); }
}

async function showRoute(route) {
  state.route = route;
  $("home").hidden = true;
  $("view").hidden = false;
  $("title").textContent = route.id;
  $("direction").value = route.dir;
  $("depth").value = route.depth;
  for (const tab of document.querySelectorAll(".tabs a")) {
    tab.href = hashFor({ ...route, view: tab.dataset.view });
    tab.toggleAttribute("aria-current", tab.dataset.view === route.view);
    if (tab.dataset.view === route.view) tab.setAttribute("aria-current", "page");
  }
  $("tab-impact").hidden = route.type && route.type !== "Dataset";
  $("tab-model").hidden = route.type !== "Model";
  const graphView = route.view === "graph";
  $("canvas").hidden = !graphView;
  $("graph-controls").hidden = !graphView;
  $("impact").hidden = route.view !== "impact";
  $("model").hidden = route.view !== "model";
  $("details").hidden = false;
  $("notice").replaceChildren();
  if (route.view === "impact") { selectNode({ id: route.id, label: route.type || "Dataset" }); return showImpact(route); }
  if (route.view === "model") { selectNode({ id: route.id, label: "Model" }); return showModel(route); }
  try {
    const { lineageGraph: graph } = await gql(queries.graph, { id: route.id, depth: route.depth, dir: route.dir, type: route.type });
    state.graph = graph;
    const center = graph.nodes.find((n) => n.id === graph.center);
    if (graph.truncated) $("notice").append(el("span", { id: "truncated" },
      `Showing the nearest ${graph.nodeCount} nodes: the node cap was reached. Lower the depth or centre on a node further out.`));
    drawGraph(graph);
    if (center) {
      if (!route.type) state.route.type = center.label;
      $("tab-impact").hidden = center.label !== "Dataset";
      $("tab-model").hidden = center.label !== "Model";
      selectNode(center);
    }
  } catch (err) {
    $("graph").replaceChildren();
    showError($("details"), err);
    $("notice").append(err.message);
  }
}

function route() {
  const r = parseHash();
  if (r) showRoute(r); else showHome();
}

function init() {
  $("search").addEventListener("input", onSearchInput);
  $("search").addEventListener("keydown", onSearchKey);
  $("search").addEventListener("blur", () => setTimeout(() => { $("results").hidden = true; }, 150));
  $("search-form").addEventListener("submit", (e) => e.preventDefault());
  $("direction").addEventListener("change", (e) => go({ dir: e.target.value }));
  $("depth").addEventListener("change", (e) => go({ depth: Math.min(10, Math.max(1, parseInt(e.target.value, 10) || 3)) }));
  $("shortcuts").addEventListener("change", () => state.graph && drawGraph(state.graph));
  $("fit").addEventListener("click", fit);
  $("legend").append(...Object.entries(COLORS).map(([k, c]) => el("span", { style: `--c:${c}` }, k)),
    el("span", { style: "--c:#fff" }, "bronze / silver / gold: border colour"));
  enablePanZoom();
  window.addEventListener("hashchange", route);
  window.addEventListener("resize", () => fit());
  route();
}

init();

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
