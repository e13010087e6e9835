// Motions: table one, vote or recuse, close it and see the tally.

import { get, post, trialPath } from "../api.js";
import { loadEach } from "./records.js";
import { badge, field, h, humanize, uid, when } from "../dom.js";
import { actionButton, actionForm, cards, hashFor, link, mountPage, nextId } from "../page.js";
import { membersOf } from "../trial.js";

export function mountMotionList(context, box) {
  return mountPage(box, async () => {
    const { ids, records: motions } = await loadEach(context, "motions");
    return h(
      "section",
      {},
      h("h1", {}, "Motions"),
      cards(
        motions,
        (m) => [
          link(hashFor(context.trialId, "motions", m.motion_id), h("strong", {}, `${m.motion_id}: ${m.question}`)),
          h("p", {}, badge(humanize(m.status), `status-${m.status}`), m.outcome ? ` Outcome: ${m.outcome}` : ""),
        ],
        "No motions yet.",
      ),
      context.can("motion:table") ? tableForm(context, ids) : null,
    );
  });
}

function tableForm(context, ids) {
  const question = h("textarea", { name: "question", rows: 2, required: true });
  const options = h("input", { name: "options", required: true, value: "yes, no" });
  const voters = membersOf(context).map((m) => {
    const box = h("input", { type: "checkbox", name: "voter", value: m.user_id, id: uid("voter"), checked: true });
    return { box, node: h("label", { for: box.id }, box, ` ${m.printed_name}`) };
  });
  const rule = h("select", { name: "quorum_rule" }, context.trial.charter.quorum_rules.map((r) => h("option", { value: r.name }, r.name)));
  const deadline = h("input", { type: "datetime-local", name: "deadline", required: true, value: inAWeek() });
  return h(
    "section",
    { "aria-labelledby": "table-heading" },
    h("h2", { id: "table-heading" }, "Table a motion"),
    actionForm(
      {
        label: "Table a motion",
        submit: "Table motion",
        onSubmit: async () => {
          const answer = await post(trialPath(context.trialId, "motions"), {
            motion_id: nextId("M", ids),
            question: question.value,
            options: options.value.split(",").map((o) => o.trim()).filter(Boolean),
            eligible_voters: voters.filter((v) => v.box.checked).map((v) => v.box.value),
            quorum_rule: rule.value,
            deadline: new Date(deadline.value).toISOString(),
          });
          location.hash = hashFor(context.trialId, "motions", answer.events[0].data.motion_id);
        },
      },
      field("Question", question),
      field("Options", options, "Comma-separated."),
      h("fieldset", {}, h("legend", {}, "Eligible voters"), h("div", { class: "checks" }, voters.map((v) => v.node))),
      h("div", { class: "row" }, field("Quorum rule", rule), field("Deadline", deadline)),
    ),
  );
}

function inAWeek() {
  const date = new Date(Date.now() + 7 * 86400000);
  date.setSeconds(0, 0);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

export function mountMotion(context, motionId, box) {
  return mountPage(box, async () => {
    const motion = await get(trialPath(context.trialId, "motions", motionId));
    return motionPage(context, motion);
  });
}

function motionPage(context, motion) {
  const path = (...s) => trialPath(context.trialId, "motions", motion.motion_id, ...s);
  const me = context.me.user_id;
  const open = motion.status === "open";
  const eligible = motion.eligible_voters.includes(me);
  const voted = me in motion.votes;
  const recused = me in motion.recused;
  const counts = Object.fromEntries(motion.options.map((o) => [o, 0]));
  for (const option of Object.values(motion.votes)) counts[option] = (counts[option] ?? 0) + 1;
  const reason = h("input", { name: "recusal_reason", required: true });
  return h(
    "article",
    {},
    h("h1", {}, `Motion ${motion.motion_id}`),
    h("p", { class: "lead" }, motion.question),
    h("p", { class: "meta" }, badge(humanize(motion.status), `status-${motion.status}`), ` Quorum rule ${motion.quorum_rule.name} · deadline ${when(motion.deadline)}`),
    motion.outcome ? h("p", { class: "outcome" }, `Outcome: ${motion.outcome}`) : motion.status === "decided" ? h("p", { class: "outcome" }, "No option reached the majority.") : null,
    h(
      "section",
      { "aria-labelledby": "tally-heading" },
      h("h2", { id: "tally-heading" }, "Tally"),
      h(
        "table",
        { class: "tally" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Option"), h("th", { scope: "col" }, "Votes"))),
        h("tbody", {}, motion.options.map((o) => h("tr", {}, h("td", {}, o), h("td", {}, String(counts[o]))))),
      ),
      h("p", {}, `${Object.keys(motion.votes).length} of ${motion.eligible_voters.length} eligible voters voted; ${Object.keys(motion.recused).length} recused.`),
    ),
    h(
      "section",
      { "aria-labelledby": "voters-heading" },
      h("h2", { id: "voters-heading" }, "Voters"),
      h(
        "ul",
        {},
        motion.eligible_voters.map((v) =>
          h("li", {}, context.name(v), " — ", v in motion.votes ? `voted ${motion.votes[v]}` : v in motion.recused ? `recused: ${motion.recused[v]}` : "not yet voted"),
        ),
      ),
    ),
    open && eligible && !voted && !recused && context.can("motion:vote")
      ? h(
          "section",
          { "aria-labelledby": "vote-heading" },
          h("h2", { id: "vote-heading" }, "Your vote"),
          h("div", { class: "buttons" }, motion.options.map((o) => actionButton(`Vote ${o}`, () => post(path("votes"), { option: o })))),
          actionForm({ label: "Recuse", submit: "Recuse myself", onSubmit: () => post(path("recusals"), { reason: reason.value }) }, field("Reason for recusing", reason)),
        )
      : null,
    open && context.can("motion:table") ? actionButton("Close the motion and count the votes", () => post(path("closure"), {})) : null,
  );
}
