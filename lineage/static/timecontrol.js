// The time control: show the lineage as it was at a moment (the route's `at`, UTC).
// Empty means now. The graph, impact and model views all ask with asOf.

import { $, el } from "./dom.js";

// "2024-05-01T12:00:00.000Z" <-> the datetime-local value "2024-05-01T12:00:00" (read as UTC)
function toInput(at) { return at ? at.replace(/Z$/, "").replace(/\.\d+$/, "") : ""; }
function fromInput(value) { return value ? `${value.length === 16 ? `${value}:00` : value}Z` : null; }

export function showTime(route) {
  $("as-of").value = toInput(route.at);
  $("time-control").classList.toggle("active", !!route.at);
  const notice = $("as-of-notice");
  if (notice) notice.remove();
  if (route.at) {
    $("notice").after(el("div", { id: "as-of-notice", role: "status" },
      `As of ${route.at.replace("T", " ").replace("Z", " UTC")}: only what existed then, with the versions current then.`));
  }
}

export function enableTimeControl(go) {
  $("as-of").addEventListener("change", (e) => go({ at: fromInput(e.target.value) }));
  $("as-of-now").addEventListener("click", () => go({ at: null }));
  $("time-control").addEventListener("submit", (e) => e.preventDefault());
}
