// The trial administrator's page: the organizations and members (training, roles), and
// admitting, adding, attesting, granting and revoking. The charter is in charter.js.

import { get, post, trialPath } from "../api.js";
import { badge, field, h, humanize } from "../dom.js";
import { actionForm, mountPage } from "../page.js";
import { ORGANIZATION_KINDS, ROLES, charterSection } from "./charter.js";

export const ADMINISTER = "workspace:administer";

export function mountAdministration(context, box) {
  const ui = { charterOpen: false };
  return mountPage(box, async () => {
    if (!context.can(ADMINISTER)) return notAnAdmin();
    // Read afresh: after this page's own change the trial's context is not reloaded
    // until the live event arrives.
    const trial = await get(trialPath(context.trialId));
    const members = Object.values(trial.members).sort((a, b) => a.printed_name.localeCompare(b.printed_name));
    const send = (...segments) => (body) => post(trialPath(context.trialId, ...segments), body);
    return h(
      "section",
      {},
      h("h1", {}, "Administration"),
      h("p", { class: "meta" }, "Organizations, members, their training and roles, and the governance charter of ", trial.title, "."),
      organizationsSection(trial),
      membersSection(trial, members),
      h(
        "section",
        { "aria-labelledby": "people-heading" },
        h("h2", { id: "people-heading" }, "Organizations, members and roles"),
        titled("Admit an organization", admitForm(send("organizations"))),
        titled("Add a member", addMemberForm(context, trial, send("members"))),
        titled("Attest training", attestForm(trial, members, (userId, body) => send("members", userId, "training")(body))),
        titled("Grant a role", grantForm(members, (userId, body) => send("members", userId, "roles")(body))),
        titled("Revoke a role", revokeForm(members, (userId, body) => send("members", userId, "role-revocations")(body))),
      ),
      charterSection(context, trial, ui),
    );
  });
}

function notAnAdmin() {
  return h(
    "section",
    {},
    h("h1", {}, "Administration"),
    h("p", { class: "warning" }, "Only the trial's administrators manage its organizations, members, roles and charter."),
  );
}

function organizationsSection(trial) {
  const organizations = Object.values(trial.organizations).sort((a, b) => a.name.localeCompare(b.name));
  const count = (id) => Object.values(trial.members).filter((m) => m.organization_id === id).length;
  return h(
    "section",
    { "aria-labelledby": "organizations-heading" },
    h("h2", { id: "organizations-heading" }, "Organizations"),
    h(
      "table",
      { class: "organizations", "aria-labelledby": "organizations-heading" },
      h("thead", {}, h("tr", {}, ["Organization", "Id", "Kind", "Members"].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        organizations.map((o) => h("tr", {}, h("th", { scope: "row" }, o.name), h("td", {}, o.organization_id), h("td", {}, humanize(o.kind)), h("td", {}, String(count(o.organization_id))))),
      ),
    ),
  );
}

function membersSection(trial, members) {
  return h(
    "section",
    { "aria-labelledby": "members-heading" },
    h("h2", { id: "members-heading" }, "Members"),
    h(
      "table",
      { class: "members", "aria-labelledby": "members-heading" },
      h("thead", {}, h("tr", {}, ["Member", "Organization", "Training attested (completed on)", "Roles"].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        members.map((m) => {
          const organization = trial.organizations[m.organization_id];
          const courses = Object.entries(m.training).sort(([a], [b]) => a.localeCompare(b));
          return h(
            "tr",
            { "data-user": m.user_id },
            h("th", { scope: "row" }, m.printed_name),
            h("td", {}, organization ? `${organization.name} (${humanize(organization.kind)})` : m.organization_id),
            h("td", {}, courses.length ? h("ul", { class: "plain" }, courses.map(([course, on]) => h("li", {}, `${course} — ${on}`))) : "none"),
            h("td", { class: "roles" }, m.roles.length ? [...m.roles].sort().map((r) => badge(humanize(r))) : "none"),
          );
        }),
      ),
    ),
  );
}

function titled(title, form) {
  return h("div", { class: "admin-form" }, h("h3", {}, title), form);
}

function options(pairs, prompt) {
  return [prompt ? h("option", { value: "" }, prompt) : null, pairs.map(([value, label]) => h("option", { value }, label))];
}

function memberSelect(members, name = "user_id") {
  return h("select", { name, required: true }, options(members.map((m) => [m.user_id, m.printed_name]), "Choose a member"));
}

/** An organization id from its name, when the admin leaves the id empty. */
function idFrom(name) {
  return name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
}

function admitForm(admit) {
  const name = h("input", { name: "name", required: true });
  const id = h("input", { name: "organization_id", pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" });
  const kind = h("select", { name: "kind", required: true }, options(ORGANIZATION_KINDS.map((k) => [k, humanize(k)]), "Choose a kind"));
  return actionForm(
    {
      label: "Admit an organization",
      submit: "Admit organization",
      onSubmit: () => admit({ organization_id: id.value.trim() || idFrom(name.value), name: name.value, kind: kind.value }),
    },
    h("div", { class: "row" }, field("Organization name", name), field("Organization id", id, "Optional; made from the name when empty."), field("Kind", kind)),
  );
}

function addMemberForm(context, trial, add) {
  const username = h("input", { name: "username", required: true, autocomplete: "off" });
  const organizations = Object.values(trial.organizations).sort((a, b) => a.name.localeCompare(b.name));
  const organization = h("select", { name: "organization_id", required: true }, options(organizations.map((o) => [o.organization_id, o.name]), "Choose an organization"));
  return actionForm(
    {
      label: "Add a member",
      submit: "Add member",
      onSubmit: async () => {
        // The member is named by their account's user id; the admin knows the username.
        const user = await get(`${trialPath(context.trialId, "users")}?username=${encodeURIComponent(username.value.trim())}`);
        await add({ user_id: user.user_id, organization_id: organization.value });
      },
    },
    h("div", { class: "row" }, field("Username", username, "The person's Concord username; their account's printed name is used."), field("Organization", organization)),
  );
}

function attestForm(trial, members, attest) {
  const member = memberSelect(members);
  const courses = [...new Set(Object.values(trial.charter.roles).flatMap((r) => r.training))].sort();
  const list = h("datalist", { id: "charter-courses" }, courses.map((c) => h("option", { value: c })));
  const course = h("input", { name: "course", required: true, list: "charter-courses" });
  const completed = h("input", { name: "completed_on", type: "date", required: true, value: today() });
  return actionForm(
    {
      label: "Attest training",
      submit: "Attest training",
      onSubmit: () => attest(member.value, { training: { course: course.value, completed_on: completed.value } }),
    },
    h("div", { class: "row" }, field("Member", member), field("Course", course, "The charter's courses are suggested."), field("Completed on", completed)),
    list,
  );
}

function today() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

function grantForm(members, grant) {
  const member = memberSelect(members);
  const role = h("select", { name: "role", required: true }, options(ROLES.map((r) => [r, humanize(r)]), "Choose a role"));
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  return actionForm(
    {
      label: "Grant a role",
      submit: "Grant role",
      onSubmit: () => grant(member.value, { role: role.value, reason: reason.value }),
    },
    h("div", { class: "row" }, field("Member", member), field("Role", role, "The charter says which organization kinds and training each role needs.")),
    field("Reason for granting", reason),
  );
}

function revokeForm(members, revoke) {
  const held = members.flatMap((m) => [...m.roles].sort().map((r) => [`${m.user_id} ${r}`, `${m.printed_name} — ${humanize(r)}`]));
  const grant = h("select", { name: "grant", required: true }, options(held, "Choose a member's role"));
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  return actionForm(
    {
      label: "Revoke a role",
      submit: "Revoke role",
      onSubmit: () => {
        const [userId, role] = grant.value.split(" ");
        return revoke(userId, { role, reason: reason.value });
      },
    },
    field("Role held", grant),
    field("Reason for revoking", reason),
  );
}
