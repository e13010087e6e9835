// Accounts, for system administrators: the list, creating an account (its one-time
// password shown once), and one account's page: disabling and enabling with a reason,
// resetting the password, system roles, system-level training, and the account's trail.
// Account auditors read trails only.

import { get, post } from "../api.js";
import { badge, field, h, humanize } from "../dom.js";
import { actionButton, actionForm, confirmation, focusIn, link, mountPage } from "../page.js";
import { secretPanel } from "./account.js";
import { nameOf, trailTimeline, trainingOf } from "./account-trail.js";

export const SYSTEM_ROLES = ["system_admin", "trial_creator", "account_auditor"];
const ROLE_HINTS = {
  system_admin: "creates and disables accounts, resets passwords, grants system roles, attests training, reads trails",
  trial_creator: "founds trials",
  account_auditor: "reads any account's trail; changes nothing",
};
const GCP = "ICH E6(R3) Good Clinical Practice";

const accountPath = (userId, ...segments) =>
  `/api/accounts/${[userId, ...segments].map((s) => encodeURIComponent(s)).join("/")}`;
const accountHash = (userId) => `#/accounts/${encodeURIComponent(userId)}`;

function statusLine(text) {
  return h("p", { class: "flash accounts-status", role: "status", tabindex: "-1" }, text);
}

function notAllowed(title, text) {
  return h("section", {}, h("h1", {}, title), h("p", { class: "warning" }, text));
}

export function mountAccounts(me, systemRoles, box) {
  const admin = systemRoles.includes("system_admin");
  const auditor = systemRoles.includes("account_auditor");
  const ui = { created: null };
  const view = mountPage(box, async () => {
    if (!admin && !auditor) {
      return notAllowed("Accounts", "Only system administrators manage accounts, and only they and account auditors read account trails.");
    }
    if (!admin) return trailPicker();
    const accounts = await get("/api/accounts");
    return h(
      "section",
      {},
      h("h1", {}, "Accounts"),
      h("p", { class: "meta" }, "Everyone who can sign in to this installation. Open an account to disable or enable it, reset its password, grant system roles, attest training and read its trail."),
      ui.created ? createdPanel(ui, view) : null,
      accountTable(accounts),
      h("h2", {}, "Create an account"),
      createForm(ui, () => view.refresh(), box),
    );
  });
  return view;
}

/** For an account auditor, who reads trails but is not shown the list of accounts. */
function trailPicker() {
  const userId = h("input", { name: "user_id", required: true, autocomplete: "off", spellcheck: "false" });
  return h(
    "section",
    {},
    h("h1", {}, "Account trails"),
    h("p", { class: "meta" }, "As an account auditor you read what happened to an account: its sign-ins, password changes, roles, training and tokens."),
    actionForm(
      {
        label: "Read an account's trail",
        submit: "Read trail",
        onSubmit: async () => {
          location.hash = accountHash(userId.value.trim());
        },
      },
      field("User id", userId, "The account's user id (u-…), as a trial's audit records in full show it beside the name."),
    ),
  );
}

function yesNo(value) {
  return value ? "yes" : "no";
}

function rolesOf(account) {
  return account.system_roles.length ? [...account.system_roles].sort().map((r) => badge(humanize(r))) : "none";
}

function stateBadge(account) {
  return account.disabled ? badge("disabled", "declined") : badge("active", "adopted");
}

function accountTable(accounts) {
  const sorted = [...accounts].sort((a, b) => a.printed_name.localeCompare(b.printed_name));
  return h(
    "table",
    { class: "accounts stacks", "aria-label": "Accounts" },
    h("thead", {}, h("tr", {}, ["Person", "Username", "State", "System roles", "Must change password"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      sorted.map((a) =>
        h(
          "tr",
          { "data-user": a.user_id },
          h("th", { scope: "row" }, link(accountHash(a.user_id), a.printed_name)),
          h("td", { "data-label": "Username" }, a.username),
          h("td", { "data-label": "State" }, stateBadge(a)),
          h("td", { "data-label": "System roles", class: "roles" }, rolesOf(a)),
          h("td", { "data-label": "Must change password" }, yesNo(a.must_change_password)),
        ),
      ),
    ),
  );
}

function createForm(ui, refresh, box) {
  const username = h("input", { name: "username", required: true, autocomplete: "off", spellcheck: "false" });
  const printed = h("input", { name: "printed_name", required: true, autocomplete: "off" });
  return actionForm(
    {
      label: "Create an account",
      submit: "Create account",
      onSubmit: async () => {
        ui.created = await post("/api/accounts", { username: username.value.trim(), printed_name: printed.value.trim() });
        username.value = printed.value = "";
        await refresh();
        focusIn(box, ".token-secret input");
      },
    },
    h(
      "div",
      { class: "row" },
      field("Username", username, "What they type to sign in."),
      field("Printed name", printed, "As it appears on signatures and in the trails, e.g. “Dr Noor Karimi”."),
    ),
  );
}

function oneTimePanel(account, otp, onDone, heading) {
  return secretPanel({
    label: `One-time password of ${account.printed_name}`,
    heading,
    secret: otp,
    warning: `Give it to ${account.printed_name} yourself, by a channel only they read. It is shown only this once. They must choose their own password when they sign in with it; until then Concord shows them nothing else.`,
    done: "I have passed it on",
    onDone,
  });
}

function createdPanel(ui, view) {
  const created = ui.created;
  return oneTimePanel(
    created,
    created.one_time_password,
    async () => {
      ui.created = null;
      await view.refresh();
    },
    `Account ${created.username} created for ${created.printed_name}`,
  );
}

/** One account: its state and what an administrator may do to it, then its trail. An
 * account auditor sees the trail only. */
export function mountAccountPage(me, systemRoles, userId, box) {
  const admin = systemRoles.includes("system_admin");
  const auditor = systemRoles.includes("account_auditor");
  // ``asking``: the action whose question is open ({key, ...}); ``otp``: a reset's
  // one-time password, shown until dismissed; ``said``: the last outcome.
  const ui = { asking: null, kept: null, otp: null, said: "" };
  const say = async (message) => {
    ui.said = message;
    ui.asking = null;
    await view.refresh();
    focusIn(box, ".accounts-status");
  };
  const ctx = { ui, say, box, userId, refresh: () => view.refresh() };
  const view = mountPage(box, async () => {
    if (!admin && !auditor) {
      return notAllowed("Account", "Only system administrators and account auditors read an account's trail.");
    }
    const [accounts, trail] = await Promise.all([admin ? get("/api/accounts") : Promise.resolve([]), get(accountPath(userId, "trail"))]);
    const names = new Map(accounts.map((a) => [a.user_id, a.printed_name]));
    const account = accounts.find((a) => a.user_id === userId);
    const created = trail.find((e) => e.type === "AccountCreated")?.data;
    if (!names.has(userId) && created) names.set(userId, created.printed_name);
    if (me) names.set(me.user_id, names.get(me.user_id) ?? me.printed_name);
    const title = account?.printed_name ?? created?.printed_name ?? userId;
    return h(
      "section",
      {},
      h("p", {}, admin ? link("#/accounts", "All accounts") : link("#/accounts", "Another account")),
      h("h1", {}, title),
      account
        ? h(
            "p",
            { class: "meta account-summary" },
            `Username ${account.username} · `,
            stateBadge(account),
            " · system roles: ",
            rolesOf(account),
            ` · must change password: ${yesNo(account.must_change_password)}`,
          )
        : h("p", { class: "meta" }, `User id ${userId}`),
      statusLine(ui.said),
      account && admin ? administration(ctx, account, trainingOf(trail), me, (by) => nameOf(by, names, userId)) : null,
      h(
        "section",
        { "aria-labelledby": "trail-heading" },
        h("h2", { id: "trail-heading" }, "Trail"),
        h("p", { class: "hint" }, "Everything recorded of this account, newest first. Times are the server's, with their zone."),
        actionButton("Read the trail again", async () => {
          ui.said = "";
          await view.refresh();
        }, { className: "secondary" }),
        trailTimeline(trail, names, userId),
      ),
    );
  });
  return view;
}

function administration(ctx, account, training, me, by) {
  const self = me?.user_id === account.user_id;
  return [
    h(
      "section",
      { "aria-labelledby": "access-heading" },
      h("h2", { id: "access-heading" }, "Access"),
      self
        ? h("p", { class: "note" }, "You cannot disable your own account or reset your own password here; change your password on Your account.")
        : [
            titled(account.disabled ? "Enable the account" : "Disable the account", account.disabled ? enableForm(ctx, account) : disableForm(ctx, account)),
            titled("Reset the password", resetSection(ctx, account)),
          ],
    ),
    h(
      "section",
      { "aria-labelledby": "roles-heading" },
      h("h2", { id: "roles-heading" }, "System roles"),
      h(
        "ul",
        { class: "plain role-hints" },
        SYSTEM_ROLES.map((r) => h("li", {}, h("strong", {}, humanize(r)), `: ${ROLE_HINTS[r]}`)),
      ),
      titled("Grant a role", grantForm(ctx, account)),
      account.system_roles.length ? titled("Revoke a role", revokeForm(ctx, account)) : null,
    ),
    h(
      "section",
      { "aria-labelledby": "training-heading" },
      h("h2", { id: "training-heading" }, "Training (system level)"),
      h("p", { class: "hint" }, "Attested here, training goes with the person into each trial they found. Nobody attests their own."),
      trainingTable(training, by),
      self ? null : titled("Attest training", attestForm(ctx, account)),
      training.size ? titled("Withdraw an attestation", withdrawTrainingForm(ctx, account, training)) : null,
    ),
  ];
}

function titled(title, content) {
  return h("div", { class: "admin-form" }, h("h3", {}, title), content);
}

/** A form whose submission first asks ``question(values)``; confirming runs ``run``. */
function askedForm(ctx, { key, label, submit, confirm, question, run, done }, ...fields) {
  const { ui } = ctx;
  if (ui.asking?.key === key) {
    const asked = ui.asking;
    const form = confirmation({
      label,
      question: asked.question,
      confirm,
      keep: "Keep things as they are",
      onConfirm: async () => {
        const outcome = await run(asked.values);
        await ctx.say(done(asked.values, outcome));
      },
      onKeep: async () => {
        // The form comes back with what was typed.
        ui.kept = asked;
        ui.asking = null;
        await ctx.refresh();
        focusIn(ctx.box, `form[aria-label="${CSS.escape(label)}"] button[type="submit"]`);
      },
    });
    return form;
  }
  const form = actionForm(
    {
      label,
      submit,
      onSubmit: async () => {
        const values = Object.fromEntries(new FormData(form).entries());
        ui.asking = { key, values, question: question(values) };
        await ctx.refresh();
        focusIn(ctx.box, `form[aria-label="${CSS.escape(label)}"] button[type="submit"]`);
      },
    },
    fields,
  );
  if (ui.kept?.key === key) {
    for (const [name, value] of Object.entries(ui.kept.values)) {
      if (form.elements[name]) form.elements[name].value = value;
    }
    ui.kept = null;
  }
  return form;
}

function reasonField(label) {
  return field(label, h("textarea", { name: "reason", rows: 2, required: true }));
}

function disableForm(ctx, account) {
  return askedForm(
    ctx,
    {
      key: "disable",
      label: `Disable ${account.printed_name}'s account`,
      submit: "Disable account…",
      confirm: "Disable account",
      question: () => `Disable ${account.printed_name}'s account? They are signed out everywhere at once, their API tokens stop working and they cannot sign in until the account is enabled again.`,
      run: (v) => post(accountPath(account.user_id, "disable"), { reason: v.reason }),
      done: () => `${account.printed_name}'s account is disabled.`,
    },
    reasonField("Reason for disabling"),
  );
}

function enableForm(ctx, account) {
  return askedForm(
    ctx,
    {
      key: "enable",
      label: `Enable ${account.printed_name}'s account`,
      submit: "Enable account…",
      confirm: "Enable account",
      question: () => `Enable ${account.printed_name}'s account? They can sign in again with their password.`,
      run: (v) => post(accountPath(account.user_id, "enable"), { reason: v.reason }),
      done: () => `${account.printed_name}'s account is enabled.`,
    },
    reasonField("Reason for enabling"),
  );
}

function resetSection(ctx, account) {
  const { ui } = ctx;
  if (ui.otp) {
    return oneTimePanel(account, ui.otp, async () => {
      ui.otp = null;
      await ctx.refresh();
    }, `${account.printed_name}'s password is reset`);
  }
  return askedForm(ctx, {
    key: "reset",
    label: `Reset ${account.printed_name}'s password`,
    submit: "Reset password…",
    confirm: "Reset password",
    question: () => `Reset ${account.printed_name}'s password? Their current password stops working and their sessions end. You are shown a one-time password to give them; they must replace it when they sign in.`,
    run: async () => {
      const answer = await post(accountPath(account.user_id, "password-reset"), {});
      ui.otp = answer.one_time_password;
    },
    done: () => `${account.printed_name}'s password is reset. Pass the one-time password on.`,
  });
}

function grantForm(ctx, account) {
  const free = SYSTEM_ROLES.filter((r) => !account.system_roles.includes(r));
  if (!free.length) return h("p", {}, "Every system role is held.");
  const role = h("select", { name: "role", required: true }, h("option", { value: "" }, "Choose a role"), free.map((r) => h("option", { value: r }, humanize(r))));
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  return actionForm(
    {
      label: "Grant a system role",
      submit: "Grant role",
      onSubmit: async () => {
        const granted = role.value;
        await post(accountPath(account.user_id, "system-roles"), { role: granted, reason: reason.value });
        reason.value = "";
        await ctx.say(`${account.printed_name} now holds the system role ${humanize(granted)}.`);
      },
    },
    h("div", { class: "row" }, field("Role", role)),
    field("Reason for granting", reason),
  );
}

function revokeForm(ctx, account) {
  const held = [...account.system_roles].sort();
  return askedForm(
    ctx,
    {
      key: "revoke-role",
      label: "Revoke a system role",
      submit: "Revoke role…",
      confirm: "Revoke role",
      question: (v) => `Revoke ${account.printed_name}'s system role ${humanize(v.role)}?`,
      run: (v) => post(accountPath(account.user_id, "system-roles", v.role, "revoke"), { reason: v.reason }),
      done: (v) => `${account.printed_name} no longer holds the system role ${humanize(v.role)}.`,
    },
    field("Role held", h("select", { name: "role", required: true }, h("option", { value: "" }, "Choose a role"), held.map((r) => h("option", { value: r }, humanize(r))))),
    reasonField("Reason for revoking"),
  );
}

function trainingTable(training, by) {
  if (!training.size) return h("p", {}, "No training is attested at system level.");
  return h(
    "table",
    { class: "account-training stacks", "aria-labelledby": "training-heading" },
    h("thead", {}, h("tr", {}, ["Course", "Completed on", "Attested by"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      [...training.values()].map((t) =>
        h("tr", {}, h("th", { scope: "row" }, t.course), h("td", { "data-label": "Completed on" }, t.completed_on), h("td", { "data-label": "Attested by" }, by(t.attested_by))),
      ),
    ),
  );
}

function today() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

function attestForm(ctx, account) {
  const list = h("datalist", { id: "system-courses" }, h("option", { value: GCP }));
  const course = h("input", { name: "course", required: true, list: "system-courses" });
  const completed = h("input", { name: "completed_on", type: "date", required: true, max: today() });
  return actionForm(
    {
      label: "Attest training",
      submit: "Attest training",
      onSubmit: async () => {
        const attested = course.value.trim();
        await post(accountPath(account.user_id, "training"), { course: attested, completed_on: completed.value });
        course.value = completed.value = "";
        await ctx.say(`${account.printed_name}'s training in ${attested} is attested.`);
      },
    },
    h("div", { class: "row" }, field("Course", course), field("Completed on", completed, "The day they completed it; not in the future.")),
    list,
  );
}

function withdrawTrainingForm(ctx, account, training) {
  return askedForm(
    ctx,
    {
      key: "withdraw-training",
      label: "Withdraw a training attestation",
      submit: "Withdraw…",
      confirm: "Withdraw attestation",
      question: (v) => `Withdraw the attestation of ${account.printed_name}'s training in ${v.course}? Trials they found from now on will not have it.`,
      run: (v) => post(accountPath(account.user_id, "training", v.course, "withdraw"), { reason: v.reason }),
      done: (v) => `The attestation of ${account.printed_name}'s training in ${v.course} is withdrawn.`,
    },
    field("Course", h("select", { name: "course", required: true }, h("option", { value: "" }, "Choose a course"), [...training.keys()].map((c) => h("option", { value: c }, c)))),
    reasonField("Reason for withdrawing"),
  );
}
