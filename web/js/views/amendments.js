// Amendments: the list, opening one with its M11 details, and one amendment's page —
// proposed changes (tracked and clean), signatures, review and comments.

import { del, get, post, trialPath } from "../api.js";
import { badge, field, fill, h, humanize, when, xhtmlNodes } from "../dom.js";
import { spokenMarks } from "../tracked.js";
import { actionButton, actionForm, hashFor, link, mountPage, nextId, refresher } from "../page.js";
import { rebasePanel } from "./amendment-rebase.js";
import { commentsPanel } from "./comments.js";
import { commentsOf, loadAmendment, signaturesICouldGive } from "./records.js";
import { loadSites, versionAtSites } from "./sites.js";
import { disputesAbout } from "./disputes.js";
import { amendmentReasons, detailsFields } from "./amendment-forms.js";
import { richEditor } from "../rich-editor.js";
import { amendmentText, colourOf, savingStatus } from "../shared-text.js";
import { today } from "./protocol.js";

const OPEN = new Set(["draft", "submitted", "approved"]);
const EDITABLE = new Set(["draft", "submitted"]);

export function mountAmendmentList(context, box) {
  return mountPage(box, async () => {
    const rows = await get(trialPath(context.trialId, "amendments"));
    const canOpen = context.can("amendment:author") && context.published;
    return h(
      "section",
      {},
      h("h1", {}, "Amendments"),
      canOpen ? h("p", {}, link(hashFor(context.trialId, "amendments", "new"), "Open an amendment")) : null,
      rows.length
        ? h(
            "table",
            {},
            h("caption", { class: "visually-hidden" }, "Amendments of the trial"),
            h("thead", {}, h("tr", {}, ["Amendment", "Summary", "Status", "Base version", "Opened by"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              rows.map((a) =>
                h(
                  "tr",
                  {},
                  h("td", {}, link(hashFor(context.trialId, "amendments", a.amendment_id), a.amendment_id)),
                  h("td", {}, a.summary),
                  h("td", {}, statusBadge(a.status)),
                  h("td", {}, String(a.base_version)),
                  h("td", {}, context.name(a.opened_by)),
                ),
              ),
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

function statusBadge(status) {
  return badge(humanize(status ?? "unknown"), `status-${status}`);
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
  // Kept across refreshes: the shared text being written stays bound to its editor.
  let writing = null;
  const refresh = refresher(box, async () => {
    // The tracked view comes from the server, against the base version or the current one.
    const against = view === "current" ? "current" : "base";
    const [amendment, thread, tracked] = await Promise.all([
      loadAmendment(context, amendmentId),
      commentsOf(context, "amendment", amendmentId),
      view === "clean" ? null : get(`${trialPath(context.trialId, "amendments", amendmentId, "changes")}?against=${against}`),
    ]);
    const mayWrite = EDITABLE.has(amendment.status) && context.can("amendment:author");
    if (mayWrite && !writing) writing = authoring(context, amendment);
    if (!mayWrite && writing) {
      writing.close();
      writing = null;
    }
    writing?.update(amendment);
    const sites = amendment.merged_version ? await loadSites(context) : null;
    return amendmentPage(context, amendment, thread, writing, {
      view,
      tracked,
      sites,
      show: (next) => {
        view = next;
        refresh();
      },
    });
  });
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

function amendmentPage(context, amendment, thread, writing, tabs) {
  const path = (...segments) => trialPath(context.trialId, "amendments", amendment.amendment_id, ...segments);
  const details = amendment.details;
  const mine = signaturesICouldGive(context, amendment);
  const isAuthor = amendment.authors.includes(context.me.user_id);
  return h(
    "article",
    { class: "amendment" },
    h("h1", {}, `Amendment ${amendment.amendment_id}`),
    h("p", { class: "lead" }, details?.summary ?? ""),
    h(
      "p",
      { class: "meta" },
      statusBadge(amendment.status),
      ` Base version ${amendment.base_version} · opened by ${context.name(amendment.opened_by)}`,
      amendment.merged_version ? ` · merged as version ${amendment.merged_version}` : "",
      h("br"),
      h("span", { class: "hash" }, `Content ${amendment.content_hash}`),
    ),
    amendment.closing_reason ? h("p", {}, `Reason: ${amendment.closing_reason}`) : null,
    concurrentNote(context, amendment),
    disputesAbout(context, "amendment", amendment.amendment_id),
    amendment.conflict
      ? h("p", { class: "warning" }, `In conflict: sections ${amendment.conflict.sections.join(", ")} were changed by ${amendment.conflict.merged_amendments.join(", ")} (version ${amendment.conflict.protocol_version}).`)
      : null,
    OPEN.has(amendment.status) ? rebasePanel(context, amendment, path) : null,
    mine.length
      ? h("p", { class: "warning" }, `Awaiting your signature: ${mine.map((r) => r.name).join(", ")}. `, h("a", { href: "#sign" , onclick: (e) => { e.preventDefault(); document.getElementById("sign")?.scrollIntoView(); document.getElementById("sign")?.focus(); } }, "Review, then sign below"))
      : null,
    changesPanel(context, amendment, tabs),
    documents(context, amendment),
    overview(amendment),
    detailsPanel(details),
    signaturesPanel(context, amendment),
    tabs.sites ? versionAtSites(context, tabs.sites, amendment.merged_version) : null,
    mine.length ? signPanel(context, amendment, mine, path) : null,
    writing?.node ?? null,
    writing ? submission(amendment, path) : null,
    decisions(context, amendment, path, isAuthor),
    reviewPanel(context, amendment, path),
    commentsPanel(context, "amendment", amendment.amendment_id, thread),
  );
}

function section(title, ...children) {
  const id = `h-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), children);
}

function signSection(...children) {
  return h("section", { id: "sign", tabindex: "-1", "aria-labelledby": "sign-heading" }, h("h2", { id: "sign-heading" }, "Your signature"), children);
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

function detailsPanel(details) {
  if (!details) return null;
  const yesNo = (impact) => `${impact.likely ? "Yes" : "No"} — ${impact.explanation}`;
  const substantial = details.safety_or_rights_impact.likely || details.data_reliability_impact.likely;
  const scope = [...details.scope.countries, ...details.scope.sites];
  const entries = [
    ["Primary reason", details.primary_reason],
    ["Secondary reasons", details.secondary_reasons.join("; ") || "none"],
    ["Substantial impact on participants' safety or rights?", yesNo(details.safety_or_rights_impact)],
    ["Substantial impact on the reliability and robustness of the data?", yesNo(details.data_reliability_impact)],
    ["Substantial modification", substantial ? "Yes: needs the ethics committee's approval" : "No"],
    ["Enrollment at the time", `${details.enrollment.value} ${details.enrollment.unit === "percent" ? "%" : "participants"}`],
    ["Scope", scope.length ? scope.join(", ") : "Global"],
  ];
  return section("Amendment details (M11)", h("dl", { class: "details" }, entries.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
}

function signaturesPanel(context, amendment) {
  const missing = new Set(amendment.missing_signatures.map((r) => r.name));
  return section(
    "Signatures",
    h(
      "ul",
      { class: "requirements" },
      amendment.required_signatures.map((r) =>
        h("li", {}, missing.has(r.name) ? badge("missing", "pending") : badge("given", "adopted"), ` ${r.name} (${r.meaning}, by ${r.signatories.roles.map(humanize).join(" or ")})`),
      ),
    ),
    amendment.signatures.length
      ? h(
          "table",
          { class: "signatures" },
          h("thead", {}, h("tr", {}, ["Printed name", "Meaning", "Signed", "Content signed"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            amendment.signatures.map((s) =>
              h("tr", {}, h("td", {}, s.printed_name), h("td", {}, s.meaning), h("td", {}, when(s.signed_at)), h("td", { class: "hash" }, s.content_hash)),
            ),
          ),
        )
      : h("p", {}, "No signatures on the current content."),
    amendment.invalidated_signatures.length
      ? h("p", { class: "note" }, `${amendment.invalidated_signatures.length} earlier signature(s) no longer count: the content changed after they were given.`)
      : null,
  );
}

function signPanel(context, amendment, requirements, path) {
  const ethics = requirements.find((r) => r.needs_committee_vote);
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const meaning = h(
    "select",
    { name: "meaning" },
    ["approval", "review", "responsibility", "authorship"].map((m) => h("option", { value: m, selected: m === requirements[0].meaning }, m)),
  );
  const statement = h(
    "p",
    {},
    `You sign as ${context.member?.printed_name ?? context.me.printed_name} the content shown on this page (${amendment.content_hash}). `,
    "Enter your password again to sign.",
  );
  const needed = h("p", {}, `Needed from you: ${requirements.map((r) => r.name).join(", ")}.`);
  if (ethics) {
    const meeting = h("input", { type: "date", name: "meeting_date", required: true, value: today() });
    const counts = ["in_favour", "against", "abstaining"].map((name) => h("input", { type: "number", min: 0, name, required: true, value: "0" }));
    const minutes = h("input", { name: "minutes_reference", required: true });
    const record = () =>
      post(path("ethics-approval"), {
        content_hash: amendment.content_hash,
        meeting_date: meeting.value,
        in_favour: Number(counts[0].value),
        against: Number(counts[1].value),
        abstaining: Number(counts[2].value),
        minutes_reference: minutes.value,
        password: password.value,
      });
    return signSection(
      needed,
      actionForm(
        { label: "Record ethics approval", submit: "Record approval and sign", onSubmit: record },
        statement,
        field("Meeting date", meeting),
        h("div", { class: "row" }, field("In favour", counts[0]), field("Against", counts[1]), field("Abstaining", counts[2])),
        field("Minutes reference", minutes),
        field("Password", password),
      ),
    );
  }
  const sign = () => post(path("signatures"), { meaning: meaning.value, content_hash: amendment.content_hash, password: password.value });
  return signSection(
    needed,
    actionForm(
      { label: "Sign the amendment", submit: "Sign", onSubmit: sign },
      statement,
      field("Meaning of your signature", meaning),
      field("Password", password),
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

function submission(amendment, path) {
  if (amendment.status !== "draft") return null;
  return section(
    "Submit for review",
    h("p", {}, "Submitting asks for the signatures listed below; the content can still change, which invalidates signatures given."),
    actionButton("Submit for review", () => post(path("submission"), {})),
  );
}

function decisions(context, amendment, path, isAuthor) {
  const forms = [];
  if (amendment.status === "submitted" && context.can("amendment:reject") && !isAuthor) {
    const reason = h("textarea", { name: "reason", rows: 2, required: true });
    forms.push(actionForm({ label: "Reject", submit: "Reject amendment", onSubmit: () => post(path("rejection"), { reason: reason.value }) }, field("Reason for rejecting", reason)));
  }
  if (amendment.status === "approved" && context.can("amendment:merge")) {
    const date = h("input", { type: "date", name: "effective_date", required: true, value: today() });
    forms.push(actionForm({ label: "Merge", submit: "Merge into a new protocol version", onSubmit: () => post(path("merge"), { effective_date: date.value }) }, field("Effective date", date)));
  }
  if (OPEN.has(amendment.status) && context.can("amendment:author")) {
    const reason = h("textarea", { name: "withdraw_reason", rows: 2, required: true });
    forms.push(
      h("details", {}, h("summary", {}, "Withdraw"), actionForm({ label: "Withdraw", submit: "Withdraw amendment", onSubmit: () => post(path("withdrawal"), { reason: reason.value }) }, field("Reason for withdrawing", reason))),
    );
  }
  return forms.length ? section("Decide", forms) : null;
}

function reviewPanel(context, amendment, path) {
  const comments = amendment.review_comments;
  const canReview = context.can("amendment:review") && OPEN.has(amendment.status);
  if (!comments.length && !canReview) return null;
  const text = h("textarea", { name: "review_text", rows: 3, required: true });
  const sectionChoice = h("select", { name: "section" }, h("option", { value: "" }, "The whole amendment"), Object.keys(amendment.changes).map((n) => h("option", { value: n }, n)));
  return section(
    "Review remarks",
    comments.length
      ? h("ul", { class: "comments" }, comments.map((c) => h("li", {}, h("strong", {}, context.name(c.commented_by)), c.section ? ` on ${c.section}` : "", ": ", c.text)))
      : h("p", {}, "No review remarks yet."),
    canReview
      ? actionForm(
          { label: "Add a review remark", submit: "Add remark", onSubmit: () => post(path("review-comments"), { text: text.value, section: sectionChoice.value || null }) },
          field("Remark", text),
          field("About", sectionChoice),
        )
      : null,
  );
}

