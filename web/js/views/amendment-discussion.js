// An amendment's one discussion: its comments with their replies, each with who and when,
// anchored to a section of the change or about the whole amendment, patient advocates'
// comments with their dispositions, and the review remarks of older logs merged in by
// time. The thread is drawn as a section's is (comments.js); here: the anchors, and the
// form to comment about a chosen section. The thread updates live.

import { post, trialPath } from "../api.js";
import { badge, field, h } from "../dom.js";
import { actionForm } from "../page.js";
import { threadEntries, threadList } from "./comments.js";

/** The discussion's entries in log order: comments of the thread (times from the
 * amendment's history, which holds its thread's events) and review remarks. */
export function discussionEntries(amendment, thread, history) {
  return threadEntries(thread, history);
}

/** The Discussion tab. ``ui.replyingTo`` is the comment a reply form is open under. */
export function discussionTab(context, amendment, thread, history, ui) {
  const path = (...segments) => trialPath(context.trialId, "comments", "amendment", amendment.amendment_id, ...segments);
  const headings = Object.fromEntries(Object.values(amendment.changes).map((c) => [c.number, c.heading]));
  const marks = (entry) => [
    entry.section ? [" ", badge(`on ${entry.section} ${headings[entry.section] ?? ""}`.trim(), "anchor")] : "",
    entry.remark ? [" ", badge("review remark", "remark")] : "",
  ];
  return h(
    "div",
    { class: "discussion" },
    h("h2", { id: "h-discussion" }, "Discussion"),
    threadList(context, discussionEntries(amendment, thread, history), { path, ui, marks }),
    context.can("comment:post") ? newComment(context, amendment, path, ui) : null,
  );
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
