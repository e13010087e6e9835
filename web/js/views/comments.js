// A comment thread, as a section's panel and as an amendment's discussion draw it (one
// piece of code for both): the comments with their replies nested under what they
// answer, each with who (by name) and when (the log's UTC time, from the thread's
// history), what became of each patient advocate's comment (its disposition, with the
// reason the author is told), the "Reply" action, and the forms to comment and to record
// a disposition, the latter only for those who may record it.

import { get, post, trialPath } from "../api.js";
import { badge, field, h, humanize, timeElement } from "../dom.js";
import { actionForm, focusIn } from "../page.js";
import { person } from "./amendment-review.js";

/** The thread's events with their times (``{events}``, GET .../comments/{kind}/{id}/history). */
export async function threadHistory(context, kind, subjectId) {
  return (await get(trialPath(context.trialId, "comments", kind, subjectId, "history"))).events;
}

/** A thread's entries in log order: its comments (times from ``history``) and, on an
 * amendment, review remarks of older logs (ReviewCommented), each {key, position, time,
 * author, text, section, comment?, remark?, replyTo}. A comment posted after the history
 * was read comes last, without a time until the next read. */
export function threadEntries(thread, history) {
  const comments = thread?.comments ?? {};
  const entries = [];
  const seen = new Set();
  const entry = (comment, position, time) => ({
    key: comment.comment_id,
    position,
    time,
    author: comment.author_id,
    text: comment.text,
    section: comment.section ?? null,
    comment,
    replyTo: comment.in_reply_to ?? null,
  });
  for (const event of history) {
    if (event.type === "CommentPosted") {
      const id = event.data.comment_id;
      seen.add(id);
      entries.push(entry(comments[id] ?? { ...event.data }, event.position, event.recorded_at));
    } else if (event.type === "ReviewCommented") {
      const d = event.data;
      entries.push({ key: `remark-${event.position}`, position: event.position, time: event.recorded_at, author: d.commented_by, text: d.text, section: d.section ?? null, remark: true, replyTo: null });
    }
  }
  for (const comment of Object.values(comments)) {
    if (!seen.has(comment.comment_id)) entries.push(entry(comment, Infinity, null));
  }
  return entries;
}

/** The thread's entries as a list, replies nested under what they answer. ``path`` builds
 * the thread's routes; ``ui`` holds ``replyingTo`` (the comment a reply form is open
 * under), ``refresh()`` and ``box``; ``marks(entry)`` adds badges after who and when. */
export function threadList(context, entries, { path, ui, marks = () => null }) {
  const keys = new Set(entries.map((e) => e.key));
  const replies = new Map();
  for (const entry of entries) {
    if (entry.replyTo && keys.has(entry.replyTo)) replies.set(entry.replyTo, [...(replies.get(entry.replyTo) ?? []), entry]);
  }
  const top = entries.filter((e) => !e.replyTo || !keys.has(e.replyTo));
  const mayComment = context.can("comment:post");
  const draw = (entry) =>
    h(
      "li",
      { class: `comment${entry.remark ? " remark" : ""}`, id: `comment-${entry.key}` },
      h("p", { class: "comment-meta" }, h("strong", {}, person(context, entry.author)), entry.time ? [" ", timeElement(entry.time)] : "", marks(entry)),
      h("p", { class: "comment-text" }, entry.text),
      entry.comment ? disposition(context, entry.comment, path) : null,
      mayComment && entry.comment ? replyControl(context, entry, path, ui) : null,
      replies.has(entry.key) ? h("ul", { class: "replies", "aria-label": `Replies to ${context.name(entry.author)}` }, replies.get(entry.key).map(draw)) : null,
    );
  return entries.length ? h("ul", { class: "comments thread" }, top.map(draw)) : h("p", {}, "No comments yet.");
}

/** The panel of a section's thread (``subjectId``: its number), from the thread and its
 * history; ``ui`` as for :func:`threadList`, with ``message`` (what the last action did). */
export function commentsPanel(context, kind, subjectId, thread, history, ui, { heading = "Comments" } = {}) {
  const path = (...segments) => trialPath(context.trialId, "comments", kind, subjectId, ...segments);
  const text = h("textarea", { name: "comment", rows: 3, required: true });
  const headingId = `comments-${kind}-${subjectId}`.replace(/[^A-Za-z0-9-]/g, "-");
  return h(
    "section",
    { class: "comments-panel", "aria-labelledby": headingId },
    h("h2", { id: headingId }, heading),
    threadList(context, threadEntries(thread, history), { path, ui }),
    h("p", { class: "status-line", role: "status" }, ui.message ?? ""),
    context.can("comment:post")
      ? actionForm(
          {
            label: "Comment",
            submit: "Post comment",
            onSubmit: async () => {
              await post(path(), { text: text.value });
              text.value = "";
              ui.message = "Your comment is posted.";
              await ui.refresh();
            },
          },
          field("Your comment", text),
        )
      : null,
  );
}

/** Whether a live event changes the thread about ``subjectId``. */
export function touchesThread(event, kind, subjectId) {
  return (
    (event.type === "CommentPosted" || event.type === "FeedbackDispositioned") &&
    event.data.subject_kind === kind &&
    event.data.subject_id === subjectId
  );
}

/** What became of ``comment``: its disposition, by whom and why; or, for a patient
 * advocate's comment still without one, that it awaits one (and the form, for those who
 * may record it). */
function disposition(context, comment, path) {
  if (comment.disposition) {
    return h("p", { class: "disposition" }, badge(humanize(comment.disposition), comment.disposition), " by ", person(context, comment.dispositioned_by), `: ${comment.disposition_reason}`);
  }
  if (!comment.needs_disposition) return null;
  return [h("p", { class: "disposition" }, badge("awaiting disposition", "pending")), dispositionForm(context, comment, path)];
}

/** The form to say what became of ``comment`` (a patient advocate's), for those who may
 * and are not its author; ``path`` builds the thread's routes. */
export function dispositionForm(context, comment, path) {
  if (!context.can("feedback:disposition") || comment.author_id === context.me.user_id) return null;
  const choice = h("select", { name: "disposition" }, ["adopted", "partly_adopted", "declined"].map((d) => h("option", { value: d }, humanize(d))));
  const reason = h("input", { name: "disposition_reason", required: true });
  return actionForm(
    {
      label: `Disposition of comment ${comment.comment_id}`,
      submit: "Record disposition",
      className: "compact",
      onSubmit: () => post(path(comment.comment_id, "disposition"), { disposition: choice.value, reason: reason.value }),
    },
    h("div", { class: "row" }, field("Disposition", choice), field("Reason (the author is told)", reason)),
  );
}

/** "Reply to <name>" under a comment; pressed, a form to reply in its place (one open at
 * a time, kept open across live rebuilds by ``ui.replyingTo``). */
function replyControl(context, entry, path, ui) {
  const id = entry.key;
  if (ui.replyingTo !== id) {
    const button = h("button", { type: "button", class: "secondary compact", "data-reply": id }, `Reply to ${context.name(entry.author)}`);
    button.addEventListener("click", async () => {
      ui.replyingTo = id;
      await ui.refresh();
      focusIn(ui.box, `form[data-reply-to="${CSS.escape(id)}"] textarea`);
    });
    return h("div", { class: "buttons" }, button);
  }
  const text = h("textarea", { name: "reply", rows: 2, required: true });
  const form = actionForm(
    {
      label: `Reply to ${context.name(entry.author)}`,
      submit: "Post reply",
      className: "compact",
      onSubmit: async () => {
        await post(path(), { text: text.value, in_reply_to: id });
        ui.replyingTo = null;
        ui.message = "Your reply is posted.";
        await ui.refresh();
        focusIn(ui.box, `#comment-${CSS.escape(id)} button[data-reply="${CSS.escape(id)}"]`);
      },
    },
    field("Your reply", text),
  );
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  cancel.addEventListener("click", async () => {
    ui.replyingTo = null;
    await ui.refresh();
    focusIn(ui.box, `button[data-reply="${CSS.escape(id)}"]`);
  });
  form.querySelector(".buttons").append(cancel);
  form.dataset.replyTo = id;
  return form;
}
