// Motions: table one, vote (after confirming) or recuse, close it and see the tally drawn
// as bars with the quorum line and the arithmetic in words.

import { get, post, trialPath } from "../api.js";
import { loadEach } from "./records.js";
import { badge, field, h, humanize, timeElement, uid, untilWords, utc } from "../dom.js";
import { actionButton, actionForm, cards, confirmation, focusIn, hashFor, link, mountPage, nextId } from "../page.js";
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
          h("p", {}, badge(humanize(m.status), `status-${m.status}`), m.outcome ? ` Outcome: ${m.outcome}` : "", m.status === "open" ? ` · ${deadlineWords(m.deadline)}` : ""),
        ],
        "No motions yet.",
      ),
      context.can("motion:table") ? tableForm(context, ids) : null,
    );
  });
}

/** Who may be put to a vote (the domain's rule, domain.motion.may_vote): a member holding
 * a role, never an auditor. The server refuses anyone else; the page says why first. */
function mayVote(member) {
  return member.roles.length > 0 && !member.roles.includes("auditor");
}

function tableForm(context, ids) {
  const question = h("textarea", { name: "question", rows: 2, required: true });
  const options = h("input", { name: "options", required: true, value: "yes, no" });
  const voters = membersOf(context).map((m) => {
    const allowed = mayVote(m);
    const box = h("input", { type: "checkbox", name: "voter", value: m.user_id, id: uid("voter"), checked: allowed, disabled: !allowed });
    const why = m.roles.includes("auditor") ? " (auditor: observes, never votes)" : allowed ? "" : " (no role yet: cannot vote)";
    return { box, node: h("label", { for: box.id, title: m.user_id }, box, ` ${m.printed_name}`, why) };
  });
  const rule = h("select", { name: "quorum_rule" }, context.trial.charter.quorum_rules.map((r) => h("option", { value: r.name }, `${r.name} (${ruleWords(r)})`)));
  const deadline = h("input", { type: "datetime-local", name: "deadline", required: true, value: inAWeek() });
  const hint = h("p", { class: "hint", "aria-live": "polite" });
  const describe = () => {
    const iso = `${deadline.value}:00Z`;
    hint.textContent = deadline.value ? `The motion ${deadlineWords(iso)}.` : "";
  };
  deadline.addEventListener("input", describe);
  describe();
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
            eligible_voters: voters.filter((v) => v.box.checked && !v.box.disabled).map((v) => v.box.value),
            quorum_rule: rule.value,
            // The one time zone people read: the log's UTC.
            deadline: `${deadline.value}:00Z`,
          });
          location.hash = hashFor(context.trialId, "motions", answer.events[0].data.motion_id);
        },
      },
      field("Question", question),
      field("Options", options, "Comma-separated."),
      h(
        "fieldset",
        {},
        h("legend", {}, "Eligible voters"),
        h("p", { class: "hint" }, "Every member who holds a role that votes, ticked; an auditor never votes."),
        h("div", { class: "checks" }, voters.map((v) => v.node)),
      ),
      h("div", { class: "row" }, field("Quorum rule", rule), h("div", {}, field("Deadline (UTC)", deadline), hint)),
    ),
  );
}

/** A week from now, to the minute, as a datetime-local value in UTC. */
function inAWeek() {
  const date = new Date(Date.now() + 7 * 86400000);
  date.setUTCSeconds(0, 0);
  return date.toISOString().slice(0, 16);
}

/** "closes in 3 days, 2026-12-07 12:00:00 UTC" ("closed 2 hours ago, …" once past, by the
 * reader's clock; the server decides). */
function deadlineWords(iso) {
  const words = untilWords(iso);
  return `${words.endsWith("ago") ? "closed" : "closes"} ${words}, ${utc(iso)}`;
}

/** "at least 1/2 vote, more than 1/2 of the votes carries". */
function ruleWords(rule) {
  return `${share(rule.participation)} of the voters vote; ${share(rule.majority)} of the votes carries`;
}

function share(threshold) {
  return `${threshold.inclusive ? "at least" : "more than"} ${threshold.numerator}/${threshold.denominator}`;
}

/** The smallest part of ``whole`` that reaches ``threshold`` (domain.charter.Threshold). */
function smallestPart(threshold, whole) {
  const scaled = threshold.numerator * whole;
  const quotient = Math.floor(scaled / threshold.denominator);
  const remainder = scaled % threshold.denominator;
  return threshold.inclusive ? quotient + (remainder ? 1 : 0) : quotient + 1;
}

export function mountMotion(context, motionId, box) {
  // ``confirming``: the option whose vote is being confirmed; ``said``: the last action's
  // confirmation, kept across the rebuilds live events cause.
  const ui = { confirming: null, said: null };
  const handle = { box, refresh: () => view.refresh() };
  const view = mountPage(box, async () => {
    const [motion, history] = await Promise.all([
      get(trialPath(context.trialId, "motions", motionId)),
      get(trialPath(context.trialId, "motions", motionId, "history")),
    ]);
    return motionPage(context, motion, history.events, ui, handle);
  });
  return view;
}

function motionPage(context, motion, events, ui, handle) {
  const path = (...s) => trialPath(context.trialId, "motions", motion.motion_id, ...s);
  const me = context.me.user_id;
  const open = motion.status === "open";
  const eligible = motion.eligible_voters.includes(me);
  const voted = me in motion.votes;
  const recused = me in motion.recused;
  const tabled = events.find((e) => e.type === "MotionTabled");
  return h(
    "article",
    {},
    h("h1", {}, `Motion ${motion.motion_id}`),
    h("p", { class: "lead" }, motion.question),
    h(
      "p",
      { class: "meta" },
      badge(humanize(motion.status), `status-${motion.status}`),
      ` Quorum rule ${motion.quorum_rule.name} (${ruleWords(motion.quorum_rule)})`,
      tabled ? [" · tabled by ", context.name(tabled.actor), " ", timeElement(tabled.recorded_at)] : null,
    ),
    h("p", { class: "deadline" }, open ? `Voting ${deadlineWords(motion.deadline)}` : ["Deadline ", timeElement(motion.deadline)]),
    motion.outcome ? h("p", { class: "outcome" }, `Outcome: ${motion.outcome}`) : motion.status === "decided" ? h("p", { class: "outcome" }, "No option reached the majority.") : null,
    ui.said ? h("p", { class: "flash", role: "status", tabindex: "-1", id: "motion-status" }, ui.said) : null,
    tallySection(motion),
    h(
      "section",
      { "aria-labelledby": "voters-heading" },
      h("h2", { id: "voters-heading" }, "Voters"),
      h(
        "ul",
        {},
        motion.eligible_voters.map((v) =>
          h("li", { title: v }, context.name(v), " — ", v in motion.votes ? `voted ${motion.votes[v]}` : v in motion.recused ? `recused: ${motion.recused[v]}` : "not yet voted"),
        ),
      ),
    ),
    open && eligible && context.can("motion:vote") ? voteSection(context, motion, path, ui, handle, { voted, recused }) : null,
    open && context.can("motion:table") ? actionButton("Close the motion and count the votes", () => post(path("closure"), {})) : null,
    historySection(context, events),
  );
}

function voteSection(context, motion, path, ui, handle, { voted, recused }) {
  const heading = h("h2", { id: "vote-heading" }, "Your vote");
  if (voted || recused) {
    const what = voted ? `You voted “${motion.votes[context.me.user_id]}”.` : `You recused yourself: ${motion.recused[context.me.user_id]}.`;
    return h("section", { "aria-labelledby": "vote-heading" }, heading, h("p", {}, what, " A vote or a recusal is final: the charter counts one per voter, so it cannot be changed."));
  }
  if (ui.confirming !== null) {
    const option = ui.confirming;
    return h(
      "section",
      { "aria-labelledby": "vote-heading" },
      heading,
      confirmation({
        label: "Confirm your vote",
        question: `Vote “${option}” on ${motion.motion_id}? Once cast, a vote cannot be changed.`,
        confirm: `Cast my vote: ${option}`,
        keep: "Cancel",
        onConfirm: async () => {
          await post(path("votes"), { option });
          ui.confirming = null;
          ui.said = `Your vote “${option}” on ${motion.motion_id} is recorded.`;
          await handle.refresh();
          focusIn(handle.box, "#motion-status");
        },
        onKeep: async () => {
          ui.confirming = null;
          ui.said = "No vote was cast.";
          await handle.refresh();
          focusIn(handle.box, "#motion-status");
        },
      }),
    );
  }
  const reason = h("input", { name: "recusal_reason", required: true });
  return h(
    "section",
    { "aria-labelledby": "vote-heading" },
    heading,
    h(
      "div",
      { class: "buttons" },
      motion.options.map((o) => {
        const button = h("button", { type: "button" }, `Vote ${o}`);
        button.addEventListener("click", async () => {
          ui.confirming = o;
          ui.said = null;
          await handle.refresh();
          focusIn(handle.box, "form.confirm button[type=submit]");
        });
        return button;
      }),
    ),
    actionForm(
      {
        label: "Recuse",
        submit: "Recuse myself",
        onSubmit: async () => {
          await post(path("recusals"), { reason: reason.value });
          ui.said = `You recused yourself from ${motion.motion_id}.`;
          await handle.refresh();
          focusIn(handle.box, "#motion-status");
        },
      },
      field("Reason for recusing", reason),
    ),
  );
}

/** The tally as bars: one per option (its share of the votes cast, the majority's line
 * across them), and one for turnout (votes cast of the eligible voters, the quorum's
 * line), with the arithmetic in a sentence. Widths are set through the CSSOM, which the
 * page's CSP allows (no style attributes). */
function tallySection(motion) {
  const eligible = motion.eligible_voters.length;
  const cast = Object.keys(motion.votes).length;
  const recusedCount = Object.keys(motion.recused).length;
  const counts = Object.fromEntries(motion.options.map((o) => [o, 0]));
  for (const option of Object.values(motion.votes)) counts[option] = (counts[option] ?? 0) + 1;
  const needed = Math.max(1, smallestPart(motion.quorum_rule.participation, eligible));
  const majority = cast ? smallestPart(motion.quorum_rule.majority, cast) : null;
  const ranked = [...motion.options].sort((a, b) => counts[b] - counts[a]);
  const leader = ranked[0];
  const tied = ranked.length > 1 && counts[ranked[0]] === counts[ranked[1]];
  const quorate = cast >= needed;
  const sentence = [
    `${cast} of ${eligible} eligible voted${recusedCount ? ` (${recusedCount} recused)` : ""};`,
    quorate ? `quorum ${needed} reached;` : `quorum ${needed} not reached${motion.status === "open" ? ` (${needed - cast} more needed)` : ""};`,
    cast === 0
      ? "no votes yet."
      : tied
        ? `${counts[ranked[0]]} each for the leading options of ${cast} votes: a tie carries nothing (majority needs ${majority}).`
        : `${counts[leader]} for “${leader}” of ${cast} vote${cast === 1 ? "" : "s"}, majority needs ${majority}.`,
  ].join(" ");
  return h(
    "section",
    { "aria-labelledby": "tally-heading" },
    h("h2", { id: "tally-heading" }, "Tally"),
    h(
      "div",
      { class: "tally-bars" },
      bar("Turnout", cast, eligible, `${cast} of ${eligible} voted`, needed, `quorum ${needed}`),
      motion.options.map((o) => bar(o, counts[o], Math.max(cast, 1), `${counts[o]} vote${counts[o] === 1 ? "" : "s"}`, majority, majority === null ? "" : `majority ${majority}`)),
    ),
    h("p", { class: "tally-sum" }, sentence),
    h(
      "table",
      { class: "tally" },
      h("caption", { class: "visually-hidden" }, "Votes per option"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Option"), h("th", { scope: "col" }, "Votes"))),
      h("tbody", {}, motion.options.map((o) => h("tr", {}, h("td", {}, o), h("td", {}, String(counts[o]))))),
    ),
  );
}

function bar(label, value, whole, valueText, line, lineText) {
  const fillPart = h("span", { class: "bar-fill" });
  fillPart.style.width = `${whole ? Math.min(100, (100 * value) / whole) : 0}%`;
  const track = h("span", { class: "bar-track", role: "img", "aria-label": `${label}: ${valueText}${lineText ? `; ${lineText}` : ""}` }, fillPart);
  if (line !== null && line !== undefined && whole) {
    const mark = h("span", { class: "bar-line", title: lineText });
    mark.style.left = `${Math.min(100, (100 * line) / whole)}%`;
    track.append(mark);
  }
  return h("div", { class: "bar-row" }, h("span", { class: "bar-label" }, label), track, h("span", { class: "bar-value" }, valueText, lineText ? ` (${lineText})` : ""));
}

const HAPPENED = {
  MotionTabled: () => "tabled the motion",
  VoteCast: (d) => `voted “${d.option}”`,
  VoterRecused: (d) => `recused: ${d.reason}`,
  MotionDecided: (d) => (d.outcome ? `closed it: decided, “${d.outcome}” carried` : "closed it: decided, no option carried"),
  MotionLapsed: () => "closed it: lapsed without a quorum",
};

function historySection(context, events) {
  return h(
    "section",
    { "aria-labelledby": "motion-history-heading" },
    h("h2", { id: "motion-history-heading" }, "History"),
    h(
      "ol",
      { class: "history" },
      events.map((e) => h("li", {}, timeElement(e.recorded_at), " ", h("span", { title: e.actor ?? "" }, context.name(e.actor)), " ", (HAPPENED[e.type] ?? (() => humanize(e.type)))(e.data))),
    ),
  );
}
