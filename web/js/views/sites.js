// Investigator sites (GET /sites): the protocol version in force at each, and what each
// later version awaits there: the approval of the site's ethics committee (and regulator,
// where the charter names one), then its activation. Shown on the trial's overview, and
// for one version on the page of the amendment merged as it.

import { get, post, trialPath } from "../api.js";
import { badge, field, h, utc } from "../dom.js";
import { actionButton, actionForm } from "../page.js";

export function loadSites(context) {
  return get(trialPath(context.trialId, "sites"));
}

const BODIES = { ethics: "ethics committee", regulator: "regulator" };

const versionName = (version, amendmentId) => (amendmentId ? `Version ${version} (${amendmentId})` : `Version ${version}`);

function approverName(approval) {
  return approval.organization ? `${approval.organization.name} (${BODIES[approval.body]})` : "an ethics committee (the charter names none yet)";
}

function inForce(context, site) {
  const now = site.in_force;
  if (!now) return h("span", { class: "in-force" }, badge("not activated", "pending"));
  return h("span", { class: "in-force" }, `${versionName(now.version, now.amendment_id)}, since ${utc(now.activated_at)} (${context.name(now.activated_by)})`);
}

/** Whether the person records ``missing``'s approval: an ethics reviewer of that body. */
function mayApprove(context, missing) {
  return context.can("site:approve") && Boolean(missing.organization) && context.member?.organization_id === missing.organization.organization_id;
}

/** Whether the person activates ``site``: its own investigator, or the sponsor's lead. */
function mayActivate(context, site) {
  if (!context.can("site:activate")) return false;
  const sponsorLead = context.access.roles.includes("sponsor_lead") && context.organizationKind === "sponsor";
  return sponsorLead || context.member?.organization_id === site.site_id;
}

function approvalForm(context, site, pending, missing) {
  const today = new Date().toISOString().slice(0, 10);
  const approvedOn = h("input", { type: "date", name: "approved_on", value: today, required: true });
  const reference = h("input", { name: "reference", required: true });
  return actionForm(
    {
      label: `Record approval of version ${pending.version} for ${site.name}`,
      submit: "Record approval",
      className: "site-approval",
      onSubmit: () =>
        post(trialPath(context.trialId, "sites", site.site_id, "approvals"), {
          version: pending.version,
          body: missing.body,
          approved_on: approvedOn.value,
          reference: reference.value,
        }),
    },
    h("div", { class: "row" }, field("Date of the decision", approvedOn), field("Reference (letter, minutes)", reference)),
  );
}

/** One later version at ``site``: what it lacks there, and the actions the person may take. */
function pendingItem(context, site, pending) {
  const name = versionName(pending.version, pending.amendment_id);
  const said = pending.ready ? `${name}: approved, awaiting activation` : `${name}: awaiting approval by ${pending.missing.map(approverName).join(" and ")}`;
  return h(
    "li",
    { class: pending.ready ? "ready" : "awaiting" },
    said,
    pending.missing.filter((m) => mayApprove(context, m)).map((m) => approvalForm(context, site, pending, m)),
    pending.ready && mayActivate(context, site)
      ? actionButton(`Activate version ${pending.version} at ${site.name}`, () => post(trialPath(context.trialId, "sites", site.site_id, "activations"), { version: pending.version }))
      : null,
  );
}

/** The overview's table of sites: approvers, version in force, what awaits. */
export function sitesSection(context, answer) {
  return h(
    "section",
    { "aria-labelledby": "sites-heading", class: "sites" },
    h("h2", { id: "sites-heading" }, "Investigator sites"),
    answer.sites.length
      ? h(
          "table",
          { class: "sites stacks" },
          h("thead", {}, h("tr", {}, ["Site", "Version in force", "Approves each version", "Awaiting"].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            {},
            answer.sites.map((site) =>
              h(
                "tr",
                { "data-site": site.site_id },
                h("th", { scope: "row" }, site.name),
                h("td", { "data-label": "Version in force" }, inForce(context, site)),
                h("td", { "data-label": "Approves each version" }, site.approvers.length ? site.approvers.map(approverName).join(", ") : "nobody named in the charter"),
                h("td", { "data-label": "Awaiting" }, site.pending.length ? h("ul", { class: "site-pending" }, site.pending.map((p) => pendingItem(context, site, p))) : "nothing: the latest version is in force"),
              ),
            ),
          ),
        )
      : h("p", {}, "No investigator site is admitted yet."),
  );
}

/** Where ``version`` stands at each site, for the page of the amendment merged as it. */
export function versionAtSites(context, answer, version) {
  const standing = (site) => {
    const now = site.in_force?.version ?? 0;
    if (now === version) return h("span", {}, badge("in force", "approved"), ` since ${utc(site.in_force.activated_at)}`);
    if (now > version) return h("span", {}, `superseded there by version ${now}`);
    const pending = site.pending.find((p) => p.version === version);
    return h("ul", { class: "site-pending" }, pendingItem(context, site, pending));
  };
  return h(
    "section",
    { "aria-labelledby": "at-sites-heading", class: "at-sites" },
    h("h2", { id: "at-sites-heading" }, `Version ${version} at the sites`),
    answer.sites.length
      ? h(
          "dl",
          { class: "details" },
          answer.sites.map((site) => [h("dt", {}, site.name), h("dd", { "data-site": site.site_id }, standing(site))]),
        )
      : h("p", {}, "No investigator site is admitted yet."),
  );
}
