// The governance charter as it stands (who must sign, quorum rules, escalation ladder,
// what each role needs) and the form that amends it, with a reason.

import { put, trialPath } from "../api.js";
import { field, h, humanize, uid } from "../dom.js";
import { actionForm } from "../page.js";

export const ROLES = [
  "trial_admin",
  "sponsor_lead",
  "sponsor_member",
  "investigator",
  "site_staff",
  "patient_advocate",
  "ethics_reviewer",
  "auditor",
];
export const ORGANIZATION_KINDS = ["sponsor", "site", "advocacy", "cro", "ethics", "regulator"];
const SIGNATURES = [
  ["sponsor_approval", "Sponsor approval (every amendment)"],
  ["ethics_approval", "Ethics approval (substantial amendments)"],
  ["participant_review", "Participant review (participant-facing sections)"],
];

const names = (values) => (values.length ? values.map(humanize).join(", ") : "none");
const share = (t) => `${t.inclusive ? "at least" : "more than"} ${t.numerator}/${t.denominator}`;

/** The charter of ``trial``; ``ui.charterOpen`` keeps the amending form open across the
 * page's rebuilds. */
export function charterSection(context, trial, ui) {
  const charter = trial.charter;
  return h(
    "section",
    { "aria-labelledby": "charter-heading", class: "charter" },
    h("h2", { id: "charter-heading" }, "Governance charter"),
    h("h3", {}, "Who must sign an amendment"),
    h(
      "dl",
      { class: "details" },
      SIGNATURES.map(([key, label]) => [
        h("dt", {}, label),
        h("dd", {}, `${names(charter.approval[key].roles)} from ${names(charter.approval[key].organization_kinds)} organizations`),
      ]),
      h("dt", {}, "Participant-facing sections"),
      h("dd", {}, charter.approval.participant_facing_sections.join(", ")),
      h("dt", {}, "Ethics committee quorum"),
      h("dd", { class: "ethics-committee" }, committeeText(charter.ethics_committee)),
    ),
    h("h3", {}, "Quorum rules for motions"),
    h(
      "table",
      { class: "quorum-rules" },
      h("thead", {}, h("tr", {}, ["Rule", "Participation (of eligible voters)", "Majority (of votes cast)"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, charter.quorum_rules.map((r) => h("tr", {}, h("th", { scope: "row" }, r.name), h("td", {}, share(r.participation)), h("td", {}, share(r.majority))))),
    ),
    h("h3", {}, "Dispute escalation ladder"),
    h("ol", { class: "ladder" }, charter.escalation_ladder.map((l) => h("li", {}, `${l.name} — resolved by ${names(l.resolver_roles)}`))),
    h("h3", {}, "What each role needs"),
    h(
      "table",
      { class: "role-rules" },
      h("thead", {}, h("tr", {}, ["Role", "Open to organizations", "Training"].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        ROLES.filter((r) => r in charter.roles).map((r) =>
          h("tr", {}, h("th", { scope: "row" }, humanize(r)), h("td", {}, names(charter.roles[r].organization_kinds)), h("td", {}, charter.roles[r].training.join("; ") || "none")),
        ),
      ),
    ),
    amendForm(context, charter, ui),
  );
}

/** Checkboxes named ``name``, one per choice, those in ``chosen`` ticked; read back with
 * ``checked(form, name)``. */
function checkboxes(legend, name, choices, chosen) {
  return h(
    "fieldset",
    {},
    h("legend", {}, legend),
    h(
      "div",
      { class: "checks" },
      choices.map((choice) => {
        const box = h("input", { type: "checkbox", name, value: choice, id: uid("c"), checked: chosen.includes(choice) });
        return h("label", { for: box.id }, box, ` ${humanize(choice)}`);
      }),
    ),
  );
}

function checked(form, name) {
  return [...form.querySelectorAll(`input[type=checkbox]`)].filter((b) => b.name === name && b.checked).map((b) => b.value);
}

const value = (form, name) => form.elements.namedItem(name).value;
const list = (text, separator) => text.split(separator).map((s) => s.trim()).filter(Boolean);

function thresholdFields(prefix, label, threshold) {
  const number = (name, n) => h("input", { type: "number", min: 0, name: `${prefix}.${name}`, value: String(n), required: true, class: "number" });
  const kind = h(
    "select",
    { name: `${prefix}.inclusive` },
    h("option", { value: "true", selected: threshold.inclusive }, "at least"),
    h("option", { value: "false", selected: !threshold.inclusive }, "more than"),
  );
  return h("div", { class: "row" }, field(`${label}: share`, kind), field(`${label}: numerator`, number("numerator", threshold.numerator)), field(`${label}: denominator`, number("denominator", threshold.denominator)));
}

function readThreshold(form, prefix) {
  return {
    numerator: Number(value(form, `${prefix}.numerator`)),
    denominator: Number(value(form, `${prefix}.denominator`)),
    inclusive: value(form, `${prefix}.inclusive`) === "true",
  };
}

/** The ethics committee's quorum in words: its size, who must be present, who must agree. */
function committeeText(committee) {
  const { membership, rule } = committee;
  return `${membership} members (${rule.name}): ${share(rule.participation)} of the members present, ${share(rule.majority)} of those present in favour`;
}

const NEW_RULE = { name: "", participation: { numerator: 1, denominator: 2, inclusive: true }, majority: { numerator: 1, denominator: 2, inclusive: false } };

function amendForm(context, charter, ui) {
  const rules = [...charter.quorum_rules, NEW_RULE];
  const ladder = [...charter.escalation_ladder, { name: "", resolver_roles: [] }];
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  const form = actionForm(
    {
      label: "Amend the charter",
      submit: "Amend charter",
      onSubmit: (f) => put(trialPath(context.trialId, "charter"), { charter: readCharter(f, rules.length, ladder.length), reason: reason.value }),
    },
    h("h3", {}, "Signatures"),
    SIGNATURES.map(([key, label]) =>
      h("fieldset", {}, h("legend", {}, label), checkboxes("Roles", `approval.${key}.roles`, ROLES, charter.approval[key].roles), checkboxes("Organization kinds", `approval.${key}.organization_kinds`, ORGANIZATION_KINDS, charter.approval[key].organization_kinds)),
    ),
    field("Participant-facing sections", h("input", { name: "participant_facing_sections", value: charter.approval.participant_facing_sections.join(", ") }), "Section numbers, comma-separated."),
    h("h3", {}, "Quorum rules"),
    h("p", { class: "hint" }, "Empty a rule's name to drop it; name the last one to add it."),
    rules.map((r, i) =>
      h("fieldset", {}, h("legend", {}, r.name ? `Quorum rule ${r.name}` : "New quorum rule"), field("Rule name", h("input", { name: `quorum.${i}.name`, value: r.name })), thresholdFields(`quorum.${i}.participation`, "Participation", r.participation), thresholdFields(`quorum.${i}.majority`, "Majority", r.majority)),
    ),
    h("h3", {}, "Ethics committee"),
    h(
      "fieldset",
      {},
      h("legend", {}, "Ethics committee quorum"),
      h("div", { class: "row" }, field("Committee members", h("input", { type: "number", min: 1, name: "committee.membership", value: String(charter.ethics_committee.membership), required: true, class: "number" })), field("Committee rule name", h("input", { name: "committee.name", value: charter.ethics_committee.rule.name, required: true }))),
      thresholdFields("committee.participation", "Members present", charter.ethics_committee.rule.participation),
      thresholdFields("committee.majority", "In favour of those present", charter.ethics_committee.rule.majority),
    ),
    h("h3", {}, "Escalation ladder"),
    h("p", { class: "hint" }, "In order, lowest first. Empty a level's name to drop it; name the last one to add it."),
    ladder.map((l, i) =>
      h("fieldset", {}, h("legend", {}, l.name ? `Level ${i + 1}: ${l.name}` : "New level"), field("Level name", h("input", { name: `ladder.${i}.name`, value: l.name })), checkboxes("Resolved by", `ladder.${i}.resolver_roles`, ROLES, l.resolver_roles)),
    ),
    h("h3", {}, "Roles"),
    ROLES.map((r) => {
      const rule = charter.roles[r] ?? { organization_kinds: [], training: [] };
      return h(
        "fieldset",
        {},
        h("legend", {}, humanize(r)),
        checkboxes("Open to organizations", `roles.${r}.organization_kinds`, ORGANIZATION_KINDS, rule.organization_kinds),
        field(`Training for ${humanize(r)}`, h("input", { name: `roles.${r}.training`, value: rule.training.join("; ") }), "Courses, separated by semicolons."),
      );
    }),
    field("Reason for amending the charter", reason),
  );
  const details = h("details", { class: "amend-charter", open: ui.charterOpen }, h("summary", {}, "Amend the charter"), form);
  details.addEventListener("toggle", () => {
    ui.charterOpen = details.open;
  });
  return details;
}

function readCharter(form, ruleCount, levelCount) {
  const signatories = (key) => ({ roles: checked(form, `approval.${key}.roles`), organization_kinds: checked(form, `approval.${key}.organization_kinds`) });
  const quorum = [];
  for (let i = 0; i < ruleCount; i += 1) {
    const name = value(form, `quorum.${i}.name`).trim();
    if (name) quorum.push({ name, participation: readThreshold(form, `quorum.${i}.participation`), majority: readThreshold(form, `quorum.${i}.majority`) });
  }
  const ladder = [];
  for (let i = 0; i < levelCount; i += 1) {
    const name = value(form, `ladder.${i}.name`).trim();
    if (name) ladder.push({ name, resolver_roles: checked(form, `ladder.${i}.resolver_roles`) });
  }
  return {
    approval: {
      ...Object.fromEntries(SIGNATURES.map(([key]) => [key, signatories(key)])),
      participant_facing_sections: list(value(form, "participant_facing_sections"), ","),
    },
    quorum_rules: quorum,
    ethics_committee: {
      membership: Number(value(form, "committee.membership")),
      rule: { name: value(form, "committee.name").trim(), participation: readThreshold(form, "committee.participation"), majority: readThreshold(form, "committee.majority") },
    },
    escalation_ladder: ladder,
    roles: Object.fromEntries(ROLES.map((r) => [r, { organization_kinds: checked(form, `roles.${r}.organization_kinds`), training: list(value(form, `roles.${r}.training`), ";") }])),
  };
}
