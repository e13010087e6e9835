// The auditor's page: scrub the trial's timeline to any moment and see the protocol,
// roles, amendments, motions and disputes as they were; open one record in full at that
// moment or its audit trail; compare the protocol at two moments; verify the log;
// download the exports. Everything here reads the log through /api/trials/{id}/audit/...

import { Problem, get, getLines, trialPath } from "../api.js";
import { badge, fill, h, humanize, problemBox, timeElement } from "../dom.js";
import { actionButton } from "../page.js";
import { comparison } from "./audit-diff.js";
import { recordAsOf } from "./audit-record.js";
import { MARKER_KINDS, eventList, eventWords, jumpForm, markers, readTimeline } from "./audit-timeline.js";
import { loadTrail, trailTable } from "./audit-trail.js";

/** ``readsAccounts``: the viewer may read people's account trails (system_admin or
 * account_auditor): each member's name then links to theirs. */
export function mountAudit(context, box, readsAccounts = false) {
  const path = (...segments) => trialPath(context.trialId, "audit", ...segments);
  let following = true; // at the head: live events move the view along
  let shown = null;
  let asked = 0;
  let commented = new Set(); // sections with a comment thread (now: its trail marks what is later)
  // the record opened from the replay: {record, title, view: "state" | "trail", section, rows}
  let opened = null;
  const recordHeading = h("h2", { id: "record-heading", tabindex: "-1" });
  const recordBody = h("div");
  const closeRecord = h("button", { type: "button", class: "secondary", onclick: () => close() }, "Close");
  const recordPanel = h("section", { "aria-labelledby": recordHeading.id, class: "record-panel", hidden: true }, recordHeading, recordBody, closeRecord);
  const slider = h("input", { type: "range", min: 1, max: 1, value: 1, id: "timeline", name: "at" });
  const previous = h("button", { type: "button", class: "secondary" }, "◀ Previous event");
  const next = h("button", { type: "button", class: "secondary" }, "Next event ▶");
  const latest = h("button", { type: "button", class: "secondary" }, "Latest");
  const time = h("input", { type: "datetime-local", step: 1, id: "moment-time", name: "time" });
  const go = h("button", { type: "submit", class: "secondary" }, "Go to time");
  const where = h("p", { class: "moment", role: "status" });
  const problem = h("div");
  const results = h("div", { class: "as-of" });
  const verification = h("div", { role: "status" });
  const compare = comparison(path("diff"), () => shown?.position ?? null);
  // the timeline in words: the event at the replayed position, the slider's markers, the
  // events narrowed by kind, person and time, jumping to a position or a record
  const timelinePath = path("timeline");
  const goTo = (position) => load(`at=${position}`);
  const eventLine = h("p", { class: "moment-event" });
  const marks = markers(goTo);
  let people = new Map(); // user id -> printed name, as the trial knows its members now
  const events = eventList(timelinePath, goTo, () => [...people].sort((a, b) => a[1].localeCompare(b[1])));
  const [jump, jumped] = jumpForm(timelinePath, goTo, () => marks.entries());

  // the markers read so far, up to ``markedTo``: a new head reads only what came after it
  let marked = [];
  let markedTo = 0;
  async function readMarkers() {
    const head = Number(slider.max);
    try {
      if (!markedTo) {
        const first = await readTimeline(timelinePath, { limit: "1" });
        if (first.entries.length) slider.min = String(first.entries[0].position);
      }
      // a filtered read answers a window of the log at a time (next_after: where to go on)
      let after = markedTo;
      const found = [];
      for (let reads = 0; reads < 100 && after < head; reads += 1) {
        const page = await readTimeline(timelinePath, { kind: MARKER_KINDS, limit: "1000", after: String(after) });
        found.push(...page.entries);
        after = page.next_after ?? head;
      }
      const known = new Set(marked.map((entry) => entry.position));
      marked = [...marked, ...found.filter((entry) => !known.has(entry.position) && entry.position <= head)];
      markedTo = Math.max(markedTo, Math.min(after, head));
      marks.draw(marked, Number(slider.min), Number(slider.max));
      if (shown) marks.current(shown.position);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      fill(problem, problemBox(error));
    }
  }

  async function describe(position, mine) {
    try {
      const page = await readTimeline(timelinePath, { after: String(position - 1), limit: "1" });
      if (mine !== asked) return;
      const [entry] = page.entries;
      const here = entry && entry.position === position ? entry : null;
      fill(eventLine, here ? eventWords(here) : "");
      // what a screen reader says of the slider: the position and its event in words
      slider.setAttribute("aria-valuetext", here ? `position ${position}: ${here.text}` : `position ${position}`);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      if (mine === asked) fill(eventLine, problemBox(error));
    }
  }

  async function load(query, follow = false) {
    asked += 1;
    const mine = asked;
    fill(problem);
    try {
      const asking = opened?.view === "state" ? opened.record : null;
      const record = asking ? `&record=${encodeURIComponent(asking)}` : "";
      const [replay, permissions, threads] = await Promise.all([
        get(`${path("replay")}?${query}${record}`),
        get(`${path("permissions")}?${query}`),
        get(trialPath(context.trialId, "comments")),
      ]);
      if (mine !== asked) return; // a later move of the slider wins
      following = follow;
      shown = { ...replay, recordAsked: asking };
      if (follow && replay.workspace) {
        people = new Map(Object.values(replay.workspace.members).map((m) => [m.user_id, m.printed_name]));
        events.offerPeople();
      }
      commented = new Set(threads.filter((t) => t.subject_kind === "section").map((t) => t.subject_id));
      render(replay, permissions);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      if (mine === asked) fill(problem, problemBox(error));
    }
  }

  function render(replay, permissions) {
    // A position before the trial's first event (the log begins with other streams, such
    // as the accounts'): the timeline starts at that first event instead.
    if (replay.events === 0 && replay.next !== null) {
      slider.min = String(replay.next);
      load(`at=${replay.next}`, following);
      return;
    }
    if (following && slider.max !== String(replay.position)) {
      slider.max = String(replay.position);
      readMarkers();
    }
    slider.value = String(replay.position);
    previous.disabled = replay.previous === null;
    next.disabled = replay.next === null;
    fill(
      where,
      `Position ${replay.position} of the log, recorded `,
      timeElement(replay.recorded_at),
      `; event ${replay.events} of this trial`,
      following ? " — the latest" : "",
    );
    marks.current(replay.position);
    describe(replay.position, asked);
    compare.offerVersions(replay.protocol?.versions ?? []);
    fill(results, protocolAsOf(replay, open, commented), rolesAsOf(context, replay, permissions, open, readsAccounts), recordsAsOf(replay, open));
    showRecord();
  }

  /** Open ``record`` in the panel: in full as of the replayed position, or its trail
   * (of one protocol section when ``section`` is given). */
  async function open(record, view, title, section = null) {
    opened = { record, view, title, section, rows: null, filter: {} };
    if (view === "trail") {
      const mine = opened;
      fill(recordHeading, `Audit trail of ${title}`);
      fill(recordBody, "Reading the audit trail…");
      recordPanel.hidden = false;
      try {
        mine.rows = await loadTrail(path("trail"), record);
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        if (opened !== mine) return;
        fill(recordHeading, `Audit trail of ${title}`);
        fill(recordBody, problemBox(error));
        recordPanel.hidden = false;
        return;
      }
      if (opened !== mine) return;
      showRecord();
    } else {
      await load(following || !shown ? "" : `at=${shown.position}`, following);
      if (opened?.record !== record || shown?.recordAsked !== record) return;
    }
    recordPanel.hidden = false;
    recordHeading.focus();
  }

  function showRecord() {
    if (!opened || !shown) return;
    if (opened.view === "state") {
      if (shown.recordAsked !== opened.record) return; // its replay has not come back (yet)
      fill(recordHeading, `${opened.title} as it was at position ${shown.position}`);
      fill(recordBody, h("p", { class: "note" }, "Recorded ", timeElement(shown.recorded_at), ". Every field, values exactly as stored."), recordAsOf(shown, opened.record));
    } else if (opened.rows) {
      fill(recordHeading, `Audit trail of ${opened.title}`);
      const mine = opened;
      fill(
        recordBody,
        trailTable(opened.rows, {
          section: opened.section,
          position: shown.position,
          names: people,
          filter: opened.filter,
          onFilter: (filter) => {
            mine.filter = filter;
          },
        }),
      );
    }
    recordPanel.hidden = false;
  }

  function close() {
    opened = null;
    recordPanel.hidden = true;
    fill(recordBody);
    slider.focus();
  }

  let timer = null;
  slider.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(`at=${slider.value}`), 120);
  });
  previous.addEventListener("click", () => shown && load(`at=${shown.previous}`));
  next.addEventListener("click", () => shown && load(`at=${shown.next}`));
  latest.addEventListener("click", () => load("", true));
  const timeForm = h("form", { class: "row", "aria-label": "Go to a time" }, h("div", { class: "field" }, h("label", { for: time.id }, "Moment (your local time)"), time), h("div", { class: "buttons" }, go));
  timeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (time.value) load(`time=${encodeURIComponent(new Date(time.value).toISOString())}`);
  });

  const exports = context.can("audit:export")
    ? h(
        "section",
        { "aria-labelledby": "exports-heading" },
        h("h2", { id: "exports-heading" }, "Exports"),
        h(
          "ul",
          {},
          h("li", {}, h("a", { href: path("export.jsonl"), download: "" }, "The log (JSON Lines, verifiable offline with concord verify FILE)")),
          h("li", {}, h("a", { href: path("export.csv"), download: "" }, "The audit trail (CSV)")),
          h("li", {}, h("a", { href: path("export.pdf"), download: "" }, "The audit report (PDF)")),
        ),
      )
    : null;

  fill(
    box,
    h("h1", {}, "Audit"),
    h(
      "section",
      { "aria-labelledby": "timeline-heading", class: "timeline" },
      h("h2", { id: "timeline-heading" }, "Timeline"),
      h("div", { class: "field" }, h("label", { for: slider.id }, "Position in the log"), slider, marks.strip),
      h("div", { class: "buttons" }, previous, next, latest),
      where,
      eventLine,
      problem,
      marks.details,
      h("div", { class: "row timeline-jumps" }, timeForm, jump),
      jumped,
      events.section,
    ),
    recordPanel,
    results,
    compare.section,
    h(
      "section",
      { "aria-labelledby": "verify-heading" },
      h("h2", { id: "verify-heading" }, "Verify the log"),
      h("p", {}, "Recomputes every event's hash from position 1 and checks the server's signed checkpoints against the chain."),
      actionButton("Verify the log", async () => {
        const bar = h("progress", { max: 1, value: 0, "aria-label": "Events checked" });
        const counted = h("span", {}, "Verifying…");
        fill(verification, h("p", {}, bar, " ", counted));
        let answered = false;
        await getLines(`${path("verification")}?progress=true`, (line) => {
          if ("summary" in line || "problem" in line) {
            answered = true;
            const text = line.summary ?? `The check did not finish: ${line.problem}.`;
            fill(verification, h("p", { class: line.ok ? "verified" : "problem" }, line.ok ? "✓ " : "✗ ", text));
          } else {
            bar.max = Math.max(line.head_position, 1);
            bar.value = line.checked;
            fill(counted, `${line.checked.toLocaleString()} of ${line.head_position.toLocaleString()} events checked`);
          }
        });
        if (!answered) fill(verification, h("p", { class: "problem" }, "✗ The check did not finish: the answer ended early. Try again."));
      }),
      verification,
    ),
    exports,
  );
  load("", true);
  events.load();
  return {
    refresh: () => following && load("", true),
    onEvents: () => {
      if (!following) return;
      load("", true);
      events.refresh();
    },
  };
}

/** The two ways to open a record from the replay: in full at this position, its trail. */
function recordButtons(open, record, title) {
  return h(
    "span",
    { class: "record-buttons" },
    h("button", { type: "button", class: "secondary", onclick: () => open(record, "state", title) }, `${title} in full`),
    h("button", { type: "button", class: "secondary", onclick: () => open(record, "trail", title) }, `Audit trail of ${title}`),
  );
}

function protocolAsOf(replay, open, commented) {
  const protocol = replay.protocol;
  return h(
    "section",
    { "aria-labelledby": "asof-protocol" },
    h("h2", { id: "asof-protocol" }, "Protocol as it was"),
    protocol
      ? [
          h("p", {}, `${protocol.title} — ${protocol.current_version ? `version ${protocol.current_version}` : "draft"}`),
          recordButtons(open, "protocol", "the protocol"),
          h(
            "div",
            { class: "sections-asof" },
            protocol.sections
              .filter((s) => s.text)
              .map((s) =>
                h(
                  "details",
                  {},
                  h("summary", {}, `${s.number} ${s.heading} (revision ${s.revision})`),
                  h("div", { class: "section-text" }, s.text),
                  h("button", { type: "button", class: "secondary", onclick: () => open("protocol", "trail", `section ${s.number}`, s.number) }, `Audit trail of section ${s.number}`),
                  commented.has(s.number)
                    ? h("button", { type: "button", class: "secondary", onclick: () => open(`comments/section/${s.number}`, "trail", `the comments on section ${s.number}`) }, `Audit trail of the comments on section ${s.number}`)
                    : null,
                ),
              ),
          ),
        ]
      : h("p", {}, "No protocol yet."),
  );
}

function rolesAsOf(context, replay, permissions, open, readsAccounts) {
  if (!replay.workspace) {
    return h("section", { "aria-labelledby": "asof-roles" }, h("h2", { id: "asof-roles" }, "Members and roles as they were"), h("p", {}, "No members yet."));
  }
  const organizations = replay.workspace.organizations;
  const allowed = new Map(permissions.members.map((m) => [m.user_id, m.actions]));
  return h(
    "section",
    { "aria-labelledby": "asof-roles" },
    h("h2", { id: "asof-roles" }, "Members and roles as they were"),
    replay.workspace ? recordButtons(open, "workspace", "the workspace") : null,
    Object.keys(replay.workspace.members).length
      ? h(
          "table",
          { class: "roles-asof" },
          h("thead", {}, h("tr", {}, ["Member", "Organization", "Roles", "Could attempt"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            Object.entries(replay.workspace.members).map(([userId, m]) =>
              h(
                "tr",
                {},
                h(
                  "td",
                  {},
                  readsAccounts
                    ? h("a", { href: `#/accounts/${encodeURIComponent(userId)}`, title: `${m.printed_name}'s account trail: sign-ins, passwords, roles, tokens` }, m.printed_name)
                    : m.printed_name,
                ),
                h("td", {}, organizations[m.organization_id]?.name ?? m.organization_id),
                h("td", {}, m.roles.map(humanize).join(", ") || "none"),
                h("td", { class: "actions" }, (allowed.get(m.user_id) ?? []).join(", ")),
              ),
            ),
          ),
        )
      : h("p", {}, "No members yet."),
  );
}

function recordsAsOf(replay, open) {
  const table = (id, title, headings, rows, empty) =>
    h(
      "section",
      { "aria-labelledby": id },
      h("h2", { id }, title),
      rows.length
        ? h(
            "div",
            { class: "table-scroll" },
            h("table", {}, h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c)))))),
          )
        : h("p", {}, empty),
    );
  return [
    table(
      "asof-amendments",
      "Amendments as they were",
      ["Amendment", "Summary", "Status", "Signatures", "Record"],
      replay.amendments.map((a) => [a.amendment_id, a.summary, badge(humanize(a.status), `status-${a.status}`), String(a.signatures), [
        recordButtons(open, `amendment/${a.amendment_id}`, a.amendment_id),
        h("button", { type: "button", class: "secondary", onclick: () => open(`comments/amendment/${a.amendment_id}`, "trail", `the comments on ${a.amendment_id}`) }, `Audit trail of the comments on ${a.amendment_id}`),
      ]]),
      "No amendments yet.",
    ),
    table(
      "asof-motions",
      "Motions as they were",
      ["Motion", "Question", "Status", "Tally", "Record"],
      replay.motions.map((m) => [m.motion_id, m.question, badge(humanize(m.status), `status-${m.status}`), m.tally.map((t) => `${t.option}: ${t.votes}`).join(", "), recordButtons(open, `motion/${m.motion_id}`, m.motion_id)]),
      "No motions yet.",
    ),
    table(
      "asof-disputes",
      "Disputes as they were",
      ["Dispute", "About", "Resolution", "Record"],
      replay.disputes.map((d) => [d.dispute_id, `${d.subject_kind} ${d.subject_id}`, d.resolution ?? "open", recordButtons(open, `dispute/${d.dispute_id}`, d.dispute_id)]),
      "No disputes yet.",
    ),
  ];
}
