// Disputes: raise one, escalate it along the charter's ladder, resolve it.

import { get, post, trialPath } from "../api.js";
import { loadEach } from "./records.js";
import { badge, field, h } from "../dom.js";
import { actionForm, cards, hashFor, link, mountPage, nextId } from "../page.js";

export function mountDisputeList(context, box) {
  return mountPage(box, async () => {
    const { ids, records: disputes } = await loadEach(context, "disputes");
    return h(
      "section",
      {},
      h("h1", {}, "Disputes"),
      cards(
        disputes,
        (d) => [
          link(hashFor(context.trialId, "disputes", d.dispute_id), h("strong", {}, `${d.dispute_id}: about ${d.subject_kind} ${d.subject_id}`)),
          h("p", {}, statusOf(d), ` ${d.concern}`),
        ],
        "No disputes.",
      ),
      context.can("dispute:raise") ? raiseForm(context, ids) : null,
    );
  });
}

function statusOf(dispute) {
  return dispute.resolution === null ? badge(`open at ${dispute.ladder[dispute.level].name}`, "pending") : badge("resolved", "adopted");
}

function raiseForm(context, ids) {
  const kind = h("select", { name: "subject_kind" }, ["amendment", "section", "decision"].map((k) => h("option", { value: k }, k)));
  const subject = h("input", { name: "subject_id", required: true });
  const concern = h("textarea", { name: "concern", rows: 3, required: true });
  return h(
    "section",
    { "aria-labelledby": "raise-heading" },
    h("h2", { id: "raise-heading" }, "Raise a dispute"),
    actionForm(
      {
        label: "Raise a dispute",
        submit: "Raise dispute",
        onSubmit: async () => {
          const answer = await post(trialPath(context.trialId, "disputes"), {
            dispute_id: nextId("D", ids),
            subject_kind: kind.value,
            subject_id: subject.value,
            concern: concern.value,
          });
          location.hash = hashFor(context.trialId, "disputes", answer.events[0].data.dispute_id);
        },
      },
      h("div", { class: "row" }, field("About", kind), field("Amendment id, section number or motion id", subject)),
      field("Concern", concern),
    ),
  );
}

export function mountDispute(context, disputeId, box) {
  return mountPage(box, async () => {
    const dispute = await get(trialPath(context.trialId, "disputes", disputeId));
    return disputePage(context, dispute);
  });
}

function disputePage(context, dispute) {
  const path = (...s) => trialPath(context.trialId, "disputes", dispute.dispute_id, ...s);
  const open = dispute.resolution === null;
  const level = dispute.ladder[dispute.level];
  const next = dispute.ladder[dispute.level + 1];
  const canHandle = open && context.can("dispute:handle");
  // The charter's ladder: at each level only its resolver roles resolve, never the raiser.
  const canResolve =
    canHandle &&
    dispute.raised_by !== context.me.user_id &&
    level.resolver_roles.some((role) => context.access.roles.includes(role));
  const escalation = h("input", { name: "escalation_reason", required: true });
  const resolution = h("textarea", { name: "resolution", rows: 2, required: true });
  const rationale = h("textarea", { name: "rationale", rows: 2, required: true });
  return h(
    "article",
    {},
    h("h1", {}, `Dispute ${dispute.dispute_id}`),
    h("p", { class: "meta" }, statusOf(dispute), ` About ${dispute.subject_kind} ${dispute.subject_id} · raised by ${context.name(dispute.raised_by)}`),
    h("p", { class: "lead" }, dispute.concern),
    h(
      "section",
      { "aria-labelledby": "ladder-heading" },
      h("h2", { id: "ladder-heading" }, "Escalation ladder"),
      h(
        "ol",
        { class: "ladder" },
        dispute.ladder.map((l, i) => h("li", { "aria-current": i === dispute.level ? "step" : false }, `${l.name} (resolved by ${l.resolver_roles.join(", ").replaceAll("_", " ")})`, i === dispute.level ? " — current level" : "")),
      ),
    ),
    open
      ? null
      : h("section", { "aria-labelledby": "resolution-heading" }, h("h2", { id: "resolution-heading" }, "Resolution"), h("p", {}, dispute.resolution), h("p", {}, h("strong", {}, "Rationale: "), dispute.rationale), h("p", {}, `Resolved by ${context.name(dispute.resolved_by)} at ${level.name}`)),
    canHandle && next
      ? actionForm({ label: "Escalate", submit: `Escalate to ${next.name}`, onSubmit: () => post(path("escalation"), { reason: escalation.value }) }, field("Reason for escalating", escalation))
      : null,
    canResolve
      ? actionForm(
          { label: "Resolve", submit: "Resolve dispute", onSubmit: () => post(path("resolution"), { resolution: resolution.value, rationale: rationale.value }) },
          field("Resolution", resolution),
          field("Rationale", rationale),
        )
      : null,
  );
}
