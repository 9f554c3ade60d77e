// Names as people read them: the table name stays whole, the middle gives way.

// Shorten `text` to at most `max` characters by cutting from the middle. The name at the
// end (the last "." or "/" segment, with a short suffix such as ".test" kept on) stays
// whole when it fits; otherwise it keeps its start and its end, which tell names apart.
export function middle(text, max = 32) {
  text = String(text ?? "");
  if (text.length <= max) return text;
  const bare = (x) => x.replace(/^[./]/, "");
  const suffix = (x) => bare(x).length <= 5 || /^\.(parquet|json|csv|avro|orc|delta|jsonl)$/.test(x);
  const parts = text.split(/(?=[./])/);                        // segments, each with its leading separator
  let last = parts.pop(), tail = last;                         // tail keeps its leading separator
  while (parts.length && suffix(last)) { last = parts.pop(); tail = last + tail; }
  if (bare(tail).length + 2 > max || bare(tail) === text) {
    const name = bare(tail);
    const head = Math.ceil((max - 1) * 0.6);                 // names differ most in their start
    return name.length > max ? cut(name, head, max) : "…" + name;
  }
  // whole segments before the name while they fit, then as much of the start as is worth showing
  while (parts.length && bare(parts[parts.length - 1] + tail).length + 1 <= max - 1) tail = parts.pop() + tail;
  const name = bare(tail);
  const room = max - 1 - name.length;
  return room >= 8 ? text.slice(0, room) + "…" + name : "…" + name;
}

function cut(text, head, max) {
  return text.slice(0, head) + "…" + text.slice(text.length - (max - 1 - head));
}

// The title and second line of a node: long namespaced ids show their OpenLineage
// name, with the namespace on the second line.
export function nodeText(n) {
  const p = n.properties || {};
  const named = p.name && p.namespace && n.id.endsWith("/" + p.name) && n.id.length > 24;
  const title = named ? p.name : n.id;
  const where = named ? p.namespace : n.layer;
  const version = n.version ? `v ${middle(String(n.version), 12)}` : "";
  const kind = n.label === "Dataset" ? "" : n.label.toLowerCase();   // datasets are the default; colour says the rest
  return { title: middle(title, 34), sub: [kind, where ? middle(where, 24) : "", version].filter(Boolean).join(" · ") || "dataset" };
}

// An id without a URL namespace ("postgres://host:5432/db.schema.table" -> "db.schema.table"):
// where the namespace is an address, the name is what people recognise.
export function withoutAddress(id) {
  const scheme = id.indexOf("://");
  const slash = scheme >= 0 ? id.indexOf("/", scheme + 3) : -1;
  return slash > 0 ? id.slice(slash + 1) : id;
}

// An ISO time as a table shows it: "2026-03-02T06:00:58.000000Z" -> "2026-03-02 06:00:58" (UTC).
export function shortTime(t) {
  return t ? t.replace("T", " ").replace(/(:\d\d)(\.\d+)?Z$/, "$1") : "—";
}

// A run id short enough for a table that still tells runs apart: time-ordered ids
// (UUIDv7) share their start, so the end is kept too.
export function shortId(id) {
  id = String(id ?? "");
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
