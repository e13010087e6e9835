// An amendment's history in words: each event of the amendment and of its discussion with
// when the log recorded it and who, by printed name (the user id on hover).

import { h, humanize, timeElement } from "../dom.js";
import { namesOf, person } from "./amendment-review.js";

/** What one event says, in words (nodes), after the name of who caused it. */
function said(context, event) {
  const d = event.data;
  switch (event.type) {
    case "AmendmentOpened":
      return [`opened the amendment on version ${d.base_version}`];
    case "AmendmentDetailsRevised":
      return ["revised the amendment's details (M11)"];
    case "SectionChangeProposed":
      return [`proposed a change to section ${d.change.number} ${d.change.heading}: ${d.change.description}`];
    case "SectionChangeRetracted":
      return [`retracted the change to section ${d.number}`];
    case "AmendmentSubmitted":
      return ["submitted it for review"];
    case "ReviewCommented":
      return [`made a review remark${d.section ? ` on section ${d.section}` : ""}`];
    case "SignatureApplied":
      return [`signed (${d.signature.meaning})`];
    case "EthicsApprovalRecorded":
      return [`recorded the ethics committee's approval (minutes ${d.signature.committee_vote?.minutes_reference ?? ""})`];
    case "SignaturesInvalidated":
      return ["'s change invalidated the signatures of ", ...namesOf(context, d.signers), ": they sign the new content again"];
    case "AmendmentApproved":
      return ["'s signature completed the approval: every required signature is given"];
    case "AmendmentRejected":
      return [`rejected it: ${d.reason}`];
    case "AmendmentWithdrawn":
      return [`withdrew it: ${d.reason}`];
    case "AmendmentConflictDetected":
      return [`: version ${d.protocol_version} changed sections ${d.sections.join(", ")} too (conflict)`];
    case "AmendmentRebased":
      return [`rebased it onto version ${d.onto_version}`];
    case "AmendmentMerged":
      return [`merged it as version ${d.protocol_version}, effective ${d.effective_date}`];
    case "ConcurrentModificationNoted":
      return [`: under evaluation concurrently with ${d.concurrent_with.join(", ")}`];
    case "CommentPosted":
      return [`${d.in_reply_to ? "replied" : "commented"}${d.section ? ` on section ${d.section}` : ""}: “${d.text}”`];
    case "FeedbackDispositioned":
      return [`recorded a disposition: ${humanize(d.disposition)} (${d.reason})`];
    default:
      return [humanize(event.type)];
  }
}

/** Who caused an event: its actor, or for the server's own checks (conflicts, concurrent
 * modifications) "Concord". */
function who(context, event) {
  if (event.type === "SignaturesInvalidated" && event.data.invalidated_by) return person(context, event.data.invalidated_by);
  return event.actor ? person(context, event.actor) : h("span", {}, "Concord");
}

export function historyTab(context, history) {
  return h(
    "div",
    { class: "amendment-history" },
    h("h2", { id: "h-history" }, "History"),
    history.length
      ? h(
          "ol",
          { class: "timeline-events history" },
          history.map((event) => {
            const words = said(context, event);
            const joined = typeof words[0] === "string" && (words[0].startsWith("'") || words[0].startsWith(":")) ? words : [" ", ...words];
            return h("li", {}, timeElement(event.recorded_at), " ", h("strong", {}, who(context, event)), ...joined);
          }),
        )
      : h("p", {}, "Nothing recorded yet."),
  );
}
