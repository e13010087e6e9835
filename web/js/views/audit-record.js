// One record of the trial (the workspace, the protocol, an amendment, a motion, a
// dispute, a comment thread) in full as it was at the replayed position: every field the
// server's replay gives (`/audit/replay?record=…`), values as exact text.

import { h } from "../dom.js";
import { fieldLabel, instantNode, personNode } from "./audit-labels.js";

/** The record ``name`` (e.g. "amendment/A-1") from ``replay.record``, or a note that it did
 * not exist at that position. Fields read in words ("Opened by"; the field's own name on
 * hover), people by their printed names (the user id on hover). */
export function recordAsOf(replay, name) {
  if (!replay.record) {
    return h("p", { class: "note" }, `${name} did not exist yet at position ${replay.position}.`);
  }
  const names = memberNames(replay.workspace);
  return h("div", { class: "record-asof" }, valueNode(replay.record, names));
}

/** user id -> "Dr Ivy Chen", as the workspace knew its members at the replayed moment. */
export function memberNames(workspace) {
  return new Map(Object.values(workspace?.members ?? {}).map((m) => [m.user_id, m.printed_name]));
}

function valueNode(value, names) {
  if (value === null || value === undefined) return h("span", { class: "absent" }, "none");
  if (Array.isArray(value)) {
    return value.length
      ? h("ol", { class: "record-list" }, value.map((item) => h("li", {}, valueNode(item, names))))
      : h("span", { class: "absent" }, "none");
  }
  if (typeof value === "object") {
    const entries = Object.entries(value);
    return entries.length
      ? h(
          "dl",
          { class: "record-fields" },
          entries.map(([key, inner]) => [
            h("dt", { title: names.has(key) ? `user id ${key}` : key }, names.get(key) ?? fieldLabel(key)),
            h("dd", {}, valueNode(inner, names)),
          ]),
        )
      : h("span", { class: "absent" }, "none");
  }
  if (typeof value === "string") {
    if (value === "") return h("span", { class: "absent" }, "empty text");
    if (names.has(value)) return personNode(value, names);
    const moment = instantNode(value);
    if (moment) return moment;
    return h("span", { class: "exact" }, value);
  }
  return h("span", { class: "exact" }, String(value));
}
