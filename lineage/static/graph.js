// The lineage graph: node boxes sized to their text, laid out by ELK, folded to fit the
// canvas at a readable zoom, with pan, zoom and keyboard access.

import { decorate } from "./checks.js";
import { $, el, fill, svg } from "./dom.js";
import { collapse, flowEdges, ranks } from "./collapse.js";
import { columnLayoutEdges, describe as describeColumnEdge, loadColumnEdges, portId } from "./columns.js";
import { available, place } from "./layout.js";
import { middle, nodeText } from "./names.js";
import { state } from "./state.js";

const PAD_X = 12, TITLE_Y = 20, SUB_Y = 38, NODE_H = 48, FIELD_H = 17, MAX_FIELDS = 12;
const MIN_ZOOM = 1, MAX_ZOOM = 1.25;   // at zoom 1 the smallest text is 12 px
const FOLD_STEPS = 14;

let drawSeq = 0;

// ------------------------------------------------------------------ sizes and labels

function measure(texts) {
  const root = $("graph");
  const probe = svg("g", { class: "probe", visibility: "hidden" });
  root.append(probe);
  const nodes = texts.map(([cls, text]) => svg("text", { class: cls }, text));
  probe.append(...nodes);                      // one layout for all of them, not one per text
  const widths = nodes.map((t) => t.getComputedTextLength());
  probe.remove();
  return widths;
}

function fieldsOf(n) {
  try { return JSON.parse(n.properties?.schema_fields || "[]"); } catch { return []; }
}

function fieldLines(n) {
  const fields = fieldsOf(n);
  const lines = fields.slice(0, MAX_FIELDS).map((f) => `${middle(f.name, 28)}${f.type ? "  " + f.type : ""}`);
  if (fields.length > MAX_FIELDS) lines.push(`+${fields.length - MAX_FIELDS} more columns`);
  return lines;
}

function content(n) {
  if (n.more) return { title: `+${n.count} more${n.title ? " " + n.title : ""}`, sub: n.kinds, toggle: "", lines: [] };
  const { title, sub } = nodeText(n);
  const count = n.label === "Dataset" ? fieldsOf(n).length : 0;
  const open = state.fields.has(n.id);
  return { title, sub, toggle: count ? `${open ? "▾" : "▸"} ${count} col${count === 1 ? "" : "s"}` : "",
           lines: open ? fieldLines(n) : [] };
}

function edgeText(e, all) {
  if (e.folded) return null;
  if (e.label === "TRAINED_ON") return `trained on ${e.version ? middle(e.version, 22) : "(not pinned)"}`;
  if (e.from === e.to) return "updated in place";
  if (all) return e.version ? `${e.label} · ${middle(e.version, 16)}` : e.label;
  if (e.label === "DERIVED_FROM") return "derived (no pipeline recorded)";
  return null;
}

// DERIVED_FROM repeats what dataset -> pipeline -> dataset already shows; keep it only where no pipeline does
export function visibleEdges(graph, shortcuts) {
  if (shortcuts) return graph.edges;
  const viaPipeline = new Set();
  const writers = new Map();
  for (const e of graph.edges) if (e.label === "GENERATED_BY" || e.label === "PRODUCES") {
    const [artifact, pipeline] = e.label === "PRODUCES" ? [e.target, e.source] : [e.source, e.target];
    if (!writers.has(artifact)) writers.set(artifact, new Set());
    writers.get(artifact).add(pipeline);
  }
  for (const e of graph.edges) if (e.label === "CONSUMES") viaPipeline.add(`${e.source}|${e.target}`);
  return graph.edges.filter((e) => e.label !== "DERIVED_FROM" || e.source === e.target
    || ![...(writers.get(e.source) || [])].some((p) => viaPipeline.has(`${p}|${e.target}`)));
}

// ------------------------------------------------------------------ arranging

async function arrange(graph, canvas, fold) {
  const known = new Set(graph.nodes.map((n) => n.id));
  const flow = flowEdges(visibleEdges(graph, $("shortcuts").checked), known);
  const rank = ranks(graph.nodes.map((n) => n.id), flow, graph.center);
  const values = [...rank.values()];
  const maxUp = -Math.min(0, ...values), maxDown = Math.max(0, ...values);
  let limits = state.limits && !fold ? state.limits
    : { up: maxUp, down: maxDown, perColumn: Math.max(3, Math.floor((canvas.height + 16) / (NODE_H + 16))) };
  const allLabels = $("edge-labels").checked;
  let result;
  for (let step = 0; step < FOLD_STEPS; step++) {
    const folded = collapse(graph.nodes, flow, rank, graph.center, limits, state.expanded);
    result = { folded, placed: await lay(folded, allLabels), limits };
    if (!fold) break;
    const wide = result.placed.width > canvas.width, tall = result.placed.height > canvas.height;
    if (!wide && !tall) break;
    const next = { ...limits };
    if (wide && step === 0) {
      Object.assign(next, narrowed(folded, result.placed, rank, limits, { maxUp, maxDown }, canvas.width));
    } else if (wide && (next.up > 0 || next.down > 0)) {
      const side = next.up >= next.down ? "up" : "down";
      const most = side === "up" ? maxUp : maxDown;
      next[side] = Math.max(0, next[side] === most ? most - 2 : next[side] - 1);
    } else if (tall && next.perColumn > 2) {
      next.perColumn = Math.max(2, Math.min(next.perColumn - 1,
        Math.floor(next.perColumn * canvas.height / result.placed.height)));
    } else break;
    limits = next;
  }
  state.limits = result.limits;
  return result;
}

// From a first layout, the farthest ranks to keep on each side so the columns fit the
// width (each folded side becomes one "+N more" column); the next layout checks it.
function narrowed(folded, placed, rank, limits, most, width) {
  const columns = new Map();
  for (const n of folded.nodes) {
    const r = n.more ? n.rank : rank.get(n.id), b = placed.boxes.get(n.id);
    columns.set(r, Math.max(columns.get(r) || 0, b.width));
  }
  const used = [...columns.values()].reduce((a, b) => a + b, 0);
  const gap = (placed.width - used) / Math.max(1, columns.size - 1);
  const MORE = 190;
  let { up, down } = limits;
  const estimate = () => {
    let w = 0, count = 0;
    for (const [r, cw] of columns) if (r >= -up && r <= down) { w += cw; count++; }
    if (up < most.maxUp) { w += MORE; count++; }
    if (down < most.maxDown) { w += MORE; count++; }
    return w + gap * Math.max(0, count - 1);
  };
  while (estimate() > width && (up > 0 || down > 0)) { if (up >= down && up > 0) up--; else down--; }
  return { up, down };
}

async function lay(folded, allLabels) {
  const items = folded.nodes.map((n) => ({ n, c: content(n) }));
  const texts = items.flatMap(({ c }) => [["title", c.title], ["sub", c.sub + (c.toggle ? "  " + c.toggle : "")],
                                          ...c.lines.map((l) => ["field", l])]);
  const edgeLabels = folded.edges.map((e) => edgeText(e, allLabels));
  const widths = measure([...texts, ...edgeLabels.filter(Boolean).map((t) => ["edge-text", t])]);
  let i = 0;
  const nodes = items.map(({ n, c }) => {
    const w = Math.max(widths[i++], widths[i++], ...c.lines.map(() => widths[i++]));
    return { id: n.id, width: Math.ceil(w + 2 * PAD_X), height: NODE_H + (c.lines.length ? 6 + c.lines.length * FIELD_H : 0) };
  });
  const edges = folded.edges.map((e, k) => {
    const text = edgeLabels[k];
    return { id: `e${k}`, from: e.from, to: e.to, label: text ? { text, width: Math.ceil(widths[i++] + 8), height: 18 } : null };
  });
  const columns = columnEdges(items, nodes, allLabels);
  return { ...(await place(nodes, [...edges, ...columns])), items, edges, columns };
}

// Field-to-field edges between drawn nodes, with ports on the open datasets' column rows.
function columnEdges(items, nodes, indirect) {
  const rows = new Map(), drawn = new Set(), byId = new Map(nodes.map((n) => [n.id, n]));
  for (const { n, c } of items) {
    if (n.more) continue;
    drawn.add(n.id);
    if (!c.lines.length) continue;
    const names = new Map(fieldsOf(n).slice(0, MAX_FIELDS).map((f, k) => [f.name, k]));
    rows.set(n.id, names);
  }
  const wanted = columnLayoutEdges(drawn, rows, indirect);
  const texts = wanted.map((w) => w.text).filter(Boolean);
  const widths = texts.length ? measure(texts.map((t) => ["edge-text", t])) : [];
  let t = 0;
  for (const w of wanted) for (const [end, side] of [[w.from, "E"], [w.to, "W"]]) {
    const node = byId.get(end === w.from ? w.fromNode : w.toNode);
    if (end === node.id) continue;
    node.ports ??= [];
    if (node.ports.some((p) => p.id === end)) continue;
    const field = end.split("\u0000")[1], row = rows.get(node.id).get(field);
    node.ports.push({ id: portId(node.id, field, side), side: side === "E" ? "EAST" : "WEST",
                      x: side === "E" ? node.width : -1, y: NODE_H + 10 + row * FIELD_H });
  }
  return wanted.map((w, k) => ({ id: `c${k}`, from: w.from, to: w.to, column: w,
    label: w.text ? { text: w.text, width: Math.ceil(widths[t++] + 8), height: 18 } : null }));
}

// ------------------------------------------------------------------ drawing

export async function drawGraph(graph, { fold = true } = {}) {
  const seq = ++drawSeq;
  const root = $("graph");
  await loadColumnEdges();
  if (seq !== drawSeq) return;
  if (!available()) {
    root.replaceChildren();
    showCanvasMessage(el("div", { class: "empty error", role: "alert" },
      el("strong", {}, "The layout library is not installed on this server. "),
      "Run ", el("code", {}, "npm ci"), " in the lineage checkout (it installs the pinned browser libraries), then reload."));
    return;
  }
  hideCanvasMessage();
  const box = root.getBoundingClientRect();
  const { folded, placed } = await arrange(graph, { width: box.width, height: box.height }, fold);
  if (seq !== drawSeq) return;
  root.replaceChildren();
  const world = svg("g", { class: "world" });
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "8",
                                 markerHeight: "8", orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#6e7781" }));
  defs.append(marker);
  world.append(defs);
  const edgeLayer = svg("g", { class: "edges" }), labelLayer = svg("g", { class: "edge-labels" });
  placed.edges.forEach((e, k) => {
    const src = folded.edges[k], route = placed.routes.get(e.id);
    if (!route || !route.points.length) return;
    const g = svg("g", { class: `edge ${src.label}${src.folded ? " folded" : ""}`, "data-label": src.label,
                         "data-source": src.source, "data-target": src.target,
                         "data-from": src.from, "data-to": src.to });
    g.append(svg("path", { d: "M" + route.points.map((p) => `${p.x},${p.y}`).join(" L"), "marker-end": "url(#arrow)" }));
    edgeLayer.append(g);
    if (route.label && e.label) {
      const l = route.label;
      const tag = svg("g", { class: "edge-label", transform: `translate(${l.x},${l.y})` });
      tag.append(svg("rect", { width: l.width, height: l.height, rx: 3 }),
                 svg("text", { class: "edge-text", x: 4, y: 13 }, e.label.text));
      labelLayer.append(tag);
    }
  });
  placed.columns.forEach((e) => {
    const route = placed.routes.get(e.id), w = e.column;
    if (!route || !route.points.length) return;
    const g = svg("g", { class: `edge FIELD_DERIVED_FROM${w.edge.masking ? " masking" : ""}`, "data-label": "FIELD_DERIVED_FROM",
                         "data-from": w.fromNode, "data-to": w.toNode, "data-input": w.edge.input.id,
                         "data-output": w.edge.output.id });
    g.append(svg("path", { d: "M" + route.points.map((p) => `${p.x},${p.y}`).join(" L"), "marker-end": "url(#arrow)" }),
             svg("title", {}, describeColumnEdge(w.edge)));
    edgeLayer.append(g);
    if (route.label && e.label) {
      const l = route.label;
      const tag = svg("g", { class: "edge-label column", transform: `translate(${l.x},${l.y})` });
      tag.append(svg("rect", { width: l.width, height: l.height, rx: 3 }),
                 svg("text", { class: "edge-text", x: 4, y: 13 }, e.label.text));
      labelLayer.append(tag);
    }
  });
  world.append(edgeLayer, labelLayer);
  for (const { n, c } of placed.items) world.append(drawNode(n, c, placed.boxes.get(n.id), graph));
  root.append(world);
  state.placed = placed;
  state.folded = folded;
  fit();
  const hidden = folded.hidden;
  $("fold-notice").textContent = (hidden ? `${hidden} of ${graph.nodes.length} nodes folded into “+N more” to fit; click one to open it.` : "")
    + (state.columnError ? ` ${state.columnError}` : "");
  root.dispatchEvent(new CustomEvent("graph-drawn"));
  await decorate(root, measure);
  if (seq === drawSeq) root.dispatchEvent(new CustomEvent("checks-drawn"));
}

function drawNode(n, c, b, graph) {
  const classes = ["node", n.more ? "more" : n.label, n.layer ? `layer-${n.layer}` : "",
                   n.id === graph.center ? "center" : "", n.id === state.selected ? "selected" : ""].filter(Boolean).join(" ");
  const label = n.more ? `${c.title}: ${c.sub}. Enter to show them.`
    : `${n.label} ${n.id}${n.layer ? ", " + n.layer + " layer" : ""}. Enter to centre, Space for details.`;
  const g = svg("g", { class: classes, transform: `translate(${b.x},${b.y})`, tabindex: "0", role: "button",
                       "data-id": n.id, "data-label": n.label, "aria-label": label });
  g.append(svg("rect", { class: "box", width: b.width, height: b.height }),
           svg("text", { class: "title", x: PAD_X, y: TITLE_Y }, c.title),
           svg("text", { class: "sub", x: PAD_X, y: SUB_Y }, c.sub),
           svg("title", {}, n.more ? `${c.title} (${c.sub})` : n.id));
  if (c.toggle) {
    const t = svg("text", { class: "sub fields-toggle", x: b.width - PAD_X, y: SUB_Y, "text-anchor": "end",
                            role: "button", "aria-label": `${c.toggle.slice(2)} of ${n.id}: show or hide` }, c.toggle);
    t.addEventListener("click", (ev) => { ev.stopPropagation(); toggleFields(n.id); });
    g.append(t);
  }
  c.lines.forEach((line, i) => g.append(svg("text", { class: "field", x: PAD_X, y: NODE_H + 14 + i * FIELD_H }, line)));
  if (c.lines.length) g.append(svg("line", { class: "rule", x1: 0, x2: b.width, y1: NODE_H, y2: NODE_H }));
  const open = () => g.dispatchEvent(new CustomEvent("node-open", { bubbles: true, detail: n }));
  const details = () => g.dispatchEvent(new CustomEvent("node-details", { bubbles: true, detail: n }));
  g.addEventListener("click", (ev) => {
    if (ev.detail === 0) return;  // keyboard "click" is handled below
    if (n.more) expand(n.id);
    else if (n.id === graph.center || ev.shiftKey) details();
    else open();
  });
  g.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); n.more ? expand(n.id) : open(); }
    if (ev.key === " " && !n.more) { ev.preventDefault(); details(); }
  });
  return g;
}

function expand(groupId) {
  state.expanded.add(groupId);
  drawGraph(state.graph, { fold: false });
}

function toggleFields(id) {
  if (state.fields.has(id)) state.fields.delete(id); else state.fields.add(id);
  drawGraph(state.graph, { fold: false });
}

// ------------------------------------------------------------------ view

export function applyView() {
  const { x, y, k } = state.view;
  $("graph").querySelector("g.world")?.setAttribute("transform", `translate(${x},${y}) scale(${k})`);
}

// Whole graph in view at a readable zoom; when it is larger than the canvas, zoom 1
// with the centre node in view.
export function fit(recentre = true) {
  const placed = state.placed;
  if (!placed) return;
  const box = $("graph").getBoundingClientRect();
  const whole = Math.min(MAX_ZOOM, box.width / placed.width, box.height / placed.height);
  if (whole >= MIN_ZOOM) {
    state.view = { k: whole, x: (box.width - placed.width * whole) / 2, y: (box.height - placed.height * whole) / 2 };
  } else if (recentre || !state.view) {
    const c = placed.boxes.get(state.graph?.center) || { x: 0, y: 0, width: 0, height: 0 };
    const k = MIN_ZOOM;
    const x = Math.min(0, Math.max(box.width - placed.width, box.width / 2 - (c.x + c.width / 2)));
    const y = Math.min(0, Math.max(box.height - placed.height, box.height / 2 - (c.y + c.height / 2)));
    state.view = { k, x: placed.width <= box.width ? (box.width - placed.width) / 2 : x,
                   y: placed.height <= box.height ? (box.height - placed.height) / 2 : y };
  }
  applyView();
}

export function enablePanZoom() {
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
    const k = Math.min(3, Math.max(0.3, state.view.k * Math.exp(-e.deltaY * 0.0015)));
    state.view.x = mx - ((mx - state.view.x) * k) / state.view.k;
    state.view.y = my - ((my - state.view.y) * k) / state.view.k;
    state.view.k = k;
    applyView();
  }, { passive: false });
}

// ------------------------------------------------------------------ messages in the canvas

export function showCanvasMessage(message) {
  const box = $("canvas-message");
  fill(box, message);
  box.hidden = false;
  $("graph").replaceChildren();
  state.placed = null;
}

export function hideCanvasMessage() {
  $("canvas-message").hidden = true;
  $("canvas-message").replaceChildren();
}
