// A record's audit trail (`/audit/trail?record=…`): one row per value an event changed,
// with who (printed name, roles, organization as the workspace knew them then), when
// (the server's UTC time, as recorded), the old and new values in full, and why.

import { get } from "../api.js";
import { h, utc } from "../dom.js";

/** The trail's rows of ``record`` ("amendment/A-1", "protocol", …), oldest first. */
export function loadTrail(trailPath, record) {
  return get(`${trailPath}?record=${encodeURIComponent(record)}`);
}

/** The rows as a table; with ``section`` (a protocol section's number) only the rows of
 * that section, its field paths shown from the section down. Rows after the replayed
 * ``position`` are marked: they had not happened yet at the moment being looked at. */
export function trailTable(rows, { section = null, position = null }) {
  const shown = section === null ? rows : rows.flatMap((row) => inSection(row, section));
  if (!shown.length) return h("p", {}, "No changes recorded.");
  const later = position === null ? 0 : shown.filter((row) => row.position > position).length;
  return [
    h(
      "p",
      { class: "note" },
      `${shown.length} changed value${shown.length === 1 ? "" : "s"}, oldest first; times are the server's, in UTC.`,
      later ? ` ${later} of them came after position ${position}, the replayed moment, and are marked "later".` : "",
    ),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "trail" },
        h("thead", {}, h("tr", {}, ["Position", "Recorded (UTC)", "Event", "Who", "Why", "Field", "Old value", "New value"].map((t) => h("th", { scope: "col" }, t)))),
        byEvent(shown).map((rows) => eventRows(rows, position)),
      ),
    ),
  ];
}

/** Consecutive rows of one event (one position) together. */
function byEvent(rows) {
  const groups = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last && last[0].position === row.position) last.push(row);
    else groups.push([row]);
  }
  return groups;
}

/** One event as a <tbody>: who, when and why once, then a line per value it changed. */
function eventRows(rows, position) {
  const [first] = rows;
  const later = position !== null && first.position > position;
  const span = { rowspan: rows.length };
  return h(
    "tbody",
    { class: later ? "later" : null },
    rows.map((row, index) =>
      h(
        "tr",
        {},
        index === 0
          ? [
              h("th", { scope: "rowgroup", class: "position", ...span }, String(row.position), later ? [" ", h("span", { class: "badge" }, "later")] : null),
              h("td", { class: "when", ...span }, utc(row.recorded_at)),
              h("td", { class: "event", ...span }, row.event),
              h("td", { class: "who", ...span }, who(row)),
              h("td", { class: "why", ...span }, row.reason || h("span", { class: "absent" }, "none stated")),
            ]
          : null,
        h("td", { class: "field-path" }, row.field || "—"),
        h("td", { class: "old" }, value(row.old_value)),
        h("td", { class: "new" }, value(row.new_value)),
      ),
    ),
  );
}

/** The row if it changed section ``number``, its field relative to the section. Section
 * numbers contain dots ("sections.1.1.number" is section 1.1's, not section 1's), so the
 * rest of the path must not start with a digit. */
function inSection(row, number) {
  const prefix = `sections.${number}.`;
  if (!row.field.startsWith(prefix)) return [];
  const rest = row.field.slice(prefix.length);
  return /^\d/.test(rest) ? [] : [{ ...row, field: rest }];
}

function who(row) {
  if (!row.printed_name) return row.user_id || "the system";
  return [
    h("strong", {}, row.printed_name),
    h("br"),
    row.roles ? `${row.roles.replaceAll("_", " ")}` : "no role",
    row.organization ? [", ", row.organization] : null,
  ];
}

/** A value as the trail gives it (JSON text, "" when the field did not exist): text
 * values shown exactly, with their line breaks; others as their JSON. */
function value(json) {
  if (json === "") return h("span", { class: "absent" }, "absent");
  const parsed = JSON.parse(json);
  if (parsed === "") return h("span", { class: "absent" }, "empty text");
  if (parsed === null) return h("span", { class: "absent" }, "none");
  return h("div", { class: "exact" }, typeof parsed === "string" ? parsed : json);
}
