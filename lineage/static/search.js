// The search box: prefix search with arrow keys and Enter.

import { gql, queries } from "./api.js";
import { $, el } from "./dom.js";
import { nodeLink } from "./route.js";

let searchTimer = null, searchSeq = 0, active = -1;

function renderResults(nodes, prefix) {
  const list = $("results");
  active = -1;
  if (!prefix) { list.hidden = true; return; }
  list.replaceChildren(...(nodes.length ? nodes.map((n, i) => el("li", {
    role: "option", id: `result-${i}`, "data-id": n.id, "data-type": n.label, "aria-selected": "false",
    onmousedown: (e) => { e.preventDefault(); openResult(n); },
  }, el("span", { class: "kind" }, n.label), n.id)) : [el("li", { "aria-disabled": "true" }, `Nothing starts with “${prefix}”.`)]));
  list.hidden = false;
}

function openResult(n) {
  $("results").hidden = true;
  $("search").value = n.id;
  location.hash = nodeLink(n.id, n.label);
}

function onInput() {
  const prefix = $("search").value.trim();
  clearTimeout(searchTimer);
  if (!prefix) { renderResults([], ""); return; }
  searchTimer = setTimeout(async () => {
    const seq = ++searchSeq;
    try {
      const data = await gql(queries.search, { p: prefix });
      if (seq === searchSeq) renderResults(data.search, prefix);
    } catch (err) {
      if (seq === searchSeq) { $("results").replaceChildren(el("li", {}, err.message)); $("results").hidden = false; }
    }
  }, 120);
}

function onKey(e) {
  const items = [...$("results").querySelectorAll("li[data-id]")];
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    if (!items.length) return;
    active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items.forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
    $("search").setAttribute("aria-activedescendant", items[active].id);
  } else if (e.key === "Enter") {
    e.preventDefault();
    const li = items[active >= 0 ? active : 0];
    if (li) openResult({ id: li.dataset.id, label: li.dataset.type });
  } else if (e.key === "Escape") {
    $("results").hidden = true;
  }
}

export function enableSearch() {
  $("search").addEventListener("input", onInput);
  $("search").addEventListener("keydown", onKey);
  $("search").addEventListener("blur", () => setTimeout(() => { $("results").hidden = true; }, 150));
  $("search-form").addEventListener("submit", (e) => e.preventDefault());
}
