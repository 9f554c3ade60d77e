// The Root cause tab: pick a good and a bad run of a pipeline (or a wrong version of a
// dataset), and show where they parted: the step found, why (a code change with both
// versions and the source diff, other parameters, input data, non-determinism) and the
// steps walked upstream to get there. The choice lives in the URL (good=, bad=).

import { gql, queries } from "./api.js";
import { $, el, fill } from "./dom.js";
import { showError } from "./errors.js";
import { shortId, shortTime } from "./names.js";
import { panelLink } from "./family.js";
import { hashFor } from "./route.js";

const VERDICTS = {
  code_change: "Code change", parameter_change: "Parameter change", nondeterministic: "Non-deterministic",
  input_changed: "Input data changed", new_step: "New step", no_difference: "No difference",
};
const MAX_WRITERS = 20;

const short = (v, n = 12) => (v && v.length > n + 1 ? v.slice(0, n) + "…" : v || "—");
const outputKey = (o) => o.fingerprint || o.version || null;

// A run id that opens the run's details beside the view.
export function runLink(id) {
  if (!id) return el("span", { class: "muted" }, "—");
  return panelLink(id, "Run", shortId(id));
}

function nodeHref(route, id, type) {
  return hashFor({ ...route, id, type, view: "graph", good: null, bad: null });
}

export async function showRootCause(route) {
  const box = $("rootcause");
  fill(box, el("p", {}, "Loading…"));
  try {
    const picker = route.type === "Pipeline" ? await runPicker(route) : await versionPicker(route);
    fill(box, picker.form);
    if (!picker.ready) return;
    const answer = el("div", { id: "rootcause-answer", "aria-live": "polite" }, el("p", {}, "Walking the two runs…"));
    box.append(answer);
    try {
      const { rootCause } = await gql(queries.rootCause, picker.variables);
      fill(answer, renderAnswer(route, rootCause));
    } catch (err) { showError(answer, err); }
  } catch (err) { showError(box, err); }
}

// ------------------------------------------------------------------ choosing what to compare

function choose(route, good, bad) {
  location.hash = hashFor({ ...route, view: "rootcause", good, bad });
}

function radio(name, value, checked) {
  return el("input", { type: "radio", name, value, checked, "aria-label": `${name}: ${value}` });
}

function pickerForm(route, title, help, table, onsubmit) {
  const message = el("p", { class: "form-message", role: "alert" });
  const form = el("form", { id: "rootcause-form", class: "picker", onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const error = onsubmit(data.get("good") || null, data.get("bad") || null);
    message.textContent = error || "";
  } }, el("h2", {}, title), el("p", { class: "muted" }, help), el("div", { class: "picker-rows" }, table),
  el("p", {}, el("button", { type: "submit", id: "find-cause" }, "Find the root cause"), " ", message));
  return form;
}

// A pipeline: its recent runs; by default the newest is the bad one and the good one is the
// newest earlier run that wrote something else.
async function runPicker(route) {
  const { node } = await gql(queries.runs, { id: route.id, limit: 25 });
  const runs = node.runs;
  if (runs.length < 2) {
    return { ready: false, form: el("div", { class: "empty", id: "rootcause-empty" }, el("strong", {}, "Nothing to compare. "),
      `${node.id} has ${runs.length === 1 ? "one recorded run" : "no recorded runs"}; root cause compares a good and a bad run of the same pipeline.`) };
  }
  const bad = route.bad || runs[0].runId;
  const badRun = runs.find((r) => r.runId === bad);
  const written = (r) => JSON.stringify(r.outputs.map(outputKey));
  const good = route.good || (badRun && (runs.find((r) => r.startedAt < badRun.startedAt && written(r) !== written(badRun))
    || runs.find((r) => r.startedAt < badRun.startedAt)))?.runId || runs.find((r) => r.runId !== bad).runId;
  const table = el("table", { class: "runs pick" },
    el("thead", {}, el("tr", {}, ["good", "bad", "run", "state", "started (UTC)", "code", "wrote"].map((h) => el("th", {}, h)))),
    el("tbody", {}, runs.map((r) => el("tr", { "data-run": r.runId, class: r.runId === bad ? "is-bad" : r.runId === good ? "is-good" : "" },
      el("td", {}, radio("good", r.runId, r.runId === good)), el("td", {}, radio("bad", r.runId, r.runId === bad)),
      el("td", {}, runLink(r.runId)), el("td", { class: `state-${r.state}` }, r.state || "—"),
      el("td", {}, shortTime(r.startedAt)),
      el("td", { title: r.codeVersion || "", class: r.codeChanged ? "code-changed" : "" }, short(r.codeVersion), r.codeChanged ? " (changed)" : ""),
      el("td", {}, r.outputs.length ? r.outputs.map((o) => el("div", { title: outputKey(o) || "" },
        o.datasetId, o.rows != null ? ` · ${o.rows} rows` : "", outputKey(o) ? ` · ${short(outputKey(o), 14)}` : "")) : "—")))));
  const form = pickerForm(route, `Compare two runs of ${node.id}`,
    "Choose a run whose output was right (good) and one whose output was wrong (bad). The steps of both are paired in the order they ran; the first step whose outputs differ while its inputs matched is the cause, and when its inputs already differed the walk goes upstream.",
    table, (g, b) => {
      if (!g || !b) return "Choose a good and a bad run.";
      if (g === b) return "Choose two different runs.";
      choose(route, g, b);
      return null;
    });
  const ready = Boolean(route.good || route.bad) && good !== bad;
  return { form, ready, variables: { good, bad } };
}

// A dataset: the versions its writers' runs recorded; the bad one is wrong, the good one
// is optional (by default the previous run of the bad version's pipeline).
async function versionPicker(route) {
  const { lineageGraph: g } = await gql(queries.writers, { id: route.id });
  const writers = g.edges.filter((e) => e.label === "GENERATED_BY" && e.source === g.center).map((e) => e.target).slice(0, MAX_WRITERS);
  const versions = new Map();
  if (writers.length) {
    const data = await gql(queries.runsOf(writers.length), Object.fromEntries(writers.map((id, i) => [`p${i}`, id])));
    for (const [, p] of Object.entries(data)) for (const r of p.runs) for (const o of r.outputs) {
      const key = o.datasetId === g.center && outputKey(o);
      if (!key) continue;
      const v = versions.get(key) || { key, rows: o.rows, runs: [] };
      v.runs.push({ ...r, pipelineId: p.id });
      versions.set(key, v);
    }
  }
  const list = [...versions.values()].map((v) => ({ ...v, time: v.runs.map((r) => r.startedAt || "").sort().pop() }))
    .sort((a, b) => (b.time > a.time) - (b.time < a.time));
  if (!list.length) {
    return { ready: false, form: el("div", { class: "empty", id: "rootcause-empty" }, el("strong", {}, "No recorded versions. "),
      `No run recorded a fingerprint or version for what it wrote to ${g.center}. Capture the pipeline that writes it (lineage.capture) so each run records its outputs' fingerprints.`) };
  }
  const bad = route.bad || list[0].key;
  const good = route.good || "";
  const table = el("table", { class: "runs pick" },
    el("thead", {}, el("tr", {}, ["good", "bad", "version (fingerprint)", "rows", "written (UTC)", "by"].map((h) => el("th", {}, h)))),
    el("tbody", {},
      el("tr", { class: "auto" }, el("td", {}, radio("good", "", !good)), el("td", {}),
        el("td", { colspan: 4, class: "muted" }, "the version its pipeline wrote the run before")),
      list.map((v) => el("tr", { "data-version": v.key, class: v.key === bad ? "is-bad" : v.key === good ? "is-good" : "" },
        el("td", {}, radio("good", v.key, v.key === good)), el("td", {}, radio("bad", v.key, v.key === bad)),
        el("td", { title: v.key, class: "mono" }, short(v.key, 24)), el("td", {}, v.rows ?? "—"), el("td", {}, shortTime(v.time)),
        el("td", {}, [...new Set(v.runs.map((r) => r.pipelineId))].map((p) => el("div", {}, el("a", { href: nodeHref(route, p, "Pipeline") }, p))))))));
  const form = pickerForm(route, `Find why a version of ${g.center} is wrong`,
    "Choose the version that is wrong (bad) and, if you know one, a version that was right (good). The runs that wrote them are compared step by step, walking upstream until the step where they parted.",
    table, (gv, bv) => {
      if (!bv) return "Choose the wrong version.";
      if (gv === bv) return "Choose two different versions.";
      choose(route, gv, bv);
      return null;
    });
  return { form, ready: Boolean(route.bad), variables: { ds: g.center, badVersion: bad, goodVersion: good || null } };
}

// ------------------------------------------------------------------ the answer

function renderAnswer(route, r) {
  const cause = r.path.length ? r.path[r.path.length - 1] : null;
  const found = r.verdict !== "no_difference";
  const parts = [
    el("h2", {}, el("span", { class: `verdict-tag ${r.verdict}`, id: "rootcause-verdict" }, VERDICTS[r.verdict] || r.verdict),
      " ", el("span", { id: "rootcause-explanation" }, r.explanation)),
    el("dl", { class: "props cause-facts", id: "rootcause-step" },
      el("dt", {}, found ? "step found" : "last step"),
      el("dd", {}, r.pipelineId ? el("a", { href: nodeHref(route, r.pipelineId, "Pipeline") }, r.pipelineId) : "—"),
      r.functionId && r.functionId !== r.pipelineId ? [el("dt", {}, "function"), el("dd", { class: "mono" }, r.functionId)] : null,
      el("dt", {}, "runs of the step"), el("dd", {}, runLink(r.goodRunId), " good · ", runLink(r.badRunId), " bad"),
      r.oldVersion || r.newVersion ? [
        el("dt", {}, "code, good run"), el("dd", { class: "versions" }, el("code", { id: "old-version" }, r.oldVersion || "none recorded")),
        el("dt", {}, "code, bad run"), el("dd", { class: "versions" }, el("code", { id: "new-version" }, r.newVersion || "none recorded"),
          r.oldVersion === r.newVersion ? el("span", { class: "muted" }, " (the same)") : null)] : null),
  ];
  if (r.verdict === "code_change") {
    parts.push(el("h3", {}, "Source diff"), r.sourceDiff ? diffView(r.sourceDiff)
      : el("p", { class: "muted", id: "no-diff" }, "The function store holds no source for one of these versions: point the server's ",
        el("code", {}, "LINEAGE_REPLAY_DIR"), " at the folder capture kept (",
        el("code", {}, "LineageTracker(replay_dir=…)"), ") to see the diff."));
  }
  const params = Object.entries(r.parameterChanges || {});
  if (params.length) {
    parts.push(el("h3", {}, "Parameters that differ"), el("table", { id: "parameter-changes" },
      el("thead", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "good run"), el("th", {}, "bad run"))),
      el("tbody", {}, params.map(([k, v]) => el("tr", {}, el("td", { class: "mono" }, k),
        el("td", { class: "mono" }, JSON.stringify(v.good)), el("td", { class: "mono" }, JSON.stringify(v.bad)))))));
  }
  if (r.verdict === "nondeterministic") {
    parts.push(el("p", { class: "note" }, "Same code version, same parameters and the same input fingerprints, yet different outputs: the step depends on something it was not given (time, randomness, row order, an outside service). Replay it to see the difference."));
  }
  if ((r.changedInputs || []).length) {
    parts.push(el("h3", {}, "Input data that entered differently"), el("table", { id: "changed-inputs" },
      el("thead", {}, el("tr", {}, el("th", {}, "dataset"), el("th", {}, "good run read"), el("th", {}, "bad run read"))),
      el("tbody", {}, r.changedInputs.map((c) => el("tr", {},
        el("td", {}, el("a", { href: nodeHref(route, c.datasetId, "Dataset") }, c.datasetId)),
        el("td", { class: "mono", title: c.good || "" }, short(c.good, 24)), el("td", { class: "mono", title: c.bad || "" }, short(c.bad, 24)))))));
  }
  parts.push(el("h3", {}, `Path followed (${r.path.length} step${r.path.length === 1 ? "" : "s"} compared, in the order walked)`),
    pathView(route, r.path, found ? cause : null));
  return parts;
}

function matched(ok, what) {
  return el("span", { class: ok ? "same" : "differ" }, ok ? `${what} same` : `${what} differ`);
}

function pathView(route, path, cause) {
  return el("ol", { class: "cause-path", id: "rootcause-path" }, path.map((s) => el("li", {
    class: s === cause ? "cause" : "", "data-pipeline": s.pipelineId || "" },
    el("div", { class: "step-name" }, s.pipelineId ? el("a", { href: nodeHref(route, s.pipelineId, "Pipeline") }, s.pipelineId) : "—",
      s === cause ? el("span", { class: "cause-mark" }, "cause") : null),
    el("div", { class: "step-facts" }, matched(s.inputsMatched, "inputs"), " · ", matched(s.outputsMatched, "outputs"),
      " · runs ", runLink(s.goodRunId), " / ", runLink(s.badRunId)))));
}

// A unified diff as people read it: old and new line numbers, removed lines red, added green.
export function diffView(text) {
  const rows = [];
  let oldNo = 0, newNo = 0;
  for (const line of text.replace(/\n$/, "").split("\n")) {
    const hunk = line.match(/^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/);
    if (line.startsWith("--- ") || line.startsWith("+++ ")) {
      rows.push(el("tr", { class: "file" }, el("td", { colspan: 3 }, line.startsWith("---") ? "good  " : "bad   ", line.slice(4))));
    } else if (hunk) {
      oldNo = Number(hunk[1]); newNo = Number(hunk[2]);
      rows.push(el("tr", { class: "hunk" }, el("td", { colspan: 3 }, line)));
    } else {
      const sign = line[0], code = line.slice(1);
      const kind = sign === "+" ? "add" : sign === "-" ? "del" : "ctx";
      rows.push(el("tr", { class: kind },
        el("td", { class: "ln" }, kind === "add" ? "" : String(oldNo)), el("td", { class: "ln" }, kind === "del" ? "" : String(newNo)),
        el("td", { class: "code" }, el("span", { class: "sign", "aria-hidden": "true" }, kind === "ctx" ? " " : sign), code)));
      if (kind !== "add") oldNo++;
      if (kind !== "del") newNo++;
    }
  }
  return el("div", { class: "diff-scroll" }, el("table", { class: "diff", id: "source-diff" }, el("tbody", {}, rows)));
}
