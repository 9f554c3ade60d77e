// One way to say what went wrong, with links when the server offers choices.

import { ApiError } from "./api.js";
import { el, fill } from "./dom.js";
import { nodeLink } from "./route.js";

export function errorBox(err) {
  const box = el("div", { class: "empty error", role: "alert" });
  if (err instanceof ApiError && err.code === "NOT_FOUND") {
    box.append(el("strong", {}, "Unknown node. "), err.message, " Try the search box above.");
  } else if (err instanceof ApiError && err.code === "AMBIGUOUS" && err.extensions?.candidates?.length) {
    const [first] = err.extensions.candidates;
    const model = /@[^@/]+$/.test(first);
    box.classList.remove("error");
    box.append(el("strong", {}, model ? "Which version? " : "Which one? "), err.message.split(";")[0] + ".",
      el("ul", { class: "choices" }, err.extensions.candidates.map((id) =>
        el("li", {}, el("a", { href: nodeLink(id, model ? "Model" : null, model ? "model" : "graph") }, id)))));
  } else if (err instanceof ApiError && err.code === "UNREACHABLE") {
    box.append(el("strong", {}, "Server unreachable. "), err.message);
  } else {
    box.append(el("strong", {}, "Something went wrong. "), err.message || String(err));
  }
  return box;
}

export function showError(target, err) {
  fill(target, errorBox(err));
}
