// Placement and edge routing by the Eclipse Layout Kernel's layered algorithm (elkjs,
// loaded as the global ELK from /vendor): left-to-right layers, orthogonal edges routed
// around nodes, edge labels placed between layers, node order kept from the input.

const OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
  "elk.layered.spacing.nodeNodeBetweenLayers": "44",
  "elk.layered.spacing.edgeNodeBetweenLayers": "16",
  "elk.spacing.nodeNode": "16",
  "elk.spacing.edgeNode": "14",
  "elk.spacing.edgeEdge": "8",
  "elk.spacing.edgeLabel": "4",
  "elk.spacing.nodeSelfLoop": "18",
  "elk.spacing.componentComponent": "32",
  "elk.edgeLabels.placement": "CENTER",
  "elk.padding": "[top=16,left=16,bottom=16,right=16]",
};

let engine = null;

export function available() { return typeof globalThis.ELK === "function"; }

// nodes: [{id, width, height, ports?: [{id, x, y, side}]}] (ports at fixed positions, e.g.
// a column row's left and right ends), edges: [{id, from, to, label?: {text, width, height}}]
// where from and to are node or port ids
export async function place(nodes, edges) {
  engine ??= new globalThis.ELK();
  const graph = {
    id: "root", layoutOptions: OPTIONS,
    children: nodes.map((n) => ({
      id: n.id, width: n.width, height: n.height,
      ...(n.ports?.length ? {
        layoutOptions: { "elk.portConstraints": "FIXED_POS" },
        ports: n.ports.map((p) => ({ id: p.id, x: p.x, y: p.y, width: 1, height: 1,
                                     layoutOptions: { "elk.port.side": p.side } })),
      } : {}),
    })),
    edges: edges.map((e) => ({
      id: e.id, sources: [e.from], targets: [e.to],
      labels: e.label ? [{ id: `${e.id}:label`, text: e.label.text, width: e.label.width, height: e.label.height }] : [],
    })),
  };
  const out = await engine.layout(graph);
  const boxes = new Map(out.children.map((c) => [c.id, { x: c.x, y: c.y, width: c.width, height: c.height }]));
  const routes = new Map(out.edges.map((e) => [e.id, {
    points: (e.sections || []).flatMap((s) => [s.startPoint, ...(s.bendPoints || []), s.endPoint]),
    label: e.labels?.[0] ? { x: e.labels[0].x, y: e.labels[0].y, width: e.labels[0].width, height: e.labels[0].height } : null,
  }]));
  return { boxes, routes, width: out.width, height: out.height };
}
