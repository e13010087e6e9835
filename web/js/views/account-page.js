// One account's page: its state and what a system administrator may do to it (disable
// and enable with a reason, reset the password, system roles, system-level training),
// each destructive step asked first, then its trail. Account auditors read the trail only.

import { get, post } from "../api.js";
import { field, h, humanize } from "../dom.js";
import { actionButton, actionForm, focusIn, link, mountPage } from "../page.js";
import { nameOf, trailTimeline, trainingOf } from "./account-trail.js";
import { askedForm, reasonField } from "./asked-form.js";
import { erasureSection } from "./erasure.js";
import {
  ROLE_HINTS,
  SYSTEM_ROLES,
  accountPath,
  notAllowed,
  oneTimePanel,
  rolesOf,
  stateBadge,
  statusLine,
  yesNo,
} from "./accounts.js";

const GCP = "ICH E6(R3) Good Clinical Practice";

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
    const [accounts, trail] = await Promise.all([get("/api/accounts"), get(accountPath(userId, "trail"))]);
    const names = new Map(accounts.map((a) => [a.user_id, a.printed_name]));
    const account = accounts.find((a) => a.user_id === userId);
    const created = trail.find((e) => e.type === "AccountCreated")?.data;
    if (!names.has(userId) && created) names.set(userId, created.printed_name);
    if (me) names.set(me.user_id, names.get(me.user_id) ?? me.printed_name);
    const title = account?.printed_name ?? created?.printed_name ?? userId;
    return h(
      "section",
      {},
      h("p", {}, link("#/accounts", "All accounts")),
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
      account && admin ? await erasureSection(ctx, account, trail, names) : null,
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
      destructive: false,
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
