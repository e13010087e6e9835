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
    h("h3", {}, "Who approves a protocol version for each site"),
    siteOversightList(trial),
    h("h3", {}, "Witnesses of the log"),
    charter.witnesses?.length
      ? h("ul", { class: "witnesses" }, charter.witnesses.map((w) => h("li", {}, w.name)))
      : h("p", {}, "No witness must cosign the log's checkpoints."),
    amendForm(context, trial, ui),
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

function amendForm(context, trial, ui) {
  const charter = trial.charter;
  const rules = [...charter.quorum_rules, NEW_RULE];
  const ladder = [...charter.escalation_ladder, { name: "", resolver_roles: [] }];
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  const sites = organizationsOf(trial, "site");
  const form = actionForm(
    {
      label: "Amend the charter",
      submit: "Amend charter",
      onSubmit: (f) => put(trialPath(context.trialId, "charter"), { charter: readCharter(f, charter, rules, ladder, sites), reason: reason.value }),
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
    h("h3", {}, "Sites"),
    h("p", { class: "hint" }, "A protocol version takes effect at a site once the ethics committee covering it (and the regulator, if one is named) has approved it for the site."),
    sites.map((site) => siteOversightFields(trial, site)),
    field("Reason for amending the charter", reason),
  );
  const details = h("details", { class: "amend-charter", open: ui.charterOpen }, h("summary", {}, "Amend the charter"), form);
  details.addEventListener("toggle", () => {
    ui.charterOpen = details.open;
  });
  return details;
}

/** The charter the form describes: the charter in force with the fields the form edits
 * replaced, so every field it does not show (witnesses, conflicts of interest, erasure
 * approvers, whatever a later charter adds) goes back unchanged. */
function readCharter(form, charter, rules, ladder, sites) {
  const signatories = (key) => ({ ...charter.approval[key], roles: checked(form, `approval.${key}.roles`), organization_kinds: checked(form, `approval.${key}.organization_kinds`) });
  const quorum = [];
  rules.forEach((rule, i) => {
    const name = value(form, `quorum.${i}.name`).trim();
    if (name) quorum.push({ ...rule, name, participation: readThreshold(form, `quorum.${i}.participation`), majority: readThreshold(form, `quorum.${i}.majority`) });
  });
  const levels = [];
  ladder.forEach((level, i) => {
    const name = value(form, `ladder.${i}.name`).trim();
    if (name) levels.push({ ...level, name, resolver_roles: checked(form, `ladder.${i}.resolver_roles`) });
  });
  const committee = charter.ethics_committee;
  const oversight = { ...(charter.site_oversight ?? {}) };
  for (const site of sites) {
    const ethics = value(form, `sites.${site.organization_id}.ethics_committee`);
    const regulator = value(form, `sites.${site.organization_id}.regulator`);
    if (ethics) oversight[site.organization_id] = { ...oversight[site.organization_id], ethics_committee: ethics, regulator };
    else delete oversight[site.organization_id];
  }
  return {
    ...charter,
    approval: {
      ...charter.approval,
      ...Object.fromEntries(SIGNATURES.map(([key]) => [key, signatories(key)])),
      participant_facing_sections: list(value(form, "participant_facing_sections"), ","),
    },
    quorum_rules: quorum,
    ethics_committee: {
      ...committee,
      membership: Number(value(form, "committee.membership")),
      rule: { ...committee.rule, name: value(form, "committee.name").trim(), participation: readThreshold(form, "committee.participation"), majority: readThreshold(form, "committee.majority") },
    },
    escalation_ladder: levels,
    roles: {
      ...charter.roles,
      ...Object.fromEntries(ROLES.map((r) => [r, { ...charter.roles[r], organization_kinds: checked(form, `roles.${r}.organization_kinds`), training: list(value(form, `roles.${r}.training`), ";") }])),
    },
    site_oversight: oversight,
  };
}

/** The trial's admitted organizations of ``kind``, in the order admitted. */
function organizationsOf(trial, kind) {
  return Object.values(trial.organizations ?? {}).filter((o) => o.kind === kind);
}

function organizationName(trial, organizationId) {
  return trial.organizations?.[organizationId]?.name ?? organizationId;
}

/** Each site with who approves a version for it, as the charter says. */
function siteOversightList(trial) {
  const sites = organizationsOf(trial, "site");
  if (!sites.length) return h("p", {}, "No investigator site is admitted yet.");
  const oversight = trial.charter.site_oversight ?? {};
  return h(
    "dl",
    { class: "details site-oversight" },
    sites.map((site) => {
      const named = oversight[site.organization_id];
      return [
        h("dt", {}, site.name),
        h(
          "dd",
          {},
          named
            ? [organizationName(trial, named.ethics_committee), named.regulator ? ` and ${organizationName(trial, named.regulator)}` : ""].join("")
            : "No ethics committee named: the site cannot be activated",
        ),
      ];
    }),
  );
}

function choice(name, label, options, chosen, none) {
  const select = h(
    "select",
    { name },
    h("option", { value: "", selected: !chosen }, none),
    options.map((o) => h("option", { value: o.organization_id, selected: o.organization_id === chosen }, o.name)),
  );
  return field(label, select);
}

function siteOversightFields(trial, site) {
  const named = trial.charter.site_oversight?.[site.organization_id] ?? { ethics_committee: "", regulator: "" };
  return h(
    "fieldset",
    {},
    h("legend", {}, `Approvals for ${site.name}`),
    h(
      "div",
      { class: "row" },
      choice(`sites.${site.organization_id}.ethics_committee`, `Ethics committee covering ${site.name}`, organizationsOf(trial, "ethics"), named.ethics_committee, "none named"),
      choice(`sites.${site.organization_id}.regulator`, `Regulator approving for ${site.name}`, organizationsOf(trial, "regulator"), named.regulator, "no regulator"),
    ),
  );
}
