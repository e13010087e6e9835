// The trials a person belongs to, and a trial's overview: what awaits them.

import { get, trialPath } from "../api.js";
import { badge, h, humanize } from "../dom.js";
import { cards, hashFor, link, mountPage } from "../page.js";
import { awaitingSignature, commentsOf, loadAmendments } from "./records.js";

export function mountTrialList(me, box) {
  return mountPage(box, async () => {
    const trials = await get("/api/trials");
    return h(
      "section",
      {},
      h("h1", {}, "Your trials"),
      cards(
        trials,
        (t) => [link(hashFor(t.trial_id), h("strong", {}, t.title)), h("p", {}, t.trial_id)],
        `${me.printed_name} is not a member of any trial yet.`,
      ),
    );
  });
}

export function mountTrialHome(context, box) {
  return mountPage(box, async () => {
    const amendments = await loadAmendments(context);
    const awaiting = awaitingSignature(context, amendments);
    const mine = await myComments(context);
    const protocol = context.protocol;
    return h(
      "section",
      {},
      h("h1", {}, context.trial.title),
      h(
        "p",
        {},
        "Your roles: ",
        context.access.roles.length ? context.access.roles.map(humanize).join(", ") : "none",
      ),
      h(
        "section",
        { "aria-labelledby": "awaiting-heading" },
        h("h2", { id: "awaiting-heading" }, "Awaiting your signature or review"),
        awaiting.length
          ? h(
              "ul",
              { class: "awaiting" },
              awaiting.map(({ amendment, requirements, participantFacing }) =>
                h(
                  "li",
                  {},
                  link(
                    hashFor(context.trialId, "amendments", amendment.amendment_id),
                    `${amendment.amendment_id}: ${amendment.details?.summary ?? ""}`,
                  ),
                  " — ",
                  requirements.map((r) => r.name).join(", "),
                  participantFacing.length
                    ? h("span", {}, " ", badge("participant-facing", "facing"), ` ${participantFacing.join(", ")}`)
                    : null,
                ),
              ),
            )
          : h("p", {}, "Nothing awaits your signature."),
      ),
      mine.length
        ? h(
            "section",
            { "aria-labelledby": "comments-heading" },
            h("h2", { id: "comments-heading" }, "Your comments and what became of them"),
            h(
              "ul",
              { class: "my-comments" },
              mine.map(({ kind, id, comment }) =>
                h(
                  "li",
                  {},
                  placeOf(context, kind, id),
                  ": “",
                  comment.text,
                  "” — ",
                  comment.disposition
                    ? h(
                        "span",
                        {},
                        badge(humanize(comment.disposition), comment.disposition),
                        ` by ${context.name(comment.dispositioned_by)}: ${comment.disposition_reason}`,
                      )
                    : comment.needs_disposition
                      ? badge("awaiting disposition", "pending")
                      : "no disposition needed",
                ),
              ),
            ),
          )
        : null,
      h(
        "section",
        { "aria-labelledby": "places-heading" },
        h("h2", { id: "places-heading" }, "In this trial"),
        h(
          "ul",
          { class: "cards" },
          h(
            "li",
            {},
            link(hashFor(context.trialId, "protocol"), h("strong", {}, "Protocol")),
            h(
              "p",
              {},
              !protocol
                ? "Not drafted yet"
                : protocol.current_version
                  ? `Version ${protocol.current_version} published`
                  : "Draft (not yet published)",
            ),
          ),
          h(
            "li",
            {},
            link(hashFor(context.trialId, "amendments"), h("strong", {}, "Amendments")),
            h("p", {}, `${amendments.filter((a) => ["draft", "submitted", "approved"].includes(a.status)).length} open`),
          ),
          h("li", {}, link(hashFor(context.trialId, "motions"), h("strong", {}, "Motions"))),
          h("li", {}, link(hashFor(context.trialId, "disputes"), h("strong", {}, "Disputes"))),
        ),
      ),
    );
  });
}

/** The person's comments on sections and amendments, in the order the threads began,
 * each with the place it is about (read from the trial's list of comment threads). */
async function myComments(context) {
  const listed = await get(trialPath(context.trialId, "comments"));
  const threads = await Promise.all(
    listed.map(async ({ subject_kind: kind, subject_id: id }) => ({ kind, id, thread: await commentsOf(context, kind, id) })),
  );
  return threads.flatMap(({ kind, id, thread }) =>
    Object.values(thread.comments)
      .filter((c) => c.author_id === context.me.user_id)
      .map((comment) => ({ kind, id, comment })),
  );
}

function placeOf(context, kind, id) {
  return kind === "section"
    ? link(hashFor(context.trialId, "protocol", id), `section ${id}`)
    : link(hashFor(context.trialId, "amendments", id), id);
}
