// The trial administrator's page: the organizations, members (training, roles) and
// invitations, and admitting, inviting, withdrawing an invitation, attesting and
// withdrawing training, granting and revoking. The charter is in charter.js.

import { Problem, get, post, trialPath } from "../api.js";
import { badge, field, fill, h, humanize, timeElement } from "../dom.js";
import { actionForm, confirmation, focusIn, mountPage } from "../page.js";
import { ORGANIZATION_KINDS, ROLES, charterSection } from "./charter.js";

export const ADMINISTER = "workspace:administer";

export function mountAdministration(context, box) {
  // ``withdrawing``: the invitation whose withdrawal is being confirmed; ``sent`` and
  // ``withdrawn``: what the last invitation sent or withdrawn was, kept across rebuilds.
  // ``untraining``: the training withdrawal being asked about ({user_id, course, reason}).
  // ``done``: the last form's success ({form, text}), said beside that form until the next.
  const ui = { charterOpen: false, withdrawing: null, sent: null, withdrawn: null, untraining: null, untrained: null, done: null };
  const handle = { box, refresh: () => view.refresh() };
  const view = mountPage(box, async () => {
    if (!context.can(ADMINISTER)) return notAnAdmin();
    // Read afresh: after this page's own change the trial's context is not reloaded
    // until the live event arrives.
    const trial = await get(trialPath(context.trialId));
    const members = Object.values(trial.members).sort((a, b) => a.printed_name.localeCompare(b.printed_name));
    const send = (...segments) => (body) => post(trialPath(context.trialId, ...segments), body);
    // After a form succeeds: its confirmation beside it, and the focus on it.
    const said = async (form, text) => {
      ui.done = { form, text };
      await handle.refresh();
      focusIn(box, `#done-${form}`);
    };
    const status = (form) => (ui.done?.form === form ? h("p", { class: "flash", role: "status", tabindex: "-1", id: `done-${form}` }, ui.done.text) : null);
    return h(
      "section",
      {},
      h("h1", {}, "Administration"),
      h("p", { class: "meta" }, "Organizations, members, their training and roles, and the governance charter of ", trial.title, "."),
      organizationsSection(trial),
      membersSection(trial, members),
      invitationsSection(context, trial, ui, handle),
      h(
        "section",
        { "aria-labelledby": "people-heading" },
        h("h2", { id: "people-heading" }, "Organizations, members and roles"),
        titled("Admit an organization", status("admit"), admitForm(send("organizations"), said)),
        titled("Invite a person", inviteForm(context, trial, ui, send("invitations"))),
        titled("Attest training", status("attest"), attestForm(trial, members, (userId, body) => send("members", userId, "training")(body), said)),
        titled("Withdraw training", withdrawTrainingForm(members, ui, handle, (userId, body) => send("members", userId, "training-withdrawals")(body))),
        titled("Grant a role", status("grant"), grantForm(trial, members, (userId, body) => send("members", userId, "roles")(body), said)),
        titled("Revoke a role", status("revoke"), revokeForm(members, (userId, body) => send("members", userId, "role-revocations")(body), said)),
      ),
      charterSection(context, trial, ui),
    );
  });
  return view;
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
      { class: "organizations stacks", "aria-labelledby": "organizations-heading" },
      h("thead", {}, h("tr", {}, ["Organization", "Id", "Kind", "Members"].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        organizations.map((o) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, o.name),
            h("td", { "data-label": "Id" }, o.organization_id),
            h("td", { "data-label": "Kind" }, humanize(o.kind)),
            h("td", { "data-label": "Members" }, String(count(o.organization_id))),
          ),
        ),
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
      { class: "members stacks", "aria-labelledby": "members-heading" },
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
            h("th", { scope: "row", title: m.user_id }, m.printed_name),
            h("td", { "data-label": "Organization" }, organization ? `${organization.name} (${humanize(organization.kind)})` : m.organization_id),
            h("td", { "data-label": "Training" }, courses.length ? h("ul", { class: "plain" }, courses.map(([course, on]) => h("li", {}, `${course} — ${on}`))) : "none"),
            h("td", { class: "roles", "data-label": "Roles" }, m.roles.length ? [...m.roles].sort().map((r) => badge(humanize(r))) : "none"),
          );
        }),
      ),
    ),
  );
}

function titled(title, ...parts) {
  return h("div", { class: "admin-form" }, h("h3", {}, title), parts);
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

function admitForm(admit, said) {
  const name = h("input", { name: "name", required: true });
  const id = h("input", { name: "organization_id", pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" });
  const kind = h("select", { name: "kind", required: true }, options(ORGANIZATION_KINDS.map((k) => [k, humanize(k)]), "Choose a kind"));
  return actionForm(
    {
      label: "Admit an organization",
      submit: "Admit organization",
      onSubmit: async () => {
        const organizationId = id.value.trim() || idFrom(name.value);
        await admit({ organization_id: organizationId, name: name.value, kind: kind.value });
        await said("admit", `${name.value} is admitted as a ${humanize(kind.value)} organization (${organizationId}).`);
      },
    },
    h("div", { class: "row" }, field("Organization name", name), field("Organization id", id, "Optional; made from the name when empty."), field("Kind", kind)),
  );
}

function inviteForm(context, trial, ui, invite) {
  const username = h("input", { name: "username", required: true, autocomplete: "off", spellcheck: "false" });
  const organizations = Object.values(trial.organizations).sort((a, b) => a.name.localeCompare(b.name));
  const organization = h("select", { name: "organization_id", required: true }, options(organizations.map((o) => [o.organization_id, o.name]), "Choose an organization"));
  const form = actionForm(
    {
      label: "Invite a person",
      submit: "Send invitation",
      onSubmit: async () => {
        const name = username.value.trim();
        ui.sent = ui.withdrawn = null;
        // The trial's own people are named; of anyone else nothing is told, not even
        // whether an account has this username.
        const known = await get(`${trialPath(context.trialId, "users")}?username=${encodeURIComponent(name)}`);
        if (known.member) {
          throw new Problem({ title: "Already a member", detail: `${name} is ${known.member.printed_name}, a member of this trial already.` }, 409);
        }
        await invite({ username: name, organization_id: organization.value });
        const chosen = trial.organizations[organization.value];
        ui.sent = `Invitation sent to ${name} for ${chosen?.name ?? organization.value}. They join when they accept it; until then it is listed under Pending invitations.`;
        username.value = "";
      },
    },
    h(
      "div",
      { class: "row" },
      field("Username", username, "Their Concord username. They see the invitation when they sign in, and join with their account's printed name only if they accept; then attest their training and grant roles below."),
      field("Organization", organization),
    ),
  );
  if (ui.sent) form.prepend(h("p", { class: "flash", role: "status" }, ui.sent));
  return form;
}

function invitationsSection(context, trial, ui, view) {
  const all = Object.values(trial.invitations ?? {}).sort((a, b) => b.invited_at.localeCompare(a.invited_at));
  const pending = all.filter((i) => i.status === "pending");
  const answered = all.filter((i) => i.status !== "pending");
  if (ui.withdrawing && !pending.some((i) => i.invitation_id === ui.withdrawing)) ui.withdrawing = null;
  const organization = (id) => trial.organizations[id]?.name ?? id;
  return h(
    "section",
    { "aria-labelledby": "invitations-heading" },
    h("h2", { id: "invitations-heading" }, "Pending invitations"),
    h("p", { class: "flash", role: "status", tabindex: "-1", id: "invitations-status" }, ui.withdrawn ?? ""),
    pending.length
      ? h(
          "table",
          { class: "invitations stacks", "aria-labelledby": "invitations-heading" },
          h("thead", {}, h("tr", {}, ["Username", "Organization", "Invited by", "Invited"].map((c) => h("th", { scope: "col" }, c)), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Action")))),
          h(
            "tbody",
            {},
            pending.map((i) =>
              h(
                "tr",
                { "data-invitation": i.invitation_id },
                h("th", { scope: "row" }, i.username),
                h("td", { "data-label": "Organization" }, organization(i.organization_id)),
                h("td", { "data-label": "Invited by" }, context.name(i.invited_by)),
                h("td", { "data-label": "Invited" }, timeElement(i.invited_at)),
                h("td", { class: "row-actions" }, ui.withdrawing === i.invitation_id ? withdrawForm(context, i, ui, view) : withdrawButton(i, ui, view)),
              ),
            ),
          ),
        )
      : h("p", {}, "No invitation awaits an answer."),
    answered.length
      ? h(
          "details",
          { class: "answered-invitations" },
          h("summary", {}, `Answered and withdrawn invitations (${answered.length})`),
          h(
            "table",
            { class: "invitations stacks" },
            h("thead", {}, h("tr", {}, ["Username", "Organization", "Outcome", "Reason"].map((c) => h("th", { scope: "col" }, c)))),
            h(
              "tbody",
              {},
              answered.map((i) =>
                h(
                  "tr",
                  {},
                  h("th", { scope: "row" }, i.username),
                  h("td", { "data-label": "Organization" }, organization(i.organization_id)),
                  h("td", { "data-label": "Outcome" }, badge(i.status, i.status === "accepted" ? "adopted" : "declined")),
                  h("td", { "data-label": "Reason" }, i.reason || "none given"),
                ),
              ),
            ),
          ),
        )
      : null,
  );
}

function withdrawButton(invitation, ui, view) {
  const button = h("button", { type: "button", class: "secondary", "data-withdraw": invitation.invitation_id }, "Withdraw…");
  button.setAttribute("aria-label", `Withdraw the invitation to ${invitation.username}`);
  button.addEventListener("click", async () => {
    ui.withdrawing = invitation.invitation_id;
    await view.refresh();
    focusIn(view.box, `form[data-withdraw="${CSS.escape(invitation.invitation_id)}"] textarea`);
  });
  return button;
}

function withdrawForm(context, invitation, ui, view) {
  const reason = h("textarea", { name: "reason", rows: 2 });
  const form = confirmation(
    {
      label: `Withdraw the invitation to ${invitation.username}`,
      question: `Withdraw the invitation to ${invitation.username}? They can no longer accept it.`,
      confirm: "Withdraw invitation",
      keep: "Keep it",
      onConfirm: async () => {
        const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
        await post(trialPath(context.trialId, "invitations", invitation.invitation_id, "withdrawal"), body);
        ui.withdrawing = null;
        ui.sent = null;
        ui.withdrawn = `The invitation to ${invitation.username} is withdrawn.`;
        await view.refresh();
        focusIn(view.box, "#invitations-status");
      },
      onKeep: async () => {
        ui.withdrawing = null;
        await view.refresh();
        focusIn(view.box, `button[data-withdraw="${CSS.escape(invitation.invitation_id)}"]`);
      },
    },
    field("Reason (optional)", reason),
  );
  form.dataset.withdraw = invitation.invitation_id;
  return form;
}

/** The charter's courses (what its roles require), chosen from a list; "Other course"
 * takes a name the charter does not list (the domain records any course). */
function attestForm(trial, members, attest, said) {
  const member = memberSelect(members);
  const courses = [...new Set(Object.values(trial.charter.roles).flatMap((r) => r.training))].sort();
  const course = h("select", { name: "course", required: true }, options([...courses.map((c) => [c, c]), [OTHER, "Other course…"]], "Choose a course"));
  const other = h("input", { name: "other_course" });
  const otherField = field("Training not in the list", other, "Its name: a course the charter does not require.");
  const showOther = () => {
    otherField.hidden = course.value !== OTHER;
    other.required = course.value === OTHER;
  };
  course.addEventListener("change", showOther);
  showOther();
  const completed = h("input", { name: "completed_on", type: "date", required: true, value: today() });
  return actionForm(
    {
      label: "Attest training",
      submit: "Attest training",
      onSubmit: async () => {
        const name = course.value === OTHER ? other.value.trim() : course.value;
        await attest(member.value, { training: { course: name, completed_on: completed.value } });
        const who = members.find((m) => m.user_id === member.value)?.printed_name ?? member.value;
        await said("attest", `${who}'s training in ${name} (completed on ${completed.value}) is attested.`);
      },
    },
    h("div", { class: "row" }, field("Member", member), field("Course", course, "The courses the charter's roles require."), field("Completed on", completed)),
    otherField,
  );
}

const OTHER = "__other__";

function today() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

function grantForm(trial, members, grant, said) {
  const member = memberSelect(members);
  const role = h("select", { name: "role", required: true }, options(ROLES.map((r) => [r, humanize(r)]), "Choose a role"));
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  const verdict = h("div", { class: "qualification", "aria-live": "polite" });
  const judge = () => {
    const chosen = members.find((m) => m.user_id === member.value);
    fill(verdict, chosen && role.value ? qualification(trial, chosen, role.value) : null);
  };
  member.addEventListener("change", judge);
  role.addEventListener("change", judge);
  // A rebuild (a live event) restores what was chosen once the page is in place, without
  // a change event: judge after that (a task, after the rebuild's microtasks).
  setTimeout(judge, 0);
  return actionForm(
    {
      label: "Grant a role",
      submit: "Grant role",
      onSubmit: async () => {
        await grant(member.value, { role: role.value, reason: reason.value });
        const who = members.find((m) => m.user_id === member.value)?.printed_name ?? member.value;
        await said("grant", `${who} now holds the role ${humanize(role.value)}.`);
      },
    },
    h("div", { class: "row" }, field("Member", member), field("Role", role, "The charter says which organization kinds and training each role needs.")),
    verdict,
    field("Reason for granting", reason),
  );
}

/** Whether ``member`` meets the charter's requirements for ``role`` (the organization's
 * kind, attested training), said before the grant; the server still decides. */
function qualification(trial, member, role) {
  const rule = trial.charter.roles[role];
  if (!rule) return null;
  const organization = trial.organizations[member.organization_id];
  const kind = organization?.kind;
  const kindOk = rule.organization_kinds.includes(kind);
  const missing = rule.training.filter((course) => !(course in member.training));
  const lines = [
    kindOk
      ? `${organization.name} is a ${humanize(kind)} organization, which the role admits.`
      : `${organization?.name ?? member.organization_id} is a ${humanize(kind ?? "unknown")} organization; the role needs one of: ${rule.organization_kinds.map(humanize).join(", ")}.`,
    ...rule.training.map((course) => (course in member.training ? `Training in ${course}: attested (completed on ${member.training[course]}).` : `Training in ${course}: not attested yet.`)),
  ];
  const ok = kindOk && !missing.length;
  return h(
    "div",
    { class: ok ? "qualifies" : "warning qualifies-not" },
    h("p", {}, h("strong", {}, ok ? `${member.printed_name} qualifies for ${humanize(role)}.` : `${member.printed_name} does not qualify for ${humanize(role)} yet.`)),
    h("ul", { class: "plain" }, lines.map((line) => h("li", {}, line))),
  );
}

function revokeForm(members, revoke, said) {
  const held = members.flatMap((m) => [...m.roles].sort().map((r) => [`${m.user_id} ${r}`, `${m.printed_name} — ${humanize(r)}`]));
  const grant = h("select", { name: "grant", required: true }, options(held, "Choose a member's role"));
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  return actionForm(
    {
      label: "Revoke a role",
      submit: "Revoke role",
      onSubmit: async () => {
        const [userId, role] = grant.value.split(" ");
        await revoke(userId, { role, reason: reason.value });
        const who = members.find((m) => m.user_id === userId)?.printed_name ?? userId;
        await said("revoke", `${who} no longer holds the role ${humanize(role)}.`);
      },
    },
    field("Role held", grant),
    field("Reason for revoking", reason),
  );
}

/** Withdrawing a mistaken training attestation: the member's course and a reason, then a
 * question; the server refuses (409) while the member holds a role that needs it. */
function withdrawTrainingForm(members, ui, view, withdraw) {
  const recorded = members.flatMap((m) =>
    Object.keys(m.training)
      .sort()
      .map((course) => ({ member: m, course })),
  );
  const said = ui.untrained ? h("p", { class: "flash", role: "status", tabindex: "-1", id: "untraining-status" }, ui.untrained) : null;
  if (!recorded.length) return [said, h("p", {}, "No member has attested training.")];
  const asked = ui.untraining;
  if (asked && recorded.some((r) => r.member.user_id === asked.user_id && r.course === asked.course)) {
    const name = members.find((m) => m.user_id === asked.user_id).printed_name;
    return confirmation({
      label: "Withdraw training",
      question: `Withdraw the attestation of ${name}'s training in ${asked.course}? It no longer counts for any role. Your reason is recorded: “${asked.reason}”.`,
      confirm: "Withdraw attestation",
      keep: "Keep the attestation",
      onConfirm: async () => {
        await withdraw(asked.user_id, { course: asked.course, reason: asked.reason });
        ui.untraining = null;
        ui.untrained = `The attestation of ${name}'s training in ${asked.course} is withdrawn.`;
        await view.refresh();
        focusIn(view.box, "#untraining-status");
      },
      onKeep: async () => {
        ui.untrainingKept = asked;
        ui.untraining = null;
        await view.refresh();
        focusIn(view.box, 'form[aria-label="Withdraw training"] button[type="submit"]');
      },
    });
  }
  const choice = h(
    "select",
    { name: "training", required: true },
    options(recorded.map((r) => [JSON.stringify([r.member.user_id, r.course]), `${r.member.printed_name} — ${r.course}`]), "Choose a member's course"),
  );
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  const kept = ui.untrainingKept;
  ui.untrainingKept = null;
  if (kept) {
    choice.value = JSON.stringify([kept.user_id, kept.course]);
    reason.value = kept.reason;
  }
  const form = actionForm(
    {
      label: "Withdraw training",
      submit: "Withdraw training…",
      onSubmit: async () => {
        const [userId, course] = JSON.parse(choice.value);
        ui.untraining = { user_id: userId, course, reason: reason.value.trim() };
        ui.untrained = null;
        await view.refresh();
        focusIn(view.box, 'form[aria-label="Withdraw training"] button[type="submit"]');
      },
    },
    field("Training attested", choice, "A mistaken attestation is withdrawn with a reason; not while the member holds a role that needs the course."),
    field("Reason for withdrawing", reason),
  );
  return [said, form];
}

/** For a member of ``trialId`` who holds no role yet (the trial's pages answer 403): a
 * page that says so, which opens the trial (``reopen``) once a role arrives. Roles are
 * what let a person read the trial and follow it live, so until then the page asks the
 * trial list again every few seconds (a small answer). Null when the person is not a
 * member without a role there (another refusal: the caller shows it). */
export async function roleWaiting(trialId, box, reopen) {
  const mine = async () => (await get("/api/trials")).find((t) => t.trial_id === trialId) ?? null;
  let trial;
  try {
    trial = await mine();
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    return null;
  }
  if (!trial || trial.roles.length) return null;
  fill(
    box,
    h(
      "section",
      { class: "no-role" },
      h("h1", {}, trial.title),
      h("p", { class: "warning" }, `You are a member of ${trial.title} but hold no role yet; an administrator grants roles.`),
      h("p", { role: "status" }, "This page opens the trial as soon as a role is granted to you."),
      h("p", {}, h("a", { href: "#/" }, "Your trials"), " · ", h("a", { href: "#/inbox" }, "Inbox")),
    ),
  );
  let timer = null;
  let stopped = false;
  const check = async () => {
    timer = null;
    try {
      const now = await mine();
      if (stopped) return;
      if (now?.roles.length) {
        stopped = true;
        reopen();
        return;
      }
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
    }
    if (!stopped) timer = setTimeout(check, ROLE_CHECK_MS);
  };
  timer = setTimeout(check, ROLE_CHECK_MS);
  return {
    dispose: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

const ROLE_CHECK_MS = 2000;
