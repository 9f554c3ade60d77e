// Every view is a link: #/node/<id>?type=&dir=&depth=&view=&at= (at: the graph as of that UTC time;
// the root-cause view adds good= and bad=)

export function parseHash(hash = location.hash) {
  const m = hash.match(/^#\/node\/([^?]*)(?:\?(.*))?$/);
  if (!m) return null;
  const q = new URLSearchParams(m[2] || "");
  return {
    id: decodeURIComponent(m[1]), type: q.get("type") || null, dir: q.get("dir") || "both",
    depth: Math.min(10, Math.max(1, parseInt(q.get("depth") || "3", 10) || 3)), view: q.get("view") || "graph",
    at: q.get("at") || null,
    good: q.get("good") || null, bad: q.get("bad") || null,
  };
}

export function hashFor(r) {
  const q = new URLSearchParams({ dir: r.dir || "both", depth: String(r.depth || 3), view: r.view || "graph" });
  if (r.type) q.set("type", r.type);
  if (r.at) q.set("at", r.at);
  if (r.view === "rootcause") for (const k of ["good", "bad"]) if (r[k]) q.set(k, r[k]);
  return `#/node/${encodeURIComponent(r.id)}?${q}`;
}

// The link a row elsewhere (search, home page, tables) uses to open a node.
export function nodeLink(id, label, view) {
  return hashFor({ id, type: label, view: view || (label === "Model" ? "model" : "graph") });
}
