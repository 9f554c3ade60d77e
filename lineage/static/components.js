// The Components page: liveness of every component that reports heartbeats, and the
// audit trail of a run (who wrote it and the runs it was made from). Talks only to /graphql.
import { gql } from "/static/api.js";

const COMPONENTS = `query { components { id name componentType state status lastSeen reads writes
  instances { instanceId state status lastSeen principal } } }`;
const RUN = `query($id: String!) { run(runId: $id) { runId pipelineId state endedAt
  audit { principal requestId httpRequestId clientAddress receivedAt execPath inputRequestIds dataSourceName
          dataSourceType }
  inputRuns { runId pipelineId audit { principal requestId execPath }
    inputRuns { runId pipelineId audit { principal requestId execPath } } } } }`;

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c ?? "");
  return node;
};

export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

const datasetLink = (id) =>
  el("a", { href: `/#/node/${encodeURIComponent(id)}?type=Dataset&dir=both&depth=3&view=graph` }, id);

function links(ids) {
  const cell = el("td");
  ids.forEach((id, i) => { if (i) cell.append(", "); cell.append(datasetLink(id)); });
  return cell;
}

function row(c) {
  const instances = el("ul", { class: "instances" }, ...c.instances.map((i) => el("li", {},
    el("span", { class: `state ${i.state}` }, i.state), ` ${i.instanceId}: ${i.status ?? ""}, ${ago(i.lastSeen)}`,
    i.principal ? ` (by ${i.principal})` : "")));
  return el("tr", { "data-component": c.id },
    el("td", {}, el("span", { class: `state ${c.state}` }, c.state)),
    el("td", {}, el("b", {}, c.name ?? c.id), c.name && c.name !== c.id ? ` (${c.id})` : "", instances),
    el("td", {}, c.componentType), el("td", {}, c.status ?? ""),
    el("td", { title: c.lastSeen ?? "" }, ago(c.lastSeen)), el("td", {}, String(c.instances.length)),
    links(c.reads), links(c.writes));
}

async function refresh() {
  const summary = document.getElementById("summary");
  const table = document.getElementById("components");
  try {
    const { components } = await gql(COMPONENTS);
    const counts = { live: 0, late: 0, gone: 0 };
    components.forEach((c) => { counts[c.state] += 1; });
    summary.textContent = components.length
      ? `${components.length} components: ${counts.live} live, ${counts.late} late, ${counts.gone} gone.`
      : "No component has reported yet. Start a lineage.capture.Reporter in one, or POST to /api/v1/heartbeats.";
    table.tBodies[0].replaceChildren(...components.map(row));
    table.hidden = !components.length;
  } catch (err) {
    summary.textContent = err.message;
  }
}

function step(run) {
  const a = run.audit ?? {};
  const facts = [["pipeline", run.pipelineId], ["written by", a.principal], ["component", a.execPath],
    ["request id", a.requestId], ["HTTP request", a.httpRequestId], ["from address", a.clientAddress],
    ["received", a.receivedAt], ["data source", a.dataSourceName && `${a.dataSourceName} (${a.dataSourceType ?? ""})`],
    ["made from", (a.inputRequestIds ?? []).join(", ")]].filter(([, v]) => v);
  const box = el("div", { class: "trace-step" }, el("b", {}, run.runId),
    el("dl", {}, ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
  for (const input of run.inputRuns ?? []) box.append(step(input));
  return box;
}

async function trace(id) {
  const out = document.getElementById("trace");
  out.textContent = "";
  try {
    const { run } = await gql(RUN, { id });
    out.append(step(run));
  } catch (err) {
    out.textContent = err.message;
  }
}

document.getElementById("trace-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const id = document.getElementById("trace-id").value.trim();
  if (id) { location.hash = `run=${encodeURIComponent(id)}`; trace(id); }
});
const initial = new URLSearchParams(location.hash.slice(1)).get("run");
if (initial) { document.getElementById("trace-id").value = initial; trace(initial); }
refresh();
setInterval(refresh, 10000);
