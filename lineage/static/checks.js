// Data-quality checks (dbt tests, assertion jobs) as a dataset's status: a badge on each
// dataset node of the graph and a Checks list in its details. Checks are never drawn as
// lineage; their status rides on the dataset they test.

import { gql, queries } from "./api.js";
import { el, svg } from "./dom.js";
import { middle, shortTime } from "./names.js";
import { state } from "./state.js";

const CHUNK = 100;              // datasets per request (each costs 1 of the request budget of 200)
const known = new Map();        // dataset id -> { status, count, failing: [{name, assertions}], warning: [names] } or null

// A check's name as people read it: dbt's "<db>.<schema>.<project>.<test>.build.test" is "<test>".
export function checkName(c) {
  const name = c.name || c.id;
  const dbt = name.match(/([^.]+)(?:\.build)?\.test$/);
  return dbt ? dbt[1] : middle(name.slice(name.lastIndexOf("/") + 1), 60);
}

function summarise(answer) {
  if (!answer.checks.length) return null;
  const failing = answer.checks.filter((c) => c.latest?.result === "FAIL" || c.latest?.result === "ABORT")
    .map((c) => ({ name: checkName(c), assertions: (c.latest.assertions || []).filter((a) => !a.success) }));
  const warning = answer.checks.filter((c) => c.latest?.result === "WARN").map(checkName);
  return { status: answer.status, count: answer.checks.length, failing, warning };
}

// The statuses of the datasets drawn now, fetched once per dataset and kept for redraws.
export async function loadStatuses(ids) {
  const missing = [...new Set(ids)].filter((id) => !known.has(id));
  const chunks = [];
  for (let i = 0; i < missing.length; i += CHUNK) chunks.push(missing.slice(i, i + CHUNK));
  await Promise.all(chunks.map(async (chunk) => {
    const data = await gql(queries.checkStatus(chunk.length), Object.fromEntries(chunk.map((id, i) => [`d${i}`, id])));
    chunk.forEach((id, i) => known.set(id, summarise(data[`d${i}`])));
  }));
}

export function forgetStatuses() { known.clear(); }

function badgeText(s) {
  if (s.failing.length) return `✗ ${s.failing.length}/${s.count}`;
  if (s.status === "WARN") return `! ${s.warning.length}/${s.count}`;
  return s.status === "PASS" ? `✓ ${s.count}` : `… ${s.count}`;
}

function describe(s) {
  if (s.failing.length) {
    return `checks FAIL: ${s.failing.length} of ${s.count} failing (${s.failing.map((f) => f.name).join(", ")})`;
  }
  if (s.status === "WARN") {
    return `checks WARN: ${s.warning.length} of ${s.count} warning (${s.warning.join(", ")}), none failing`;
  }
  return s.status === "PASS" ? `checks PASS: all ${s.count} passed` : `${s.count} checks, not all have a result yet`;
}

// Badges on the drawn dataset nodes, at the top-right corner of each box (they take no
// room in the layout). Statuses not known yet are fetched, then drawn.
export async function decorate(root, measure) {
  const nodes = [...root.querySelectorAll(".node.Dataset")];
  try { await loadStatuses(nodes.map((g) => g.dataset.id)); } catch { return; }   // the graph stands without them
  const texts = [];
  const todo = nodes.filter((g) => g.isConnected && known.get(g.dataset.id) && !g.querySelector(".check-badge"));
  for (const g of todo) texts.push(["badge-text", badgeText(known.get(g.dataset.id))]);
  const widths = measure(texts);
  todo.forEach((g, i) => {
    const s = known.get(g.dataset.id);
    const status = s.failing.length ? "FAIL" : ["PASS", "WARN"].includes(s.status) ? s.status : "PENDING";
    const box = g.querySelector(".box");
    const w = Math.ceil(widths[i] + 12), x = Number(box.getAttribute("width")) - w - 6;
    const badge = svg("g", { class: `check-badge ${status}`, transform: `translate(${x},-10)`, "data-status": status });
    badge.append(svg("rect", { width: w, height: 19, rx: 9.5 }), svg("text", { class: "badge-text", x: 6, y: 14 }, badgeText(s)),
                 svg("title", {}, describe(s)));
    g.append(badge);
    g.setAttribute("aria-label", g.getAttribute("aria-label").replace(/\. Enter/, `; ${describe(s)}. Enter`));
  });
}

// ------------------------------------------------------------------ the details panel

function resultTag(result) {
  return el("span", { class: `check-result ${result || "PENDING"}` }, result || "running");
}

function history(results) {
  if (results.length < 2) return null;
  return el("span", { class: "check-history", "aria-label": "earlier results, newest first" },
    results.map((r) => el("span", { class: `dot ${r.result || "PENDING"}`, title: `${r.result || r.state} ${shortTime(r.time)}` })));
}

function assertionsList(list) {
  if (!list.length) return null;
  const failing = list.filter((a) => !a.success);
  const shown = failing.length ? failing : list;
  const warns = (a) => !a.success && a.severity?.toLowerCase() === "warn";
  return el("ul", { class: "assertions" }, shown.map((a) => el("li", { class: a.success ? "ok" : warns(a) ? "warn" : "bad" },
    a.success ? "✓ " : warns(a) ? "! " : "✗ ", a.assertion, a.column ? el("span", { class: "muted" }, ` on ${a.column}`) : null,
    warns(a) ? el("span", { class: "muted" }, " (severity warn)") : null)),
    failing.length && failing.length < list.length ? el("li", { class: "muted" }, `${list.length - failing.length} other assertions passed`) : null);
}

// The Checks section of a dataset's details: status, then failing checks first.
export async function checksSection(id) {
  const { checks: answer } = await gql(queries.checks, { id });
  known.set(answer.id, summarise({ ...answer, checks: answer.checks.map((c) => ({ ...c, latest: c.results[0] || null })) }));
  if (!answer.checks.length) return [el("h3", {}, "Checks"), el("p", { class: "muted", id: "checks" }, "No data-quality checks recorded.")];
  const order = { FAIL: 0, ABORT: 1, WARN: 2, null: 3, undefined: 3, PASS: 4 };
  const list = [...answer.checks].sort((a, b) => order[a.results[0]?.result] - order[b.results[0]?.result]
    || checkName(a).localeCompare(checkName(b)));
  const failing = list.filter((c) => ["FAIL", "ABORT"].includes(c.results[0]?.result)).length;
  const warning = list.filter((c) => c.results[0]?.result === "WARN").length;
  const summary = failing ? `${failing} of ${list.length} failing`
    : answer.status === "WARN" ? `${warning} of ${list.length} warning, none failing`
    : answer.status === "PASS" ? `all ${list.length} passed` : "not all have a result yet";
  return [
    el("h3", {}, `Checks (${list.length})`),
    el("p", { id: "checks-status" }, resultTag(answer.status), " ", summary),
    el("ul", { class: "checks", id: "checks" }, list.map((c) => {
      const latest = c.results[0];
      return el("li", { class: `check ${latest?.result || "PENDING"}`, "data-check": c.id },
        el("div", { class: "check-head" }, resultTag(latest?.result), " ",
          el("span", { class: "check-name", title: c.id }, checkName(c)), history(c.results)),
        el("div", { class: "muted check-meta" }, [c.checkType, latest ? shortTime(latest.time) : "never run"].filter(Boolean).join(" · ")),
        latest?.errorMessage ? el("div", { class: "error-text" }, latest.errorMessage) : null,
        assertionsList(latest?.assertions || []),
        c.failuresTables.length ? el("div", { class: "muted" }, "failing rows in ", c.failuresTables.join(", ")) : null);
    })),
  ];
}
