// Tracked changes as people read them: insertions in <ins>, deletions in <del>, each
// also spoken and copied as "[inserted: …]" / "[deleted: …]" (not colour alone).

import { h } from "./dom.js";

const SPOKEN = { ins: "[inserted: ", del: "[deleted: " };

/** ``element`` (an ins or a del) saying what it is before and after its text. */
function spoken(element) {
  element.prepend(h("span", { class: "visually-hidden" }, SPOKEN[element.localName]));
  element.append(h("span", { class: "visually-hidden" }, "]"));
  return element;
}

/** Nodes for runs ``[{mark: "kept" | "inserted" | "deleted", text}]`` (the server's
 * word diff). */
export function trackedRuns(runs) {
  return runs.map(({ mark, text }) => (mark === "kept" ? text : spoken(h(mark === "deleted" ? "del" : "ins", {}, text))));
}

/** ``nodes`` (the server's tracked XHTML, through xhtmlNodes()) with every ins and del
 * in them spoken as trackedRuns() speaks them. */
export function spokenMarks(nodes) {
  for (const node of nodes) {
    if (!(node instanceof Element)) continue;
    if (node.matches("ins, del")) spoken(node);
    node.querySelectorAll("ins, del").forEach(spoken);
  }
  return nodes;
}
