// A comment thread on a protocol section or an amendment: the comments, what became of
// each patient advocate's comment (its disposition, with the reason the author is told),
// and the forms to comment and to record a disposition.

import { post, trialPath } from "../api.js";
import { badge, field, h, humanize } from "../dom.js";
import { actionForm } from "../page.js";

/** The panel of the thread about ``subjectId`` (a section number or an amendment id). */
export function commentsPanel(context, kind, subjectId, thread, { heading = "Comments" } = {}) {
  const path = (...segments) => trialPath(context.trialId, "comments", kind, subjectId, ...segments);
  const comments = Object.values(thread.comments);
  const text = h("textarea", { name: "comment", rows: 3, required: true });
  const headingId = `comments-${kind}-${subjectId}`.replace(/[^A-Za-z0-9-]/g, "-");
  return h(
    "section",
    { class: "comments-panel", "aria-labelledby": headingId },
    h("h2", { id: headingId }, heading),
    comments.length
      ? h(
          "ul",
          { class: "comments" },
          comments.map((c) =>
            h(
              "li",
              { class: "comment" },
              h("p", {}, h("strong", {}, context.name(c.author_id)), c.in_reply_to ? ` (reply to ${c.in_reply_to})` : "", ": ", c.text),
              c.disposition
                ? h("p", { class: "disposition" }, badge(humanize(c.disposition), c.disposition), ` by ${context.name(c.dispositioned_by)}: ${c.disposition_reason}`)
                : c.needs_disposition
                  ? [h("p", { class: "disposition" }, badge("awaiting disposition", "pending")), dispositionForm(context, c, path)]
                  : null,
            ),
          ),
        )
      : h("p", {}, "No comments yet."),
    context.can("comment:post")
      ? actionForm({ label: "Comment", submit: "Post comment", onSubmit: () => post(path(), { text: text.value }) }, field("Your comment", text))
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
