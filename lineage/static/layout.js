// Layered left-to-right layout for lineage graphs.
//
// Edges are first turned into data-flow direction (input -> pipeline -> output),
// cycles are broken by dropping DFS back edges, nodes get a layer from the
// longest path from a source, then a few barycenter sweeps order each layer to
// cut crossings. Plain data in, coordinates out: no DOM here.

// Which way data flows along each edge label: "forward" means source -> target.
const FLOW = {
  PRODUCES: "forward",
  DERIVED_FROM: "reverse",   // derived -> source: data flows source -> derived
  GENERATED_BY: "reverse",   // dataset -> pipeline: data flows pipeline -> dataset
  CONSUMES: "reverse",       // pipeline -> input: data flows input -> pipeline
  TRAINED_ON: "reverse",     // model -> dataset: data flows dataset -> model
};

export function flowEdges(edges) {
  return edges.map((e) => (FLOW[e.label] === "forward"
    ? { ...e, from: e.source, to: e.target }
    : { ...e, from: e.target, to: e.source }));
}

function breakCycles(ids, flow) {
  const out = new Map(ids.map((id) => [id, []]));
  flow.forEach((e, i) => out.get(e.from)?.push([e.to, i]));
  const state = new Map();   // 1 visiting, 2 done
  const back = new Set();
  for (const root of ids) {
    if (state.get(root)) continue;
    const stack = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = out.get(top[0])[top[1]++];
      if (!next) { state.set(top[0], 2); stack.pop(); continue; }
      const [to, i] = next;
      if (state.get(to) === 1) back.add(i);
      else if (!state.get(to)) { state.set(to, 1); stack.push([to, 0]); }
    }
  }
  return flow.filter((_, i) => !back.has(i));
}

export function layout(nodes, edges, opts = {}) {
  const colWidth = opts.colWidth ?? 230;
  const rowHeight = opts.rowHeight ?? 64;
  const ids = nodes.map((n) => n.id);
  const known = new Set(ids);
  const flow = breakCycles(ids, flowEdges(edges).filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to));
  const preds = new Map(ids.map((id) => [id, []]));
  const succs = new Map(ids.map((id) => [id, []]));
  for (const e of flow) { preds.get(e.to).push(e.from); succs.get(e.from).push(e.to); }

  // longest path layering (Kahn order)
  const layer = new Map(ids.map((id) => [id, 0]));
  const indeg = new Map(ids.map((id) => [id, preds.get(id).length]));
  const queue = ids.filter((id) => indeg.get(id) === 0);
  while (queue.length) {
    const id = queue.shift();
    for (const s of succs.get(id)) {
      layer.set(s, Math.max(layer.get(s), layer.get(id) + 1));
      indeg.set(s, indeg.get(s) - 1);
      if (indeg.get(s) === 0) queue.push(s);
    }
  }
  // pull sources right, next to what they feed, so short branches do not all start at column 0
  for (const id of [...ids].sort((a, b) => layer.get(b) - layer.get(a))) {
    const next = succs.get(id).map((s) => layer.get(s));
    if (preds.get(id).length === 0 && next.length) layer.set(id, Math.min(...next) - 1);
  }

  const columns = new Map();
  for (const id of ids) {
    const l = layer.get(id);
    if (!columns.has(l)) columns.set(l, []);
    columns.get(l).push(id);
  }
  const order = [...columns.keys()].sort((a, b) => a - b);
  const pos = new Map();
  const place = () => order.forEach((l) => columns.get(l).forEach((id, i) => pos.set(id, i)));
  order.forEach((l) => columns.get(l).sort());
  place();
  const bary = (id, neighbours) => {
    const ps = neighbours.get(id).map((n) => pos.get(n));
    return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : pos.get(id);
  };
  for (let sweep = 0; sweep < 6; sweep++) {
    const forward = sweep % 2 === 0;
    const seq = forward ? order.slice(1) : order.slice(0, -1).reverse();
    for (const l of seq) {
      const nb = forward ? preds : succs;
      columns.get(l).sort((a, b) => bary(a, nb) - bary(b, nb) || (a < b ? -1 : 1));
      place();
    }
  }
  const minLayer = order.length ? order[0] : 0;
  const tallest = Math.max(1, ...[...columns.values()].map((c) => c.length));
  const coords = new Map();
  for (const l of order) {
    const col = columns.get(l);
    const offset = ((tallest - col.length) * rowHeight) / 2;
    col.forEach((id, i) => coords.set(id, { x: (l - minLayer) * colWidth, y: offset + i * rowHeight }));
  }
  return { coords, flow, width: order.length * colWidth, height: tallest * rowHeight };
}
