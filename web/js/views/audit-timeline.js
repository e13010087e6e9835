// The auditor's timeline in words (`/audit/timeline`): the event at the replayed position
// (who did what, a one-line summary), the slider's markers (published versions,
// amendments, signatures, decisions) drawn as labelled ticks and listed to jump to, the
// trial's events narrowed by kind, person and time, and a box to jump to a position or a
// record ("A-1", "M-1", "D-1", "v1").

import { Problem, get } from "../api.js";
import { field, fill, h, problemBox, timeElement } from "../dom.js";

export const MARKER_KINDS = "version,amendment,signature,decision";

const KIND_NAMES = [
  ["", "every event"],
  [MARKER_KINDS, "marked events only"],
  ["version", "published versions"],
  ["amendment", "amendments (opened, submitted, merged, withdrawn)"],
  ["signature", "signatures"],
  ["decision", "decisions (approvals, votes closed, disputes resolved)"],
];

/** What a marker's tick says: "v1", "A-1 opened", "A-1 signed", "M-1 decided". */
const VERBS = {
  AmendmentOpened: "opened",
  AmendmentSubmitted: "submitted",
  AmendmentMerged: "merged",
  AmendmentWithdrawn: "withdrawn",
  SignatureApplied: "signed",
  EthicsApprovalRecorded: "ethics approval",
  AmendmentApproved: "approved",
  AmendmentRejected: "rejected",
  MotionDecided: "decided",
  MotionLapsed: "lapsed",
  DisputeResolved: "resolved",
};

export function markerLabel(entry) {
  if (entry.marker === "version") {
    const version = /version (\d+)/.exec(entry.text);
    return version ? `v${version[1]}` : "version";
  }
  const id = entry.record.split("/").pop();
  return `${id} ${VERBS[entry.event] ?? entry.event}`;
}

/** Who and what, in words: "Dr Ivy Chen submitted amendment A-1 for signature — …"; the
 * event's type and the user id on hover. */
export function eventWords(entry) {
  const recordedBy = entry.user_id ? `, recorded with the request of user ${entry.user_id}` : "";
  return [
    h("strong", { class: "event-text", title: `${entry.event}${recordedBy}` }, entry.text),
    entry.automatic && entry.printed_name ? h("span", { class: "automatic" }, ` (by Concord, on ${entry.printed_name}'s action)`) : null,
    entry.summary ? [" — ", h("span", { class: "event-summary" }, entry.summary)] : null,
  ];
}

/** Read one page of the timeline. */
export function readTimeline(path, query) {
  return get(`${path}?${new URLSearchParams(query)}`);
}

/** The markers above the slider (ticks with labels, hidden from assistive technology:
 * the list below offers the same jumps) and the list of them. ``go(position)`` moves the
 * page. */
export function markers(go) {
  const strip = h("div", { class: "timeline-marks", "aria-hidden": "true" });
  const list = h("ol", { class: "marker-list" });
  const count = h("span", {});
  const details = h("details", { class: "markers", open: true }, h("summary", {}, "Markers: versions, amendments, signatures, decisions ", count), list);
  let drawn = [];

  function draw(entries, min, max) {
    drawn = entries;
    const span = Math.max(max - min, 1);
    // labels in two rows, each where its row has room (its text, about 6.5 px a
    // character, clear of the row's last label); every tick says what it marks on hover
    const width = strip.clientWidth || 600;
    const rowEnds = [-Infinity, -Infinity];
    fill(
      strip,
      entries
        .filter((e) => e.position >= min && e.position <= max)
        .map((entry) => {
          const at = (entry.position - min) / span;
          const x = at * width;
          const wide = markerLabel(entry).length * 6.5;
          const edge = x < 40 ? "start" : width - x < 40 ? "end" : "";
          const left = edge === "start" ? x : edge === "end" ? x - wide : x - wide / 2;
          const row = rowEnds.findIndex((end) => left >= end + 8);
          if (row >= 0) rowEnds[row] = left + wide;
          const tick = h(
            "button",
            {
              type: "button",
              tabindex: "-1",
              // a label near either end of the track stays within it (start, end)
              class: `tl-tick tl-${entry.marker}${row === 1 ? " low" : ""}${edge ? ` ${edge}` : ""}`,
              title: `${markerLabel(entry)}: ${entry.text} (position ${entry.position})`,
              onclick: () => go(entry.position),
            },
            row >= 0 ? h("span", { class: "tl-label" }, markerLabel(entry)) : null,
          );
          tick.style.setProperty("--at", String(at));
          return tick;
        }),
    );
    fill(count, `(${entries.length})`);
    fill(
      list,
      entries.length
        ? entries.map((entry) =>
            h(
              "li",
              { class: `tl-${entry.marker}`, "data-position": entry.position },
              h("button", { type: "button", class: "secondary tl-go", onclick: () => go(entry.position) }, markerLabel(entry)),
              " ",
              h("span", { class: "tl-where" }, `position ${entry.position}, `, timeElement(entry.recorded_at), ": "),
              eventWords(entry),
            ),
          )
        : h("li", {}, "No versions, amendments, signatures or decisions yet."),
    );
  }

  function current(position) {
    for (const item of list.children) {
      if (Number(item.dataset.position) === position) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    }
  }

  return { strip, details, draw, current, entries: () => drawn };
}

/** "Events": the trial's events narrowed by kind, person and a UTC time window, a page at
 * a time, each with a button that moves the page to it. ``people()`` gives [user id,
 * printed name] pairs. */
export function eventList(path, go, people) {
  const kind = h("select", { name: "kind" }, KIND_NAMES.map(([value, label]) => h("option", { value }, label)));
  const by = h("select", { name: "by" }, h("option", { value: "" }, "anyone"));
  const since = h("input", { type: "datetime-local", step: 1, name: "since" });
  const until = h("input", { type: "datetime-local", step: 1, name: "until" });
  const show = h("button", { type: "submit", class: "secondary" }, "Show events");
  const status = h("p", { class: "note", role: "status" });
  const problem = h("div");
  const list = h("ol", { class: "timeline-events" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Show more events");
  let next = null;
  let asked = 0;
  let shown = 0;

  const form = h(
    "form",
    { class: "row timeline-filter", "aria-label": "Narrow the events" },
    field("Kind", kind),
    field("Recorded by", by),
    field("From (UTC)", since),
    field("Until (UTC)", until),
    h("div", { class: "buttons" }, show),
  );

  function query(after = null) {
    const q = { limit: "50" };
    if (kind.value) q.kind = kind.value;
    if (by.value) q.by = by.value;
    if (since.value) q.since = `${seconds(since.value)}Z`;
    if (until.value) q.until = `${seconds(until.value)}Z`;
    if (after !== null) q.after = String(after);
    return q;
  }

  async function load(after = null) {
    asked += 1;
    const mine = asked;
    fill(problem);
    try {
      let page = await readTimeline(path, query(after));
      // a narrowed read answers a window of the log at a time: read on until something is
      // found (or the log's end), a few windows at most per click
      for (let reads = 1; reads < 40 && !page.entries.length && page.next_after !== null; reads += 1) {
        if (mine !== asked) return;
        page = await readTimeline(path, query(page.next_after));
      }
      if (mine !== asked) return;
      if (after === null) {
        fill(list);
        shown = 0;
      }
      shown += page.entries.length;
      for (const entry of page.entries) {
        list.append(
          h(
            "li",
            { "data-position": entry.position },
            h("button", { type: "button", class: "secondary", onclick: () => go(entry.position) }, `Go to position ${entry.position}`),
            " ",
            timeElement(entry.recorded_at),
            h("div", { class: "timeline-event" }, eventWords(entry)),
          ),
        );
      }
      next = page.next_after;
      more.hidden = next === null;
      const narrowed = kind.value || by.value || since.value || until.value;
      if (shown) fill(status, `${shown} event${shown === 1 ? "" : "s"}${next === null ? "" : " so far"}${narrowed ? " within what you chose" : ""}, oldest first.`);
      else fill(status, next === null ? "No event falls within what you chose." : "None found yet in the part of the log read; “Show more events” reads on.");
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      if (mine === asked) fill(problem, problemBox(error));
    }
  }

  function offerPeople() {
    const chosen = by.value;
    fill(
      by,
      h("option", { value: "" }, "anyone"),
      people().map(([id, name]) => h("option", { value: id, title: `user id ${id}`, selected: id === chosen }, name)),
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  for (const control of [kind, by]) control.addEventListener("change", () => load());
  more.addEventListener("click", () => next !== null && load(next));

  const section = h(
    "section",
    { "aria-labelledby": "timeline-events-heading", class: "timeline-list" },
    h("h3", { id: "timeline-events-heading" }, "Events"),
    form,
    problem,
    status,
    h("div", { class: "timeline-scroll" }, list),
    more,
  );
  /** Read the list again for new events, when it shows everything on one page (a list
   * paged further stays as the reader left it). */
  function refresh() {
    if (next === null && shown <= 50) load();
  }

  return { section, load, refresh, offerPeople };
}

/** A datetime-local value ("2026-11-21T09:30" or with seconds) to the second. */
function seconds(local) {
  return local.length === 16 ? `${local}:00` : local.slice(0, 19);
}

const RECORDS = { A: "amendment", M: "motion", D: "dispute" };

/** "Jump to a position or a record": a position ("67"), a published version ("v1") or an
 * amendment, motion or dispute ("A-1", "M-2", "D-1"), whose first event the page moves
 * to. ``versions()`` gives the version markers known. */
export function jumpForm(path, go, versions) {
  const input = h("input", { type: "text", name: "jump", autocomplete: "off", spellcheck: "false" });
  const said = h("p", { class: "note", role: "status" });
  const form = h(
    "form",
    { class: "row", "aria-label": "Jump to a position or a record" },
    field("Position or record", input, "A log position (67), a version (v1), an amendment (A-1), a motion (M-1) or a dispute (D-1)"),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "secondary" }, "Jump")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const asked = input.value.trim();
    fill(said);
    if (/^\d+$/.test(asked)) {
      fill(said, `Moved to position ${asked}.`);
      go(Number(asked));
      return;
    }
    const version = /^v(\d+)$/i.exec(asked);
    if (version) {
      const found = versions().find((entry) => entry.marker === "version" && new RegExp(`version ${version[1]}\\b`).test(entry.text));
      if (!found) return fill(said, `The protocol has no published version ${version[1]}.`);
      fill(said, `Version ${version[1]} was published at position ${found.position}.`);
      go(found.position);
      return;
    }
    const record = /^([AMD])-(\d+)$/i.exec(asked);
    if (!record) return fill(said, "Type a position (67), a version (v1) or a record (A-1, M-1, D-1).");
    const id = `${record[1].toUpperCase()}-${record[2]}`;
    try {
      const page = await readTimeline(path, { record: `${RECORDS[record[1].toUpperCase()]}/${id}`, limit: "1" });
      const [first] = page.entries;
      if (!first) return fill(said, `This trial has no ${id}.`);
      fill(said, `${id} begins at position ${first.position}: ${first.text}.`);
      go(first.position);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      fill(said, problemBox(error));
    }
  });
  return [form, said];
}
