// The protocol by its M11 outline: read a section, see who else is in it, edit it while
// the protocol is a draft (with colleagues' revisions arriving live), settle edit
// conflicts, and comment on it (a patient advocate's comment awaits a disposition, which
// everyone sees). After publication, sections change only through amendments.

import { get, post, trialPath } from "../api.js";
import { badge, field, fill, h, uid, xhtmlNodes } from "../dom.js";
import { diffWords } from "../diff.js";
import { actionButton, actionForm, hashFor, link, refresher } from "../page.js";
import { commentsPanel, threadHistory, touchesThread } from "./comments.js";
import { commentsOf } from "./records.js";
import { highlightArrival, isEmpty, othersRevision, revisionNews } from "./document.js";
import { richEditor } from "../rich-editor.js";
import { colourOf, savingStatus, sectionText } from "../shared-text.js";

export function mountProtocol(context, number, box) {
  const outline = h("nav", { class: "outline", "aria-label": "Protocol outline" });
  const header = h("div", { class: "section-header" });
  const presence = h("p", { class: "presence", "aria-live": "polite" });
  const flash = h("div", { role: "status", class: "flash" });
  let flashFor = null; // the section revision a flash message speaks of
  const conflicts = h("div", { class: "conflicts" });
  const text = h("div", { class: "section-text", tabindex: "0", "aria-label": "Section text" });
  const textBox = h("div", { class: "text-box" }, text);
  const editorBox = h("div", { class: "editor-box" });
  const commentsBox = h("div", { class: "section-comments" });
  const pane = h(
    "article",
    { class: "section-pane", "aria-labelledby": "section-heading", "data-skip-target": "" },
    header,
    presence,
    flash,
    conflicts,
    textBox,
    editorBox,
    commentsBox,
  );
  let shared = null; // the shared text of the section shown, while the protocol is a draft
  let commentsShown = null; // the section whose thread commentsBox holds
  // What a person typed as the merged text of each open conflict: a page rebuilt by a
  // live update (a colleague's presence, an event) must not throw it away.
  const mergedDrafts = new Map();
  const reasonDrafts = new Map(); // and the reason typed for settling it, likewise
  // The section's thread: the reply form open (if any) and what the last action did.
  const commentsUi = { replyingTo: null, message: "", box: commentsBox, refresh: () => refreshComments() };
  const refreshComments = refresher(commentsBox, async () => {
    const number = selected();
    if (!context.section(number)) return null;
    const [thread, history] = await Promise.all([commentsOf(context, "section", number), threadHistory(context, "section", number)]);
    if (commentsShown !== number) Object.assign(commentsUi, { replyingTo: null, message: "" });
    commentsShown = number;
    return commentsPanel(context, "section", number, thread, history, commentsUi, { heading: `Comments on section ${number}` });
  });

  const selected = () => number ?? context.protocol?.sections[0]?.number ?? null;

  function render() {
    const protocol = context.protocol;
    if (!protocol) {
      fill(box, noProtocol(context));
      return;
    }
    if (!box.contains(pane)) {
      fill(
        box,
        h("h1", { class: "visually-hidden" }, `Protocol: ${protocol.title}`),
        h("div", { class: "protocol" }, outline, pane),
      );
    }
    const first = !outline.hasChildNodes();
    renderOutline();
    renderSection();
    if (first) outline.querySelector('[aria-current="page"]')?.scrollIntoView({ block: "nearest" });
  }

  function renderOutline() {
    const protocol = context.protocol;
    const current = selected();
    fill(
      outline,
      h("h2", {}, protocol.title),
      h(
        "p",
        { class: "version" },
        protocol.current_version ? `Version ${protocol.current_version}` : "Draft",
      ),
      h("p", { class: "document-link" }, link(hashFor(context.trialId, "document"), "Read as one document")),
      publishForm(context),
      versionDocuments(context),
      h(
        "ol",
        {},
        protocol.sections.map((s) => {
          const here = presentIn(context, s.number);
          const conflicted = protocol.open_conflicts.some((c) => c.number === s.number);
          return h(
            "li",
            { class: `depth-${s.number.split(".").length}` },
            h(
              "a",
              {
                href: hashFor(context.trialId, "protocol", s.number),
                "aria-current": s.number === current ? "page" : false,
              },
              h("span", { class: "number" }, s.number === "lay-summary" ? "" : s.number),
              " ",
              s.heading,
            ),
            isEmpty(s) ? h("span", { class: "empty-marker" }, "(empty)") : null,
            conflicted ? badge("conflict", "conflict") : null,
            context.isParticipantFacing(s.number) ? badge("participant-facing", "facing") : null,
            here.length
              ? h("span", { class: "here" }, here.map((p) => p.name).join(", "))
              : null,
          );
        }),
      ),
    );
  }

  function renderSection() {
    const section = context.section(selected());
    if (!section) {
      fill(header, h("h2", { id: "section-heading" }, `No section ${selected()}`));
      fill(text);
      return;
    }
    fill(
      header,
      h("h2", { id: "section-heading" }, `${section.number === "lay-summary" ? "" : section.number} ${section.heading}`.trim()),
      h(
        "p",
        { class: "meta" },
        lastWritten(context, section),
        context.isParticipantFacing(section.number) ? [" ", badge("participant-facing", "facing")] : null,
      ),
    );
    const here = presentIn(context, section.number);
    fill(
      presence,
      here.length
        ? [
            "Also here: ",
            here.map((p, i) => [i ? ", " : "", h("span", { class: "person" }, `${p.name} (${p.activity})`)]),
          ]
        : "Nobody else is in this section.",
    );
    const typing = conflicts.contains(document.activeElement) ? document.activeElement : null;
    fill(
      conflicts,
      context.protocol.open_conflicts
        .filter((c) => c.number === section.number)
        .map((c) => conflictView(context, section, c, { mergedDrafts, reasonDrafts })),
    );
    if (typing?.name === "merged" || typing?.name === "reason") {
      // Rebuilt under the person's hands: give the box back where they were typing.
      const again = conflicts.querySelector(`[data-conflict="${typing.dataset.conflict}"][name="${typing.name}"]`);
      again?.focus();
      again?.setSelectionRange(typing.selectionStart, typing.selectionEnd);
    }
    if (flashFor !== null && flashFor !== section.revision) say(null);
    // The recorded text as the server wrote it from its markup (bold, lists, tables…).
    const rich = isEmpty(section) ? null : xhtmlNodes(section.html, { level: 2 });
    text.classList.toggle("rendered-text", Boolean(rich));
    fill(text, isEmpty(section) ? h("em", {}, "(empty)") : (rich ?? section.text));
    if (!context.published) {
      // The recorded revision, folded away: the shared text below is what people write.
      if (!textBox.querySelector("details")) {
        fill(textBox, h("details", { class: "recorded" }, h("summary", {}), text));
      }
      fill(textBox.querySelector("summary"), `Recorded text (revision ${section.revision})`);
      showShared(section);
      if (commentsShown !== section.number) refreshComments();
      return;
    }
    closeShared();
    if (textBox.firstChild !== text) fill(textBox, text);
    fill(editorBox, publishedNote());
    if (commentsShown !== section.number) refreshComments();
  }

  /** Tell the person what just happened to the section (until it changes again). */
  function say(message, kind = "done") {
    flashFor = message ? (context.section(selected())?.revision ?? null) : null;
    flash.className = `flash ${kind}`;
    fill(flash, message);
  }

  /** The draft's section as its shared text: everyone who may edit types into it at once;
   * everyone else watches it change. */
  function showShared(section) {
    const mayEdit = context.can("protocol:edit");
    if (shared?.number !== section.number || shared.outdated(section.revision)) {
      closeShared();
      shared = sharedPanel(context, section, { say });
      fill(editorBox, shared.node);
    }
    shared.update(section, mayEdit);
  }

  function closeShared() {
    if (!shared) return;
    shared.close();
    shared = null;
    fill(editorBox);
  }

  function eventsArrived(events) {
    if (shared) {
      shared.receive(events);
      if (events.every((event) => event.stream.includes("/text/section/"))) return;
    }
    if (events.some((event) => touchesThread(event, "section", selected()))) refreshComments();
    for (const event of events) {
      if (event.type === "SectionConflictResolved" && event.data.number === selected()) {
        const by = context.name(event.data.resolved_by);
        render();
        say(`Edit conflict ${event.data.conflict_number} was settled by ${by}; the text below is the one kept (revision ${event.data.revision}).`);
        return;
      }
    }
    render();
    // A colleague's revision of the section being read: shown for a moment, and said.
    const revised = events.findLast((event) => othersRevision(context, event) && event.data.number === selected());
    if (revised) {
      say(`${revisionNews(context, revised)}.`);
      highlightArrival(textBox);
    }
  }

  /** A published protocol changes only by amendment: say so, and where. */
  function publishedNote() {
    return h(
      "p",
      { class: "note" },
      `Version ${context.protocol.current_version} is published: sections change through amendments. `,
      context.can("amendment:author") ? link(hashFor(context.trialId, "amendments"), "Go to amendments") : null,
    );
  }

  context.live.setPresence(selected(), "viewing");
  render();
  return {
    refresh: render,
    onEvents: eventsArrived,
    onPresence: () => {
      if (context.protocol) {
        renderOutline();
        renderSection();
      }
      shared?.showCursors(context.present);
    },
    onRevoked: () => shared?.revoke("You may no longer read this trial."),
    dispose: () => {
      closeShared();
      context.live.setPresence(null);
    },
  };
}

function presentIn(context, number) {
  const seen = new Map();
  for (const p of context.present ?? []) {
    if (p.section !== number || p.amendment) continue; // (in an amendment's text of it)
    const known = seen.get(p.user_id);
    if (!known || p.activity === "editing") seen.set(p.user_id, p);
  }
  return [...seen.values()];
}

function noProtocol(context) {
  const title = h("input", { name: "title", required: true });
  return h(
    "section",
    {},
    h("h1", {}, "Protocol"),
    h("p", {}, "This trial has no protocol yet."),
    context.can("protocol:edit")
      ? actionForm(
          {
            label: "Start the protocol",
            submit: "Start from the M11 outline",
            onSubmit: async () => {
              await post(trialPath(context.trialId, "protocol"), { title: title.value });
              await context.loadProtocol();
            },
          },
          field("Protocol title", title),
        )
      : null,
  );
}

/** Each published version as a document (PDF and Word), newest first. */
function versionDocuments(context) {
  const versions = context.protocol.versions;
  if (!versions.length) return null;
  const file = (version, kind, name) =>
    h(
      "a",
      {
        href: trialPath(context.trialId, "protocol", "versions", String(version.version), `document.${kind}`),
        download: "",
        "aria-label": `Version ${version.version} as ${name}`,
      },
      name,
    );
  return h(
    "section",
    { class: "documents", "aria-labelledby": "documents-heading" },
    h("h3", { id: "documents-heading" }, "Documents"),
    h(
      "ul",
      {},
      [...versions].reverse().map((version) =>
        h(
          "li",
          {},
          `Version ${version.version} (effective ${version.effective_date}): `,
          file(version, "pdf", "PDF"),
          " · ",
          file(version, "docx", "Word"),
        ),
      ),
    ),
  );
}

function publishForm(context) {
  if (context.published || !context.can("protocol:publish")) return null;
  const date = h("input", { type: "date", name: "effective_date", required: true, value: today() });
  return actionForm(
    {
      label: "Publish version 1",
      submit: "Publish version 1",
      className: "compact",
      onSubmit: async () => {
        await post(trialPath(context.trialId, "protocol", "versions"), { effective_date: date.value });
        await context.loadProtocol();
      },
    },
    field("Effective date", date),
  );
}

export function today() {
  const now = new Date();
  const offset = now.getTimezoneOffset() * 60000;
  return new Date(now.getTime() - offset).toISOString().slice(0, 10);
}

/** Both texts side by side with what differs marked, and the ways to settle: keep one,
 * or merge by hand, saying why (prefilled with the proposer's reason). The resolution
 * is recorded in the log with its reason (SectionConflictResolved). */
function conflictView(context, section, conflict, { mergedDrafts, reasonDrafts }) {
  const parts = diffWords(section.text, conflict.text);
  const side = (kind) =>
    h(
      "pre",
      { class: "conflict-text" },
      parts
        .filter((p) => p.op === "same" || p.op === kind)
        .map((p) => (p.op === "same" ? p.text : h("mark", { class: kind }, p.text))),
    );
  const proposer = context.name(conflict.proposed_by);
  const headingId = uid("conflict");
  const reason = h("input", {
    name: "reason",
    required: true,
    autocomplete: "off",
    "data-conflict": String(conflict.conflict_number),
    value: reasonDrafts.get(conflict.conflict_number) ?? conflict.reason ?? "",
  });
  reason.addEventListener("input", () => reasonDrafts.set(conflict.conflict_number, reason.value));
  const resolve = (text) =>
    post(trialPath(context.trialId, "protocol", "conflicts", String(conflict.conflict_number), "resolution"), {
      head_revision: section.revision,
      text,
      reason: reason.value,
    }).then(() => {
      mergedDrafts.delete(conflict.conflict_number);
      reasonDrafts.delete(conflict.conflict_number);
      return context.loadProtocol();
    });
  const merged = h("textarea", {
    name: "merged",
    rows: 8,
    "data-conflict": String(conflict.conflict_number),
    value: mergedDrafts.get(conflict.conflict_number) ?? conflict.text,
  });
  merged.addEventListener("input", () => mergedDrafts.set(conflict.conflict_number, merged.value));
  return h(
    "section",
    { class: "conflict", "aria-labelledby": headingId },
    h("h3", { id: headingId }, `Edit conflict ${conflict.conflict_number} in section ${section.number}`),
    h(
      "p",
      {},
      `${proposer} edited from revision ${conflict.base_revision}, but revision ${section.revision} by ${context.name(section.author)} changed the same lines first. `,
      "Choose a text or merge them; the resolution is recorded in the trial's log.",
    ),
    conflict.reason ? h("p", { class: "conflict-reason" }, `${proposer}'s reason: ${conflict.reason}`) : null,
    h(
      "div",
      { class: "side-by-side" },
      h("figure", {}, h("figcaption", {}, `Current text (revision ${section.revision}, ${context.name(section.author)})`), side("removed")),
      h("figure", {}, h("figcaption", {}, `Proposed by ${proposer}`), side("added")),
    ),
    context.can("protocol:edit")
      ? h(
          "div",
          { class: "resolutions" },
          field("Reason for the resolution", reason, `Why this text is kept: it is recorded with the resolution.${conflict.reason ? ` It starts as ${proposer}'s reason.` : ""}`),
          actionButton("Keep current text", () => resolve(section.text)),
          actionButton(`Keep ${proposer}'s text`, () => resolve(conflict.text)),
          actionForm(
            { label: "Merge by hand", submit: "Record merged text", onSubmit: () => resolve(merged.value) },
            field("Merged text", merged, "Start from the proposed text and bring in what the current text adds."),
          ),
        )
      : null,
  );
}

/** A section's shared text: the live editor (read-only for those who may not edit), what
 * is saved, and recording the text as the section's next revision with a reason. */
function sharedPanel(context, section, { say }) {
  const number = section.number;
  const status = h("p", { class: "save-status", role: "status", "aria-live": "polite" });
  const notice = h("div", { class: "notice", "aria-live": "polite" });
  const area = h("div", { class: "shared-text" }, h("p", { class: "note" }, "Opening the section…"));
  const reason = h("input", { name: "reason", required: true, autocomplete: "off" });
  const record = actionForm(
    {
      label: `Record section ${number} as a revision`,
      submit: "Record revision",
      className: "compact record-revision",
      onSubmit: async () => {
        const answer = await post(trialPath(context.trialId, "protocol", "sections", number, "revisions"), {
          reason: reason.value,
        });
        reason.value = "";
        await context.loadProtocol();
        const revised = answer.events.find((e) => e.type === "SectionRevised");
        say(revised ? `Recorded as revision ${revised.data.revision}.` : "Recorded.");
      },
    },
    field("Reason for the change", reason, "Why the section changes: it is recorded with the revision."),
  );
  const text = sectionText(context, number, {
    onChange: () => showStatus(),
    onRefused: (problem) => {
      editor?.setEditable(false);
      fill(
        notice,
        h(
          "p",
          { class: "warning" },
          `${problem.title}: ${problem.detail} What you typed since is still on this page, but it was not recorded.`,
        ),
      );
      showStatus();
    },
  });
  let editor = null;
  let editable = false;
  let head = section;

  function showStatus() {
    if (!text.loaded) return;
    const info = text.info;
    const since = ` Since revision ${head.revision}, written by ${writersOf(info)}.`;
    if (text.refused || text.unsaved) fill(status, savingStatus(text));
    else if (editable) fill(status, `${savingStatus(text)}${since}`);
    else fill(status, "");
  }

  function writersOf(info) {
    return info.writers.length ? info.writers.map((id) => context.name(id)).join(", ") : "nobody yet";
  }

  text.open().then(
    (info) => {
      editor = richEditor({
        doc: text.doc,
        awareness: text.awareness,
        user: { name: context.me.printed_name, color: colourOf(context.me.user_id) },
        editable,
        label: `Text of section ${number}`,
      });
      fill(area, editor.node);
      showStatus();
    },
    (problem) => fill(area, h("p", { class: "error" }, `${problem.title}: ${problem.detail}`)),
  );

  return {
    number,
    node: h(
      "div",
      { class: "shared-panel" },
      status,
      notice,
      area,
      h("div", { class: "record-box" }),
      context.can("audit:read") ? authorship(context, number) : null,
    ),
    update(current, mayEdit) {
      head = current;
      const box = this.node.querySelector(".record-box");
      editable = mayEdit && !text.refused;
      editor?.setEditable(editable);
      if (mayEdit && !box.contains(record)) fill(box, record);
      if (!mayEdit) fill(box, h("p", { class: "note" }, "Your roles do not allow editing the protocol: you see colleagues' changes as they type."));
      if (text.info?.started && current.revision !== text.info.base_revision) {
        // Recorded as a new revision: who typed since starts afresh.
        get(trialPath(context.trialId, "protocol", "sections", number, "text")).then(
          (info) => {
            text.info = { ...text.info, base_revision: info.base_revision, writers: info.writers };
            showStatus();
          },
          () => {},
        );
      }
      showStatus();
    },
    receive: (events) => {
      text.receive(events);
      for (const event of events) {
        const by = event.stream === text.stream ? event.data.edited_by : null;
        if (by && text.info && !text.info.writers.includes(by)) text.info.writers.push(by);
      }
      if (events.some((e) => e.stream === text.stream)) showStatus();
    },
    showCursors: (present) => text.showCursors(present),
    outdated: (revision) => text.outdated(revision),
    /** The person lost access: nothing more they type could be recorded. */
    revoke: (why) => {
      text.refused = { title: why };
      editable = false;
      editor?.setEditable(false);
      fill(notice, h("p", { class: "warning" }, `${why} The text is read-only.`));
      showStatus();
    },
    close: () => {
      editor?.destroy();
      text.close();
    },
  };
}

/** For auditors: who wrote which words of the shared text since its last recorded revision
 * (GET .../text/history), read when opened. */
function authorship(context, number) {
  const body = h("div", { class: "authorship-body" });
  const panel = h("details", { class: "authorship" }, h("summary", {}, "Who wrote what since the last revision"), body);
  panel.addEventListener("toggle", async () => {
    if (!panel.open) return;
    fill(body, h("p", { class: "note" }, "Reading the history…"));
    try {
      const history = await get(trialPath(context.trialId, "protocol", "sections", number, "text", "history"));
      const writers = [...new Set(history.authored.map((run) => run.by).filter(Boolean))];
      fill(
        body,
        h("p", { class: "note" }, `Since revision ${history.base_revision}; words nobody is named for were already there.`),
        writers.length
          ? h("ul", { class: "writers" }, writers.map((id) => h("li", {}, swatch(id), context.name(id))))
          : h("p", {}, "Nobody has written since."),
        h(
          "p",
          { class: "authored" },
          history.authored.map((run) =>
            run.by ? h("span", { class: "by", title: context.name(run.by), "data-by": run.by }, swatch(run.by, run.text)) : run.text,
          ),
        ),
      );
    } catch (problem) {
      fill(body, h("p", { class: "error" }, `${problem.title}: ${problem.detail}`));
    }
  });
  return panel;
}

/** The person's colour (as their caret has it), set through the CSSOM (the CSP allows no
 * style attribute). */
function swatch(userId, text = "") {
  const mark = h("span", { class: text ? "written" : "swatch" }, text);
  mark.style.setProperty("--writer", colourOf(userId));
  return mark;
}

/** Who wrote the section's latest revision: a merged amendment's authors (and who merged
 * it), the writers of a recorded shared text, or its author. */
function lastWritten(context, section) {
  const writers = (section.contributors ?? []).map((id) => context.name(id)).join(", ");
  if (section.amendment_id) {
    const by = writers ? `, written by ${writers}` : "";
    return `Revision ${section.revision}, from amendment ${section.amendment_id}${by}; merged by ${context.name(section.author)}`;
  }
  const others = (section.contributors ?? []).some((id) => id !== section.author);
  if (others) return `Revision ${section.revision}, written by ${writers}; recorded by ${context.name(section.author)}`;
  return `Revision ${section.revision}, last written by ${context.name(section.author)}`;
}
