// The impact and model views.

import { gql, queries } from "./api.js";
import { $, el, fill } from "./dom.js";
import { showError } from "./errors.js";
import { hashFor } from "./route.js";

function csv(rows) {
  const quote = (v) => `"${String(v ?? "").replace(/"/g, '""')}"`;
  return rows.map((r) => r.map(quote).join(",")).join("\n") + "\n";
}

export async function showImpact(route) {
  const box = $("impact");
  fill(box, el("p", {}, "Analysing…"));
  const change = box.dataset.change || "schema";
  try {
    const { impactAnalysis: r } = await gql(queries.impact, { id: route.id, change, asOf: route.at });
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
    fill(box,
      el("p", {}, el("label", {}, "Change type ", select), " ",
        el("span", { class: `severity ${r.severity}`, id: "severity" }, r.severity), " ",
        `${r.totalAffected} affected`, r.truncated ? " (truncated)" : "", " ", download),
      groups.map(([kind, nodes]) => el("section", { "data-kind": kind },
        el("h3", {}, `${kind} (${nodes.length})`),
        nodes.length ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "id"), el("th", {}, "distance"), el("th", {}, "path"))),
          el("tbody", {}, nodes.map((n) => el("tr", {}, el("td", {}, el("a", { href: hashFor({ ...route, id: n.id, type: n.label, view: "graph" }) }, n.id)),
            el("td", {}, n.distance), el("td", {}, n.path.join(" → ")))))) : el("p", {}, "None."))));
  } catch (err) { showError(box, err); }
}

// Resolves to the model's id once shown (so the caller can open its details), or null.
export async function showModel(route) {
  const box = $("model");
  fill(box, el("p", {}, "Loading…"));
  const at = route.id.lastIndexOf("@");
  const [name, version] = at > 0 ? [route.id.slice(0, at), route.id.slice(at + 1)] : [route.id, null];
  try {
    const { modelLineage: m } = await gql(queries.model, { name, version, asOf: route.at });
    fill(box,
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
      el("ul", {}, m.pipelines.map((p) => el("li", {},
        el("a", { href: hashFor({ ...route, id: p.id, type: "Pipeline", view: "graph" }) }, p.id),
        ` (code version ${p.properties.code_version ?? "none"})`))));
    return m.modelId;
  } catch (err) { showError(box, err); return null; }
}
