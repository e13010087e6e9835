// A record's audit trail (`/audit/trail?record=…`): one row per value an event changed,
// with who (printed name, roles, organization as the workspace knew them then), when
// (the server's UTC time, as recorded), the old and new values in full, and why. Fields,
// events and people read in words (audit-labels.js); the raw path, type or id on hover.

import { get } from "../api.js";
import { field, fill, h, timeElement } from "../dom.js";
import { eventLabel, fieldPathWords, instantNode, personNode } from "./audit-labels.js";

/** The trail's rows of ``record`` ("amendment/A-1", "protocol", …), oldest first. */
export function loadTrail(trailPath, record) {
  return get(`${trailPath}?record=${encodeURIComponent(record)}`);
}

/** The rows as a table; with ``section`` (a protocol section's number) only the rows of
 * that section, its field paths shown from the section down. Rows after the replayed
 * ``position`` are marked: they had not happened yet at the moment being looked at.
 * Above it, the trail can be narrowed to one person and a time window (UTC): ``filter``
 * ({by, since, until}) is the narrowing to start from, ``onFilter`` hears each change. */
export function trailTable(rows, { section = null, position = null, filter = {}, onFilter = () => {}, names = new Map() }) {
  const shown = section === null ? rows : rows.flatMap((row) => inSection(row, section));
  if (!shown.length) return h("p", {}, "No changes recorded.");
  // the system's changes (no user id) get a value of their own: "" means anyone
  const personOf = (row) => row.user_id || SYSTEM;
  const people = new Map(shown.map((row) => [personOf(row), row.printed_name || row.user_id || "the system"]));
  const by = h(
    "select",
    { name: "by" },
    h("option", { value: "" }, "anyone"),
    [...people].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => h("option", { value: id, selected: id === filter.by }, name)),
  );
  const since = h("input", { type: "datetime-local", step: 1, name: "since", value: filter.since ?? "" });
  const until = h("input", { type: "datetime-local", step: 1, name: "until", value: filter.until ?? "" });
  const table = h("div");
  const render = () => {
    const now = { by: by.value || null, since: since.value || null, until: until.value || null };
    onFilter(now);
    fill(table, trailRows(shown.filter((row) => admitted(row, now, personOf)), shown.length, position, names, signersOf(shown)));
  };
  for (const control of [by, since, until]) control.addEventListener("change", render);
  render();
  return [
    h(
      "div",
      { class: "row trail-filter", role: "group", "aria-label": "Narrow the trail" },
      field("Changed by", by),
      field("From (UTC)", since),
      field("Until (UTC)", until),
    ),
    table,
  ];
}

/** Whether a row falls within the narrowing: its person, and its time to the second. */
function admitted(row, { by, since, until }, personOf) {
  const second = row.recorded_at.slice(0, 19);
  return (!by || personOf(row) === by) && (!since || second >= seconds(since)) && (!until || second <= seconds(until));
}

const SYSTEM = "(system)";

/** A datetime-local value ("2026-11-21T09:30" or with seconds) to the second. */
function seconds(local) {
  return local.length === 16 ? `${local}:00` : local.slice(0, 19);
}

/** For each approval in the trail (by position), the printed names of the signatures it
 * followed: those given since the last invalidation of the amendment's signatures. */
function signersOf(rows) {
  const signers = new Map();
  let current = [];
  for (const group of byEvent(rows)) {
    const [first] = group;
    if (first.event === "SignaturesInvalidated") current = [];
    if (first.event === "SignatureApplied" || first.event === "EthicsApprovalRecorded") current = [...current, first.printed_name || first.user_id];
    if (first.event === "AmendmentApproved") signers.set(first.position, current);
  }
  return signers;
}

function trailRows(rows, total, position, names, signers) {
  if (!rows.length) return h("p", {}, `None of the ${total} changed values falls within what you chose.`);
  const later = position === null ? 0 : rows.filter((row) => row.position > position).length;
  return [
    h(
      "p",
      { class: "note" },
      `${rows.length} changed value${rows.length === 1 ? "" : "s"}${rows.length < total ? ` of ${total}` : ""}, oldest first; times are the server's, in UTC.`,
      later ? ` ${later} of them came after position ${position}, the replayed moment, and are marked "later".` : "",
    ),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "trail" },
        h(
          "colgroup",
          {},
          ["position", "when", "event", "who", "why", "field", "old", "new"].map((name) => h("col", { class: `col-${name}` })),
        ),
        h("thead", {}, h("tr", {}, ["Position", "Recorded (UTC)", "Event", "Who", "Why", "Field", "Old value", "New value"].map((t) => h("th", { scope: "col" }, t)))),
        byEvent(rows).map((group) => eventRows(group, position, names, signers)),
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
function eventRows(rows, position, names, signers) {
  const [first] = rows;
  const later = position !== null && first.position > position;
  const span = { rowspan: rows.length };
  // An approval is the system's consequence of the last required signature, recorded in
  // that signature's append: not the last signer's act.
  const approval = first.event === "AmendmentApproved";
  const signedBy = (signers.get(first.position) ?? []).join(", ");
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
              h("td", { class: "when", ...span }, timeElement(row.recorded_at)),
              h("td", { class: "event", title: row.event, ...span }, approval ? "Amendment approved (all required signatures given)" : eventLabel(row.event)),
              h("td", { class: "who", ...span }, approval ? automatic(row) : who(row)),
              h(
                "td",
                { class: "why", ...span },
                approval && signedBy ? `Signed by ${signedBy}` : row.reason || h("span", { class: "absent" }, "none stated"),
              ),
            ]
          : null,
        h("td", { class: "field-path", title: row.field || null }, fieldPathWords(row.field, names)),
        h("td", { class: "old" }, value(row.old_value, names)),
        h("td", { class: "new" }, value(row.new_value, names)),
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

/** Who recorded an approval: the system, on the last required signature (whose append
 * it was written in). */
function automatic(row) {
  return [
    h("strong", {}, "Concord"),
    h("br"),
    "on the last required signature",
    row.printed_name ? [", by ", h("span", { class: "person", title: `user id ${row.user_id}` }, row.printed_name)] : null,
  ];
}

function who(row) {
  if (!row.printed_name) return row.user_id || "the system";
  return [
    h("strong", { title: `user id ${row.user_id}` }, row.printed_name),
    h("br"),
    row.roles ? `${row.roles.replaceAll("_", " ")}` : "no role",
    row.organization ? [", ", row.organization] : null,
  ];
}

/** A value as the trail gives it (JSON text, "" when the field did not exist): text
 * values shown exactly, with their line breaks; others as their JSON. */
function value(json, names) {
  if (json === "") return h("span", { class: "absent" }, "absent");
  const parsed = JSON.parse(json);
  if (parsed === "") return h("span", { class: "absent" }, "empty text");
  if (parsed === null) return h("span", { class: "absent" }, "none");
  if (typeof parsed === "string" && names.has(parsed)) return personNode(parsed, names);
  const moment = instantNode(parsed);
  if (moment) return moment;
  return h("div", { class: "exact" }, typeof parsed === "string" ? parsed : json);
}
