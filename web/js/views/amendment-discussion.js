// An amendment's one discussion: its comments with their replies, each with who and when,
// anchored to a section of the change or about the whole amendment, patient advocates'
// comments with their dispositions, and the review remarks of older logs merged in by
// time. Replying opens a form under the comment; the thread updates live.

import { post, trialPath } from "../api.js";
import { badge, field, h, humanize, timeElement } from "../dom.js";
import { actionForm, focusIn } from "../page.js";
import { dispositionForm } from "./comments.js";
import { person } from "./amendment-review.js";

/** The discussion's entries in log order: comments of the thread (times from the
 * history) and review remarks (ReviewCommented), each {key, position, time, author, text,
 * section, comment?, remark?, replyTo}. */
export function discussionEntries(amendment, thread, history) {
  const comments = thread?.comments ?? {};
  const entries = [];
  const seen = new Set();
  for (const event of history) {
    if (event.type === "CommentPosted") {
      const id = event.data.comment_id;
      const comment = comments[id] ?? { ...event.data };
      seen.add(id);
      entries.push({ key: id, position: event.position, time: event.recorded_at, author: comment.author_id, text: comment.text, section: comment.section ?? null, comment, replyTo: comment.in_reply_to ?? null });
    } else if (event.type === "ReviewCommented") {
      const d = event.data;
      entries.push({ key: `remark-${event.position}`, position: event.position, time: event.recorded_at, author: d.commented_by, text: d.text, section: d.section ?? null, remark: true, replyTo: null });
    }
  }
  // Posted after the history was read: last, without a time until the next reload.
  for (const comment of Object.values(comments)) {
    if (seen.has(comment.comment_id)) continue;
    entries.push({ key: comment.comment_id, position: Infinity, time: null, author: comment.author_id, text: comment.text, section: comment.section ?? null, comment, replyTo: comment.in_reply_to ?? null });
  }
  return entries;
}

/** The Discussion tab. ``ui.replyingTo`` is the comment a reply form is open under. */
export function discussionTab(context, amendment, thread, history, ui) {
  const path = (...segments) => trialPath(context.trialId, "comments", "amendment", amendment.amendment_id, ...segments);
  const entries = discussionEntries(amendment, thread, history);
  const keys = new Set(entries.map((e) => e.key));
  const replies = new Map();
  for (const entry of entries) {
    if (entry.replyTo && keys.has(entry.replyTo)) replies.set(entry.replyTo, [...(replies.get(entry.replyTo) ?? []), entry]);
  }
  const top = entries.filter((e) => !e.replyTo || !keys.has(e.replyTo));
  const headings = Object.fromEntries(Object.values(amendment.changes).map((c) => [c.number, c.heading]));
  const mayComment = context.can("comment:post");

  const draw = (entry) =>
    h(
      "li",
      { class: `comment${entry.remark ? " remark" : ""}`, id: `comment-${entry.key}` },
      h(
        "p",
        { class: "comment-meta" },
        h("strong", {}, person(context, entry.author)),
        entry.time ? [" ", timeElement(entry.time)] : "",
        entry.section ? [" ", badge(`on ${entry.section} ${headings[entry.section] ?? ""}`.trim(), "anchor")] : "",
        entry.remark ? [" ", badge("review remark", "remark")] : "",
      ),
      h("p", { class: "comment-text" }, entry.text),
      entry.comment ? disposition(context, entry.comment, path) : null,
      mayComment && entry.comment ? replyControl(context, entry, path, ui) : null,
      replies.has(entry.key) ? h("ul", { class: "replies", "aria-label": `Replies to ${context.name(entry.author)}` }, replies.get(entry.key).map(draw)) : null,
    );

  return h(
    "div",
    { class: "discussion" },
    h("h2", { id: "h-discussion" }, "Discussion"),
    entries.length ? h("ul", { class: "comments thread" }, top.map(draw)) : h("p", {}, "No comments yet."),
    mayComment ? newComment(context, amendment, path, ui) : null,
  );
}

function disposition(context, comment, path) {
  if (comment.disposition) {
    return h("p", { class: "disposition" }, badge(humanize(comment.disposition), comment.disposition), " by ", person(context, comment.dispositioned_by), `: ${comment.disposition_reason}`);
  }
  if (!comment.needs_disposition) return null;
  return [h("p", { class: "disposition" }, badge("awaiting disposition", "pending")), dispositionForm(context, comment, path)];
}

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
        await ui.refresh();
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

function newComment(context, amendment, path, ui) {
  const text = h("textarea", { name: "comment", rows: 3, required: true });
  const about = h(
    "select",
    { name: "section" },
    h("option", { value: "" }, "The whole amendment"),
    Object.values(amendment.changes).map((c) => h("option", { value: c.number }, `Section ${c.number} ${c.heading}`)),
  );
  return actionForm(
    {
      label: "Comment",
      submit: "Post comment",
      onSubmit: async () => {
        await post(path(), about.value ? { text: text.value, section: about.value } : { text: text.value });
        text.value = "";
        await ui.refresh();
        ui.say?.("Your comment is posted.");
      },
    },
    field("Your comment", text),
    field("About", about),
  );
}
