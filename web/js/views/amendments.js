// Amendments: the list (signature progress, who acts next), opening one with its M11
// details, and one amendment's page read as a pull request: a header with its stepper
// and decisions, then tabs: the changes (tracked and clean, the documents, writing them),
// the details, the signatures (and signing), one discussion, and the history.

import { del, get, post, put, trialPath } from "../api.js";
import { badge, field, fill, h, xhtmlNodes } from "../dom.js";
import { spokenMarks } from "../tracked.js";
import { actionButton, actionForm, focusIn, hashFor, link, mountPage, nextId, refresher } from "../page.js";
import { rebasePanel } from "./amendment-rebase.js";
import { commentsOf, loadAmendment, loadAmendments, signaturesICouldGive } from "./records.js";
import { loadSites, versionAtSites } from "./sites.js";
import { disputesAbout } from "./disputes.js";
import { amendmentReasons, detailsFields } from "./amendment-forms.js";
import { richEditor } from "../rich-editor.js";
import { amendmentText, colourOf, savingStatus } from "../shared-text.js";
import { header, person, progressOf, statusBadge, tabbed } from "./amendment-review.js";
import { invalidationNotice, signaturesTab } from "./amendment-signing.js";
import { discussionEntries, discussionTab } from "./amendment-discussion.js";
import { historyTab } from "./amendment-history.js";
import { decisions } from "./amendment-decisions.js";

const OPEN = new Set(["draft", "submitted", "approved"]);
const EDITABLE = new Set(["draft", "submitted"]);

export function mountAmendmentList(context, box) {
  return mountPage(box, async () => {
    const rows = await loadAmendments(context);
    const canOpen = context.can("amendment:author") && context.published;
    return h(
      "section",
      {},
      h("h1", {}, "Amendments"),
      canOpen ? h("p", {}, link(hashFor(context.trialId, "amendments", "new"), "Open an amendment")) : null,
      rows.length
        ? h(
            "table",
            { class: "amendment-list" },
            h("caption", { class: "visually-hidden" }, "Amendments of the trial"),
            h("thead", {}, h("tr", {}, ["Amendment", "Summary", "Status", "Signatures", "Who acts next", "Opened by"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              rows.map((a) => {
                const progress = progressOf(context, a);
                return h(
                  "tr",
                  {},
                  h("td", { "data-label": "Amendment" }, link(hashFor(context.trialId, "amendments", a.amendment_id), a.amendment_id)),
                  h("td", { "data-label": "Summary" }, a.details?.summary ?? ""),
                  h("td", { "data-label": "Status" }, statusBadge(a.status)),
                  h("td", { class: "progress", "data-label": "Signatures" }, progress.signed),
                  h("td", { class: "next", "data-label": "Who acts next" }, progress.next),
                  h("td", { "data-label": "Opened by" }, person(context, a.opened_by)),
                );
              }),
            ),
          )
        : h("p", {}, "No amendments yet."),
    );
  });
}

/** Where the charter allows several substantial modifications under evaluation at once,
 * the others this one was evaluated alongside, each a link to its page. */
function concurrentNote(context, amendment) {
  const others = amendment.concurrent_with ?? [];
  if (!others.length) return null;
  const links = others.flatMap((id, i) => [i ? ", " : "", link(hashFor(context.trialId, "amendments", id), id)]);
  return h("p", { class: "warning concurrent" }, "Substantial modification under evaluation concurrently with ", ...links, ".");
}

export function mountNewAmendment(context, box) {
  return mountPage(box, async () => {
    if (!context.published) {
      return h("p", {}, "Amendments open against a published protocol version; this protocol has none yet.");
    }
    const details = detailsFields(await amendmentReasons());
    return h(
      "section",
      { class: "narrow-wide" },
      h("h1", {}, "Open an amendment"),
      h("p", {}, `Against the current protocol, version ${context.protocol.current_version}.`),
      actionForm(
        {
          label: "Amendment details",
          submit: "Open amendment",
          onSubmit: async () => {
            const rows = await get(trialPath(context.trialId, "amendments"));
            const answer = await post(trialPath(context.trialId, "amendments"), {
              amendment_id: nextId("A", rows.map((r) => r.amendment_id)),
              base_version: context.protocol.current_version,
              details: details.value(),
            });
            location.hash = hashFor(context.trialId, "amendments", answer.events[0].data.amendment_id);
          },
        },
        details.nodes,
      ),
    );
  });
}

export function mountAmendment(context, amendmentId, box) {
  let view = "tracked";
  // Kept across refreshes: the shared text being written stays bound to its editor; the
  // open tab, a question asked, a reply being written, the signature just given.
  let writing = null;
  const ui = { tab: "changes", asking: null, replyingTo: null, signed: null, message: "", box };
  const rebuild = refresher(box, async () => {
    // The tracked view comes from the server, against the base version or the current one.
    const against = view === "current" ? "current" : "base";
    const [amendment, thread, tracked, answer] = await Promise.all([
      loadAmendment(context, amendmentId),
      commentsOf(context, "amendment", amendmentId),
      view === "clean" ? null : get(`${trialPath(context.trialId, "amendments", amendmentId, "changes")}?against=${against}`),
      get(trialPath(context.trialId, "amendments", amendmentId, "history")),
    ]);
    const mayWrite = EDITABLE.has(amendment.status) && context.can("amendment:author");
    if (mayWrite && !writing) writing = authoring(context, amendment);
    if (!mayWrite && writing) {
      writing.close();
      writing = null;
    }
    writing?.update(amendment);
    const sites = amendment.merged_version ? await loadSites(context) : null;
    if (mayWrite) ui.reasons = await amendmentReasons();
    // Read just before the page is replaced (no input comes between): whether one of its
    // tabs has the focus, to give it back to the chosen tab once rebuilt.
    ui.tabFocused = box.contains(document.activeElement) && document.activeElement.getAttribute("role") === "tab";
    return amendmentPage(context, amendment, thread, answer.events, writing, ui, {
      view,
      tracked,
      sites,
      show: (next) => {
        view = next;
        refresh();
      },
    });
  });
  // A rebuild keeps the focus on the page's tabs where it was (the refresher keeps it in
  // form fields): the chosen tab takes it again.
  async function refresh() {
    await rebuild();
    if (ui.tabFocused && !box.contains(document.activeElement)) focusIn(box, `#tab-${ui.tab}`);
  }
  ui.refresh = refresh;
  ui.select = (tab) => (ui.showTab ? ui.showTab(tab) : (ui.tab = tab));
  ui.say = async (message) => {
    ui.message = message;
    await refresh();
    focusIn(box, "#amendment-status");
  };
  refresh();
  return {
    refresh,
    onEvents: (events) => {
      writing?.receive(events);
      if (!events.every((event) => event.stream.includes("/text/"))) refresh();
    },
    onPresence: () => writing?.showCursors(context.present),
    dispose: () => {
      writing?.close();
      context.live?.setPresence(null);
    },
  };
}

function amendmentPage(context, amendment, thread, history, writing, ui, tabs) {
  const path = (...segments) => trialPath(context.trialId, "amendments", amendment.amendment_id, ...segments);
  const mine = signaturesICouldGive(context, amendment);
  const toSign = () => {
    ui.select("signatures");
    focusIn(ui.box, "#sign");
  };
  const entries = discussionEntries(amendment, thread, history);
  // "Comment on 5.2" under a change: the discussion, its comment form about that section.
  tabs.comment = (number) => {
    ui.select("discussion");
    const about = ui.box.querySelector('#panel-discussion form[aria-label="Comment"] select[name="section"]');
    if (about) {
      about.value = number;
      about.dataset.dirty = "1";
    }
    ui.box.querySelector('#panel-discussion form[aria-label="Comment"] textarea')?.focus();
  };
  const panels = {
    changes: () => [
      OPEN.has(amendment.status) ? rebasePanel(context, amendment, path) : null,
      changesPanel(context, amendment, tabs),
      overview(amendment),
      documents(context, amendment),
      tabs.sites ? versionAtSites(context, tabs.sites, amendment.merged_version) : null,
      writing?.node ?? null,
    ],
    details: () => detailsTab(context, amendment, path, ui),
    signatures: () => signaturesTab(context, amendment, { mine, signed: ui.signed, path, ui }),
    discussion: () => discussionTab(context, amendment, thread, history, ui),
    history: () => historyTab(context, history),
    counts: { discussion: entries.length, history: history.length },
  };
  return h(
    "article",
    { class: "amendment" },
    header(context, amendment, history, decisions(context, amendment, path, ui)),
    h("p", { id: "amendment-status", class: "status-line", role: "status", tabindex: "-1" }, ui.message),
    invalidationNotice(context, amendment, history, { canSignAgain: mine.length > 0 }),
    amendment.closing_reason ? h("p", {}, `Reason: ${amendment.closing_reason}`) : null,
    concurrentNote(context, amendment),
    disputesAbout(context, "amendment", amendment.amendment_id),
    amendment.conflict
      ? h("p", { class: "warning" }, `In conflict: sections ${amendment.conflict.sections.join(", ")} were changed by ${amendment.conflict.merged_amendments.join(", ")} (version ${amendment.conflict.protocol_version}).`)
      : null,
    mine.length
      ? h("p", { class: "warning awaiting-you" }, `Awaiting your signature: ${mine.map((r) => r.name).join(", ")}. `, h("button", { type: "button", class: "link-button", onclick: toSign }, "Review, then sign"))
      : null,
    tabbed(ui, `Amendment ${amendment.amendment_id}`, panels),
  );
}

function section(title, ...children) {
  const id = `h-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), children);
}

/** The protocol as the amendment makes it, as files: the clean copy and the copy with its
 * changes tracked against its base version, each as PDF and Word. */
function documents(context, amendment) {
  const file = (copy, kind, label) =>
    h(
      "a",
      {
        href: `${trialPath(context.trialId, "amendments", amendment.amendment_id, `document.${kind}`)}?copy=${copy}`,
        download: "",
      },
      label,
    );
  return section(
    "Documents",
    h(
      "ul",
      { class: "documents" },
      h("li", {}, file("clean", "pdf", "Clean copy (PDF)"), " · ", file("clean", "docx", "Clean copy (Word)")),
      h(
        "li",
        {},
        file("tracked", "pdf", `Tracked changes against version ${amendment.base_version} (PDF)`),
        " · ",
        file("tracked", "docx", `Tracked changes against version ${amendment.base_version} (Word)`),
      ),
    ),
  );
}

/** What the tracked view is marked against, in words: the base version the amendment was
 * proposed on (a merged one: what it changed), or the current version. */
function trackedLabel(tracked) {
  const { kind, version } = tracked.against;
  if (kind === "current") {
    return `Tracked against the current version ${version} (proposed on version ${tracked.base_version}): what merging it now would change.`;
  }
  if (tracked.merged_version !== null) {
    return `What it changed: tracked against version ${version}, the version it was proposed on (merged as version ${tracked.merged_version}).`;
  }
  return `Tracked against version ${version}, as proposed on version ${version}.`;
}

/** The changes the amendment proposes: tracked as the server marks them (``tracked``: the
 * answer of ``.../changes``, against the base version or the current one; the tracked
 * documents show the base one too), or each change's clean new text (``html``). */
function changesPanel(context, amendment, tabs) {
  const conflicted = new Set(amendment.conflict?.sections ?? []);
  const tracked = tabs.view !== "clean" && tabs.tracked ? tabs.tracked : null;
  const changes = tracked ? tracked.sections : Object.values(amendment.changes);
  const current = tabs.tracked?.current_version ?? context.protocol?.current_version;
  // Against the current version only while it can still merge and the protocol moved on.
  const offerCurrent = OPEN.has(amendment.status) && current !== undefined && current !== amendment.base_version;
  const tab = (name, label) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        "aria-selected": String(tabs.view === name),
        "aria-controls": "changes-panel",
        onclick: () => tabs.show(name),
      },
      label,
    );
  return section(
    "Proposed changes",
    h(
      "div",
      { role: "tablist", "aria-label": "How to show the changes" },
      tab("tracked", `Tracked against version ${amendment.base_version}`),
      offerCurrent ? tab("current", `Against current version ${current}`) : null,
      tab("clean", "Clean text"),
    ),
    h(
      "div",
      { id: "changes-panel", role: "tabpanel", class: `changes ${tracked ? "tracked" : "clean"}` },
      tracked ? h("p", { class: "tracked-against" }, trackedLabel(tracked)) : null,
      changes.length
        ? changes.map((change) =>
            h(
              "section",
              { class: "change" },
              h(
                "h3",
                {},
                `${change.number} ${change.heading}`,
                context.isParticipantFacing(change.number) ? [" ", badge("participant-facing", "facing")] : null,
                conflicted.has(change.number) ? [" ", badge("conflict", "conflict")] : null,
              ),
              removes(change) ? h("p", { class: "removed-section" }, "This amendment removes the section.") : null,
              tracked && change.change === "unchanged" ? h("p", { class: "note" }, `Version ${tracked.against.version} already reads so.`) : null,
              tracked
                ? changeText(change.tracked_html, change.new_text ?? "", spokenMarks)
                : change.text === null
                  ? null
                  : changeText(change.html, change.text),
              h("p", { class: "why" }, h("strong", {}, "Description: "), change.description, h("br"), h("strong", {}, "Rationale: "), change.rationale),
              tabs.comment && context.can("comment:post")
                ? h("button", { type: "button", class: "secondary compact", onclick: () => tabs.comment(change.number) }, `Comment on ${change.number}`)
                : null,
            ),
          )
        : h("p", {}, "No section changes proposed yet."),
    ),
  );
}

/** A proposed change (as the amendment has it, or as ``.../changes`` marks it) removes its
 * section. */
function removes(change) {
  return "new_text" in change ? change.new_text === null && change.change !== "unchanged" : change.text === null;
}

/** A change's text from the server's XHTML (sub-headings below the change's h3); the
 * markup as typed if the XHTML does not parse. */
function changeText(html, text, marked = (nodes) => nodes) {
  const nodes = xhtmlNodes(html, { level: 3 });
  return nodes ? h("div", { class: "section-text rendered-text" }, marked(nodes)) : h("div", { class: "section-text" }, text);
}

/** M11's summary of changes, as the server answers it (the rows the documents carry). */
function overview(amendment) {
  const rows = amendment.summary_of_changes;
  if (!rows.length) return null;
  return section(
    "Overview of changes",
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ["Description", "Rationale", "Section(s)"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, r.description), h("td", {}, r.rationale), h("td", {}, r.sections.join(", "))))),
    ),
  );
}

/** The Details tab: M11's amendment details and, for those who may author it while it can
 * change, revising them (which invalidates any signature given: the signers are told). */
function detailsTab(context, amendment, path, ui) {
  const details = amendment.details;
  if (!details) return h("p", {}, "No details recorded.");
  const yesNo = (impact) => `${impact.likely ? "Yes" : "No"} — ${impact.explanation}`;
  const substantial = details.safety_or_rights_impact.likely || details.data_reliability_impact.likely;
  const scope = [...details.scope.countries, ...details.scope.sites];
  const entries = [
    ["Summary", details.summary],
    ["Primary reason", details.primary_reason],
    ["Secondary reasons", details.secondary_reasons.join("; ") || "none"],
    ["Substantial impact on participants' safety or rights?", yesNo(details.safety_or_rights_impact)],
    ["Substantial impact on the reliability and robustness of the data?", yesNo(details.data_reliability_impact)],
    ["Substantial modification", substantial ? "Yes: needs the ethics committee's approval" : "No"],
    ["Enrollment at the time", `${details.enrollment.value} ${details.enrollment.unit === "percent" ? "%" : "participants"}`],
    ["Scope", scope.length ? scope.join(", ") : "Global"],
  ];
  return [
    section("Amendment details (M11)", h("dl", { class: "details" }, entries.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))),
    EDITABLE.has(amendment.status) && context.can("amendment:author") ? reviseDetails(context, amendment, path, ui) : null,
  ];
}

function reviseDetails(context, amendment, path, ui) {
  const signers = amendment.signatures.map((s) => s.printed_name);
  const fields = detailsFields(ui.reasons, amendment.details);
  return h(
    "details",
    { class: "revise-details", open: ui.revising, ontoggle: (event) => (ui.revising = event.target.open) },
    h("summary", {}, "Revise the details"),
    actionForm(
        {
          label: "Revise the details",
          submit: "Revise details",
          onSubmit: async () => {
            const answer = await put(path("details"), { details: fields.value() });
            const invalidated = answer.events.find((e) => e.type === "SignaturesInvalidated");
            ui.revising = false;
            await ui.say(
              invalidated
                ? `The details are revised. The signatures of ${signers.join(", ")} no longer count; each is told on this page.`
                : "The details are revised.",
            );
          },
        },
      signers.length ? h("p", { class: "warning" }, `Revising invalidates the signatures of ${signers.join(", ")}: each is told and signs the new content again.`) : null,
      fields.nodes,
    ),
  );
}

/** Writing the amendment's changes: each section's proposed text is a shared text its
 * authors write together (starting from the amendment's own proposal for it), proposed as
 * the amendment's change with a description and a rationale. */
function authoring(context, amendment) {
  const amendmentId = amendment.amendment_id;
  const path = (...segments) => trialPath(context.trialId, "amendments", amendmentId, ...segments);
  const proposedNumbers = () => Object.keys(current.changes);
  let current = amendment;
  const choice = h(
    "select",
    { name: "number" },
    context.protocol.sections.map((s) => h("option", { value: s.number }, `${s.number} ${s.heading}`)),
  );
  choice.value = proposedNumbers()[0] ?? context.protocol.sections[0]?.number ?? "";
  const description = h("input", { name: "description", required: true, autocomplete: "off" });
  const rationale = h("input", { name: "rationale", required: true, autocomplete: "off" });
  const status = h("p", { class: "save-status", role: "status", "aria-live": "polite" });
  const area = h("div", { class: "shared-text" });
  const retractions = h("div", { class: "retractions" });
  let text = null;
  let editor = null;

  function showStatus() {
    if (!text?.loaded) return;
    fill(status, savingStatus(text));
  }

  function open(number) {
    editor?.destroy();
    text?.close();
    editor = null;
    const proposed = current.changes[number];
    description.value = proposed?.description ?? "";
    rationale.value = proposed?.rationale ?? "";
    fill(area, h("p", { class: "note" }, "Opening the text…"));
    text = amendmentText(context, amendmentId, number, {
      onChange: showStatus,
      onRefused: () => {
        editor?.setEditable(false);
        showStatus();
      },
    });
    const opening = text;
    text.open().then(
      () => {
        if (opening !== text) return;
        editor = richEditor({
          doc: text.doc,
          awareness: text.awareness,
          user: { name: context.me.printed_name, color: colourOf(context.me.user_id) },
          editable: true,
          label: `Proposed text of section ${number}`,
        });
        fill(area, editor.node);
        showStatus();
      },
      (problem) => fill(area, h("p", { class: "error" }, `${problem.title}: ${problem.detail}`)),
    );
  }
  choice.addEventListener("change", () => open(choice.value));
  open(choice.value);

  const form = actionForm(
    {
      label: "Propose a section change",
      submit: "Propose change",
      onSubmit: async () => {
        const answer = await post(path("texts", choice.value, "proposal"), {
          description: description.value,
          rationale: rationale.value,
        });
        const proposed = answer.events.find((e) => e.type === "SectionChangeProposed");
        fill(status, proposed ? `Proposed as the change to section ${choice.value}.` : "Proposed.");
      },
    },
    h("h3", {}, "Propose a section change"),
    h("p", {}, "Everyone who may author the amendment writes this text together; it starts from the amendment's proposal for the section, or the section's current text."),

    field("Section", choice),
    status,
    area,
    field("Description of the change", description, "A row of the Overview of Changes table."),
    field("Rationale", rationale),
  );

  function renderRetractions() {
    const numbers = proposedNumbers();
    fill(
      retractions,
      numbers.length
        ? h(
            "ul",
            { class: "retract" },
            numbers.map((n) =>
              h("li", {}, `Change to ${n} `, actionButton(`Retract change to ${n}`, () => del(path("changes", n)), { className: "secondary" })),
            ),
          )
        : null,
      current.authors.includes(context.me.user_id)
        ? null
        : h("p", { class: "note" }, "Proposing a change makes you one of its authors: authors neither approve nor review it, nor reject it."),
    );
  }
  renderRetractions();

  return {
    node: section("Write the amendment", retractions, form),
    update(next) {
      current = next;
      renderRetractions();
    },
    receive(events) {
      text?.receive(events);
      if (events.some((e) => e.stream === text?.stream)) showStatus();
    },
    showCursors: (present) => text?.showCursors(present),
    close() {
      editor?.destroy();
      text?.close();
    },
  };
}
