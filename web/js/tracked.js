// Tracked changes as people read them: insertions in <ins>, deletions in <del>, each
// also spoken and copied as "[inserted: …]" / "[deleted: …]" (not colour alone).

import { h } from "./dom.js";

const SPOKEN = { inserted: "[inserted: ", deleted: "[deleted: " };

/** Nodes for runs ``[{mark: "kept" | "inserted" | "deleted", text}]`` (the server's
 * word diff, or diffWords() through ``fromWordDiff``). */
export function trackedRuns(runs) {
  return runs.map(({ mark, text }) => {
    if (mark === "kept") return text;
    return h(
      mark === "deleted" ? "del" : "ins",
      {},
      h("span", { class: "visually-hidden" }, SPOKEN[mark]),
      text,
      h("span", { class: "visually-hidden" }, "]"),
    );
  });
}

const MARKS = { same: "kept", removed: "deleted", added: "inserted" };

/** diffWords()'s parts as tracked runs. */
export function fromWordDiff(parts) {
  return parts.map((part) => ({ mark: MARKS[part.op], text: part.text }));
}
