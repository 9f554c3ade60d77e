// What the first view shows when the whole graph cannot be read at once: far layers
// and over-tall columns fold into "+N more" nodes. Plain data in, plain data out.

// Which way data flows along each edge label: "forward" means source -> target.
const FLOW = {
  PRODUCES: "forward",
  DERIVED_FROM: "reverse",   // derived -> source: data flows source -> derived
  GENERATED_BY: "reverse",   // dataset -> pipeline: data flows pipeline -> dataset
  CONSUMES: "reverse",       // pipeline -> input: data flows input -> pipeline
  TRAINED_ON: "reverse",     // model -> dataset: data flows dataset -> model
};

// A dataset derived from itself (an update in place) keeps its loop; no other edge may.
export function flowEdges(edges, known) {
  return edges
    .map((e) => (FLOW[e.label] === "forward" ? { ...e, from: e.source, to: e.target } : { ...e, from: e.target, to: e.source }))
    .filter((e) => known.has(e.from) && known.has(e.to) && (e.from !== e.to || e.label === "DERIVED_FROM"));
}

// Signed flow steps from the centre: upstream negative, downstream positive.
export function ranks(ids, flow, center) {
  const succ = new Map(ids.map((id) => [id, []])), pred = new Map(ids.map((id) => [id, []]));
  for (const e of flow) { succ.get(e.from).push(e.to); pred.get(e.to).push(e.from); }
  const rank = new Map([[center, 0]]);
  for (const [next, step] of [[succ, 1], [pred, -1]]) {
    let frontier = [center];
    while (frontier.length) {
      const following = [];
      for (const id of frontier) for (const n of next.get(id) || []) {
        if (!rank.has(n)) { rank.set(n, rank.get(id) + step); following.push(n); }
      }
      frontier = following;
    }
  }
  // nodes reached neither way (beside the centre's lineage): place them next to a ranked neighbour
  for (let changed = true; changed;) {
    changed = false;
    for (const id of ids) if (!rank.has(id)) {
      const p = pred.get(id).find((x) => rank.has(x)), s = succ.get(id).find((x) => rank.has(x));
      if (p !== undefined) rank.set(id, rank.get(p) + 1);
      else if (s !== undefined) rank.set(id, rank.get(s) - 1);
      if (rank.has(id)) changed = true;
    }
  }
  for (const id of ids) if (!rank.has(id)) rank.set(id, 0);
  return rank;
}

function describeGroup(members) {
  const count = {};
  for (const n of members) count[n.label] = (count[n.label] || 0) + 1;
  return Object.entries(count).sort((a, b) => b[1] - a[1])
    .map(([label, c]) => `${c} ${label.toLowerCase()}${c === 1 ? "" : "s"}`).join(", ");
}

// The graph with hidden nodes folded into group nodes.
// limits: { up, down } farthest ranks shown on each side, perColumn: most nodes in one column.
export function collapse(nodes, flow, rank, center, limits, expanded = new Set()) {
  const rep = new Map();
  const groups = new Map();
  const hide = (n, key, r, title) => {
    if (!groups.has(key)) groups.set(key, { id: key, label: "More", more: true, rank: r, members: [], title });
    groups.get(key).members.push(n);
    rep.set(n.id, key);
  };
  const columns = new Map();
  for (const n of nodes) {
    const r = rank.get(n.id);
    if (r < -limits.up && !expanded.has("more:up")) hide(n, "more:up", -limits.up - 1, "upstream");
    else if (r > limits.down && !expanded.has("more:down")) hide(n, "more:down", limits.down + 1, "downstream");
    else {
      if (!columns.has(r)) columns.set(r, []);
      columns.get(r).push(n);
    }
  }
  const neighbours = new Map(nodes.map((n) => [n.id, new Set()]));
  for (const e of flow) { neighbours.get(e.from).add(e.to); neighbours.get(e.to).add(e.from); }
  const kept = new Set();
  // columns nearest the centre first, so a kept node's neighbours further out are kept too
  for (const r of [...columns.keys()].sort((a, b) => Math.abs(a) - Math.abs(b) || a - b)) {
    const col = columns.get(r);
    const linked = (n) => [...neighbours.get(n.id)].some((x) => kept.has(x) && Math.abs(rank.get(x)) < Math.abs(r));
    col.sort((a, b) => (b.id === center) - (a.id === center) || linked(b) - linked(a) || (a.id < b.id ? -1 : 1));
    const key = `more:${r}`;
    const room = col.length > limits.perColumn && !expanded.has(key) ? Math.max(1, limits.perColumn - 1) : col.length;
    col.forEach((n, i) => {
      if (i < room) { kept.add(n.id); rep.set(n.id, n.id); } else hide(n, key, r, "");
    });
  }
  const shown = nodes.filter((n) => kept.has(n.id));
  for (const g of groups.values()) {
    g.count = g.members.length;
    g.kinds = describeGroup(g.members);
    shown.push(g);
  }
  const seen = new Map();
  for (const e of flow) {
    const a = rep.get(e.from), b = rep.get(e.to);
    if (a === b && (e.from !== e.to || groups.has(a))) continue;   // inside one "+N more", or a folded loop
    const key = `${a}|${b}`;
    if (seen.has(key)) { seen.get(key).merged = true; continue; }
    seen.set(key, { ...e, from: a, to: b, folded: groups.has(a) || groups.has(b) });
  }
  return { nodes: shown, edges: [...seen.values()], groups, hidden: nodes.length - kept.size };
}
