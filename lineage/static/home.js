// The home page: graph totals, latest runs (failed first, with their error), recently
// written datasets and model verdicts; every row links into the graph.

import { gql, queries } from "./api.js";
import { $, el, fill } from "./dom.js";
import { showError } from "./errors.js";
import { middle, shortTime as when, withoutAddress } from "./names.js";
import { nodeLink } from "./route.js";


// A link to a node, its id shortened in the middle, the full id on hover.
const link = (id, label, max = 48) => el("a", { href: nodeLink(id, label), title: id }, middle(withoutAddress(id), max));

function section(id, title, content, empty) {
  return el("section", { class: "card", id }, el("h2", {}, title), content || el("p", { class: "muted" }, empty));
}

function table(head, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), el("tbody", {}, rows));
}

function totals(t) {
  const items = [["Datasets", t.datasets], ["Pipelines", t.pipelines], ["Models", t.models],
                 ["Feature views", t.features], ["Runs", t.runs], ["Failed runs", t.failedRuns]];
  return el("dl", { class: "totals", id: "totals" }, items.map(([k, v]) =>
    el("div", { class: k === "Failed runs" && v ? "bad" : "" }, el("dt", {}, k), el("dd", {}, String(v)))));
}

function runs(list) {
  return table(["state", "pipeline", "ended (UTC)", "error"], list.map((r) => el("tr", { "data-run": r.runId },
    el("td", { class: `state-${r.state}` }, r.state || "—"),
    el("td", {}, link(r.pipelineId, "Pipeline", 60)),
    el("td", {}, when(r.endedAt || r.startedAt)),
    el("td", { class: "error-text" }, r.errorMessage || (["FAIL", "ABORT"].includes(r.state) ? "no error message recorded" : "")))));
}

function datasets(list) {
  return table(["dataset", "version", "written (UTC)", "by"], list.map((d) => el("tr", {},
    el("td", {}, link(d.id, "Dataset", 40), d.layer ? el("span", { class: `layer ${d.layer}` }, d.layer) : null),
    el("td", {}, d.version || "—"), el("td", {}, when(d.changedAt)),
    el("td", {}, link(d.writtenBy, "Pipeline", 26)))));
}

function models(list) {
  return table(["model", "verdict", "why"], list.map((m) => el("tr", {},
    el("td", {}, link(m.id, "Model", 30)),
    el("td", {}, el("span", { class: `verdict ${m.isReproducible ? "yes" : "no"}` }, m.isReproducible ? "Reproducible" : "Not reproducible")),
    el("td", {}, m.missing.length ? m.missing.join("; ") : ""))));
}

export async function showHome() {
  $("home").hidden = false;
  $("view").hidden = true;
  const status = $("home-status");
  try {
    const { activity: a } = await gql(queries.activity);
    const t = a.totals;
    if (!t.datasets && !t.pipelines && !t.models && !t.features) {
      fill(status, el("div", { class: "empty", id: "empty" },
        el("strong", {}, "No lineage yet. "), "Send OpenLineage events to ", el("code", {}, "POST /api/v1/lineage"),
        " (point your Airflow, Spark or dbt integration at this server), load files with ",
        el("code", {}, "lineage ingest events.json"), ", or try the demo with ", el("code", {}, "lineage demo"), "."));
      return;
    }
    fill(status, totals(t),
      section("latest-runs", "Latest runs", a.latestRuns.length ? runs(a.latestRuns) : null, "No runs recorded yet."),
      el("div", { class: "cards" },
      section("changed-datasets", "Recently written datasets", a.changedDatasets.length ? datasets(a.changedDatasets) : null, "No dataset has been written by a pipeline yet."),
      section("model-verdicts", "Models", a.models.length ? models(a.models) : null, "No model versions recorded yet.")));
  } catch (err) { showError(status, err); }
}
