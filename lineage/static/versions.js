// The Versions tab of a dataset's details: every version, newest first, with the run
// that created it, its rows, the schema change from the version before, and its inputs.

import { gql, queries } from "./api.js";
import { el, fill } from "./dom.js";
import { showError } from "./errors.js";
import { shortTime } from "./names.js";

function change(c) {
  if (!c) return el("td", { class: "muted" }, "—");
  const items = [
    ...c.added.map((f) => el("li", { class: "added" }, `+ ${f.name}`, f.type ? ` ${f.type}` : "")),
    ...c.removed.map((f) => el("li", { class: "removed" }, `− ${f.name}`, f.type ? ` ${f.type}` : "")),
    ...c.retyped.map((f) => el("li", { class: "retyped" }, `~ ${f.name} ${f.before ?? "?"} → ${f.after ?? "?"}`)),
  ];
  return el("td", {}, items.length ? el("ul", { class: "schema-diff" }, items) : el("span", { class: "muted" }, "no change"));
}

function short(v) { return v.length > 16 ? `${v.slice(0, 14)}…` : v; }

export async function showVersions(box, id, at) {
  fill(box, el("p", {}, "Loading versions…"));
  try {
    const { dataset } = await gql(queries.versions, { id });
    const versions = dataset.versions;
    if (!versions.length) { fill(box, el("p", {}, "No versions recorded: no event named a version, fingerprint or completed write of this dataset.")); return; }
    const current = at ? versions.find((v) => (v.createdAt || "") <= at) : versions[0];
    fill(box, el("p", { class: "muted" }, `${versions.length} version${versions.length === 1 ? "" : "s"}, newest first`,
      at ? "; the one current at the time shown is marked" : ""),
    el("div", { class: "versions-scroll" }, el("table", { class: "versions", id: "versions-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "created (UTC)"), el("th", {}, "version · run"),
        el("th", {}, "rows"), el("th", {}, "schema change"), el("th", {}, "inputs"))),
      el("tbody", {}, versions.map((v) => el("tr", {
        class: [v === current ? "current" : "", at && (v.createdAt || "") > at ? "later" : ""].join(" ").trim(),
        "data-version": v.version },
      el("td", {}, shortTime(v.createdAt)),
      el("td", { title: `${v.version} (${v.source})${v.run ? `, run ${v.run.id}` : ""}` }, short(v.version),
        el("div", { class: "muted small" }, v.run ? `run ${short(v.run.id)}` : "no run")),
      el("td", {}, v.rowCount ?? "—"),
      change(v.schemaChange),
      el("td", {}, v.inputs.map((i) => el("div", { title: i.resolved }, `${i.datasetId}@${i.version ? short(i.version) : "?"}`)))))))));
  } catch (err) { showError(box, err); }
}

// Tabs over the panel's body: Details (the parts given) and Versions (loaded when opened).
export function withVersionsTab(parts, id, at) {
  const details = el("div", { id: "details-body" }, parts);
  const versions = el("div", { id: "versions-body", hidden: true });
  const tabs = el("nav", { class: "tabs panel-tabs", role: "tablist" });
  const pick = (which) => {
    details.hidden = which !== "details";
    versions.hidden = which !== "versions";
    for (const t of tabs.children) t.setAttribute("aria-selected", String(t.dataset.tab === which));
    if (which === "versions" && !versions.dataset.loaded) { versions.dataset.loaded = "1"; showVersions(versions, id, at); }
  };
  tabs.append(
    el("button", { type: "button", role: "tab", id: "tab-details", "data-tab": "details", "aria-selected": "true", onclick: () => pick("details") }, "Details"),
    el("button", { type: "button", role: "tab", id: "tab-versions", "data-tab": "versions", "aria-selected": "false", onclick: () => pick("versions") }, "Versions"));
  return [tabs, details, versions];
}
