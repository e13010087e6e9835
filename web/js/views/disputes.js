// Disputes: raise one about a record chosen from the trial's own (an amendment, a section,
// a motion), escalate it along the charter's ladder with a reason, resolve it; each with
// its dates and the ladder's history. ``disputesAbout`` lists the disputes about a record
// on that record's own page (linked both ways).

import { get, post, trialPath } from "../api.js";
import { loadEach } from "./records.js";
import { badge, field, fill, h, humanize, timeElement } from "../dom.js";
import { actionForm, cards, focusIn, hashFor, link, mountPage, nextId } from "../page.js";

/** A dispute's kind of subject -> the page (hash segment) its records live on. */
const SUBJECT_PAGES = { amendment: "amendments", section: "protocol", decision: "motions" };
const SUBJECT_WORDS = { amendment: "amendment", section: "section", decision: "motion" };

export function mountDisputeList(context, box) {
  return mountPage(box, async () => {
    const { ids, records: disputes } = await loadEach(context, "disputes");
    const subjects = context.can("dispute:raise") ? await subjectChoices(context) : null;
    return h(
      "section",
      {},
      h("h1", {}, "Disputes"),
      cards(
        disputes,
        (d) => [
          link(hashFor(context.trialId, "disputes", d.dispute_id), h("strong", {}, `${d.dispute_id}: about ${SUBJECT_WORDS[d.subject_kind]} ${d.subject_id}`)),
          h("p", {}, statusOf(d), ` ${d.concern}`),
        ],
        "No disputes.",
      ),
      subjects ? raiseForm(context, ids, subjects) : null,
    );
  });
}

function statusOf(dispute) {
  return dispute.resolution === null ? badge(`open at ${dispute.ladder[dispute.level].name}`, "pending") : badge("resolved", "adopted");
}

/** The link to a dispute's subject on its own page. */
function subjectLink(context, kind, subjectId) {
  const page = SUBJECT_PAGES[kind];
  return link(hashFor(context.trialId, page, subjectId), `${SUBJECT_WORDS[kind]} ${subjectId}`);
}

/** What a dispute may be about, from the trial's own records: its amendments, the
 * protocol's sections and its motions, each as [id, label]. */
async function subjectChoices(context) {
  const [amendments, protocol, motions] = await Promise.all([
    get(trialPath(context.trialId, "amendments")),
    get(trialPath(context.trialId, "protocol")).catch(() => ({ sections: [] })),
    loadEach(context, "motions").then((r) => r.records),
  ]);
  return {
    amendment: amendments.map((a) => [a.amendment_id, `${a.amendment_id}: ${a.summary || humanize(a.status)}`]),
    section: protocol.sections.map((s) => [s.number, `${s.number} ${s.heading}`]),
    decision: motions.map((m) => [m.motion_id, `${m.motion_id}: ${m.question}`]),
  };
}

function raiseForm(context, ids, subjects) {
  const kind = h("select", { name: "subject_kind" }, Object.keys(SUBJECT_PAGES).map((k) => h("option", { value: k }, SUBJECT_WORDS[k])));
  const subject = h("select", { name: "subject_id", required: true });
  const offer = () => {
    const choices = subjects[kind.value];
    fill(
      subject,
      h("option", { value: "" }, choices.length ? `Choose a ${SUBJECT_WORDS[kind.value]}` : `This trial has no ${SUBJECT_WORDS[kind.value]} yet`),
      choices.map(([value, label]) => h("option", { value }, label)),
    );
  };
  kind.addEventListener("change", offer);
  offer();
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
      h("div", { class: "row" }, field("About", kind), field("Subject", subject, "One of this trial's records; its page links back to the dispute.")),
      field("Concern", concern),
    ),
  );
}

export function mountDispute(context, disputeId, box) {
  // ``said``: the last action's confirmation, kept across the rebuilds live events cause.
  const ui = { said: null };
  const handle = { box, refresh: () => view.refresh() };
  const view = mountPage(box, async () => {
    const [dispute, history] = await Promise.all([
      get(trialPath(context.trialId, "disputes", disputeId)),
      get(trialPath(context.trialId, "disputes", disputeId, "history")),
    ]);
    return disputePage(context, dispute, history.events, ui, handle);
  });
  return view;
}

function disputePage(context, dispute, events, ui, handle) {
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
  const raised = events.find((e) => e.type === "DisputeRaised");
  const resolved = events.find((e) => e.type === "DisputeResolved");
  const escalations = events.filter((e) => e.type === "DisputeEscalated");
  const escalation = h("input", { name: "escalation_reason", required: true });
  const resolution = h("textarea", { name: "resolution", rows: 2, required: true });
  const rationale = h("textarea", { name: "rationale", rows: 2, required: true });
  const done = async (message) => {
    ui.said = message;
    await handle.refresh();
    focusIn(handle.box, "#dispute-status");
  };
  return h(
    "article",
    {},
    h("h1", {}, `Dispute ${dispute.dispute_id}`),
    h(
      "p",
      { class: "meta" },
      statusOf(dispute),
      " About ",
      subjectLink(context, dispute.subject_kind, dispute.subject_id),
      " · raised by ",
      h("span", { title: dispute.raised_by }, context.name(dispute.raised_by)),
      raised ? [" ", timeElement(raised.recorded_at)] : null,
    ),
    ui.said ? h("p", { class: "flash", role: "status", tabindex: "-1", id: "dispute-status" }, ui.said) : null,
    h("p", { class: "lead" }, dispute.concern),
    h(
      "section",
      { "aria-labelledby": "ladder-heading" },
      h("h2", { id: "ladder-heading" }, "Escalation ladder"),
      h(
        "ol",
        { class: "ladder" },
        dispute.ladder.map((l, i) => {
          const reached = i === 0 ? raised : escalations.find((e) => e.data.to_level === i);
          return h(
            "li",
            { "aria-current": i === dispute.level ? "step" : false },
            `${l.name} (resolved by ${l.resolver_roles.map(humanize).join(", ")})`,
            i === dispute.level ? " — current level" : "",
            reached && i > 0 ? h("span", { class: "meta" }, " — escalated by ", context.name(reached.actor), " ", timeElement(reached.recorded_at), `: “${reached.data.reason}”`) : null,
          );
        }),
      ),
    ),
    open
      ? null
      : h(
          "section",
          { "aria-labelledby": "resolution-heading" },
          h("h2", { id: "resolution-heading" }, "Resolution"),
          h("p", {}, dispute.resolution),
          h("p", {}, h("strong", {}, "Rationale: "), dispute.rationale),
          h("p", {}, `Resolved by ${context.name(dispute.resolved_by)} at ${level.name}`, resolved ? [", ", timeElement(resolved.recorded_at)] : null),
        ),
    canHandle && next
      ? actionForm(
          {
            label: "Escalate",
            submit: `Escalate to ${next.name}`,
            onSubmit: async () => {
              await post(path("escalation"), { reason: escalation.value });
              await done(`${dispute.dispute_id} escalated to ${next.name}.`);
            },
          },
          field("Reason for escalating", escalation),
        )
      : null,
    canResolve
      ? actionForm(
          {
            label: "Resolve",
            submit: "Resolve dispute",
            onSubmit: async () => {
              await post(path("resolution"), { resolution: resolution.value, rationale: rationale.value });
              await done(`${dispute.dispute_id} resolved at ${level.name}.`);
            },
          },
          field("Resolution", resolution),
          field("Rationale", rationale),
        )
      : null,
    historySection(context, events),
  );
}

const HAPPENED = {
  DisputeRaised: (d) => `raised it at ${d.ladder[0]?.name ?? "the first level"}: “${d.concern}”`,
  DisputeEscalated: (d) => `escalated it to ${d.level_name}: “${d.reason}”`,
  DisputeResolved: (d) => `resolved it at ${d.level_name}: “${d.resolution}”`,
};

function historySection(context, events) {
  return h(
    "section",
    { "aria-labelledby": "dispute-history-heading" },
    h("h2", { id: "dispute-history-heading" }, "History"),
    h(
      "ol",
      { class: "dispute-history" },
      events.map((e) => h("li", {}, timeElement(e.recorded_at), " ", h("span", { title: e.actor ?? "" }, context.name(e.actor)), " ", (HAPPENED[e.type] ?? (() => humanize(e.type)))(e.data))),
    ),
  );
}

/** "Disputes about A-1": the disputes whose subject is ``subjectId`` of ``kind``
 * ("amendment", "section", "decision"), each linked, for that record's own page. The
 * element fills itself once the disputes are read; it stays empty when there are none. */
export function disputesAbout(context, kind, subjectId) {
  const box = h("section", { class: "disputes-about", "aria-label": `Disputes about ${subjectId}` });
  loadEach(context, "disputes").then(({ records }) => {
    const about = records.filter((d) => d.subject_kind === kind && d.subject_id === subjectId);
    if (!about.length) return;
    fill(
      box,
      h("h2", {}, `Disputes about ${subjectId}`),
      h(
        "ul",
        {},
        about.map((d) => h("li", {}, link(hashFor(context.trialId, "disputes", d.dispute_id), `${d.dispute_id}: ${d.concern}`), " ", statusOf(d))),
      ),
    );
  }, () => {}); // the page's own reading shows a problem; this list simply stays empty
  return box;
}
