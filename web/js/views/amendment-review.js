// An amendment read as a pull request: its header (status, authors, when it was opened
// and submitted), the stepper of the signatures it needs (who signed when, who acts
// next), the tabs that keep the page short, and the progress a list row shows.

import { badge, h, humanize, timeElement } from "../dom.js";

/** The page's tabs, in order: [key, label]. */
export const TABS = [
  ["changes", "Changes"],
  ["details", "Details"],
  ["signatures", "Signatures"],
  ["discussion", "Discussion"],
  ["history", "History"],
];

export function statusBadge(status) {
  return badge(humanize(status ?? "unknown"), `status-${status}`);
}

/** A person by printed name, the user id on hover. */
export function person(context, userId) {
  return h("span", { class: "person", title: userId }, context.name(userId));
}

/** Names joined in words: "A", "A and B", "A, B and C" (nodes, so each keeps its hover). */
export function namesOf(context, userIds) {
  const ids = [...userIds];
  return ids.flatMap((id, i) => [i === 0 ? "" : i === ids.length - 1 ? " and " : ", ", person(context, id)]);
}

/** Which signature meets each required one (each requirement its own signer, as the
 * server counts: meaning, content, the signer's roles and organization, a committee vote
 * where one is needed); null for a requirement still missing. */
export function requirementSteps(amendment) {
  const missing = new Set(amendment.missing_signatures.map((r) => r.name));
  const used = new Set();
  return amendment.required_signatures.map((requirement) => {
    if (missing.has(requirement.name)) return { requirement, signature: null };
    const signature =
      amendment.signatures.find(
        (s) =>
          !used.has(s.signer_id) &&
          s.meaning === requirement.meaning &&
          s.content_hash === amendment.content_hash &&
          s.roles.some((role) => requirement.signatories.roles.includes(role)) &&
          requirement.signatories.organization_kinds.includes(s.organization_kind) &&
          (!requirement.needs_committee_vote || s.committee_vote),
      ) ?? null;
    if (signature) used.add(signature.signer_id);
    return { requirement, signature };
  });
}

/** The members who could give ``requirement`` (their roles and organization admit it),
 * never an author of the amendment. */
export function possibleSigners(context, amendment, requirement) {
  const { members = {}, organizations = {} } = context.trial ?? {};
  return Object.values(members)
    .filter(
      (m) =>
        !amendment.authors.includes(m.user_id) &&
        m.roles.some((role) => requirement.signatories.roles.includes(role)) &&
        requirement.signatories.organization_kinds.includes(organizations[m.organization_id]?.kind),
    )
    .map((m) => m.user_id);
}

/** "2 of 3 signed" and what comes next, in words, for the list and the header. */
export function progressOf(context, amendment) {
  const steps = requirementSteps(amendment);
  const given = steps.filter((s) => s.signature).length;
  const signed = `${given} of ${steps.length} signed`;
  switch (amendment.status) {
    case "draft":
      return { signed, next: ["Its authors submit it: ", ...namesOf(context, amendment.authors)] };
    case "submitted": {
      if (amendment.conflict) return { signed, next: ["Its authors rebase it: ", ...namesOf(context, amendment.authors)] };
      const waiting = steps.filter((s) => !s.signature);
      return {
        signed,
        next: waiting.flatMap(({ requirement }, i) => {
          const who = possibleSigners(context, amendment, requirement);
          return [i ? "; " : "", `${requirement.name}: `, ...(who.length ? namesOf(context, who) : ["nobody holds the role yet"])];
        }),
      };
    }
    case "approved":
      return { signed, next: ["Approved: ready to merge"] };
    case "merged":
      return { signed, next: [`Merged as version ${amendment.merged_version}`] };
    default:
      return { signed, next: [humanize(amendment.status ?? "")] };
  }
}

/** When the history says something happened first (its event type), as a time element. */
function firstTime(history, type) {
  const event = history.find((e) => e.type === type);
  return event ? timeElement(event.recorded_at) : null;
}

/** The header: id and title, status, authors, when opened and submitted, and the stepper. */
export function header(context, amendment, history, actions) {
  const opened = firstTime(history, "AmendmentOpened");
  const submitted = amendment.submitted_at ? timeElement(amendment.submitted_at) : firstTime(history, "AmendmentSubmitted");
  return h(
    "header",
    { class: "amendment-header" },
    h("h1", {}, `Amendment ${amendment.amendment_id}`, " ", statusBadge(amendment.status)),
    h("p", { class: "lead" }, amendment.details?.summary ?? ""),
    h(
      "p",
      { class: "meta" },
      `Base version ${amendment.base_version} · by `,
      ...namesOf(context, amendment.authors.includes(amendment.opened_by) ? [amendment.opened_by, ...amendment.authors.filter((a) => a !== amendment.opened_by)] : amendment.authors),
      opened ? [" · opened ", opened] : "",
      submitted ? [" · submitted ", submitted] : "",
      amendment.merged_version ? ` · merged as version ${amendment.merged_version}` : "",
    ),
    stepper(context, amendment),
    actions,
  );
}

/** The required signatures as steps: each given (by whom, when) or awaited (from whom). */
export function stepper(context, amendment) {
  const steps = requirementSteps(amendment);
  if (!steps.length) return null;
  const { signed } = progressOf(context, amendment);
  const awaiting = amendment.status === "submitted" || amendment.status === "approved";
  return h(
    "div",
    { class: "stepper-box" },
    h("p", { class: "stepper-title", id: "stepper-title" }, `Signatures: ${signed}`),
    h(
      "ol",
      { class: "stepper", "aria-labelledby": "stepper-title" },
      steps.map(({ requirement, signature }) =>
        h(
          "li",
          { class: signature ? "step done" : "step waiting" },
          h("span", { class: "step-name" }, requirement.name),
          signature
            ? h("span", { class: "step-state" }, "Signed by ", person(context, signature.signer_id), " ", timeElement(signature.signed_at))
            : h(
                "span",
                { class: "step-state" },
                awaiting ? "Awaits " : "Will need ",
                ...(possibleSigners(context, amendment, requirement).length
                  ? namesOf(context, possibleSigners(context, amendment, requirement))
                  : ["someone holding the role"]),
              ),
        ),
      ),
    ),
  );
}

/** A tablist (ARIA: arrows, Home and End move between tabs) over every panel, the chosen
 * one shown. Choosing a tab is immediate (no reload); ``ui.tab`` keeps the choice across
 * rebuilds and ``ui.showTab(key)`` chooses one from elsewhere on the page. */
export function tabbed(ui, label, panels) {
  const keys = TABS.map(([key]) => key);
  const buttons = new Map();
  const bodies = new Map();
  const show = (key, focus = false) => {
    ui.tab = key;
    for (const [k, tab] of buttons) {
      tab.setAttribute("aria-selected", String(k === key));
      tab.tabIndex = k === key ? 0 : -1;
      bodies.get(k).hidden = k !== key;
    }
    if (focus) buttons.get(key).focus();
  };
  ui.showTab = show;
  for (const [key, text] of TABS) {
    const tab = h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${key}`,
        "aria-selected": String(key === ui.tab),
        "aria-controls": `panel-${key}`,
        tabindex: key === ui.tab ? "0" : "-1",
        class: "tab",
      },
      text,
      panels.counts?.[key] ? h("span", { class: "tab-count" }, ` (${panels.counts[key]})`) : "",
    );
    tab.addEventListener("click", () => show(key, true));
    tab.addEventListener("keydown", (event) => {
      const at = keys.indexOf(key);
      const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: keys.length - 1 }[event.key];
      if (to === undefined) return;
      event.preventDefault();
      show(keys[(to + keys.length) % keys.length], true);
    });
    buttons.set(key, tab);
    bodies.set(
      key,
      h("div", { role: "tabpanel", id: `panel-${key}`, "aria-labelledby": `tab-${key}`, tabindex: "0", class: "tab-panel", hidden: key !== ui.tab }, panels[key]()),
    );
  }
  return [h("div", { role: "tablist", "aria-label": label, class: "page-tabs" }, [...buttons.values()]), [...bodies.values()]];
}
