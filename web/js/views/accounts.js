// Accounts, for system administrators: the list and creating an account (its one-time
// password shown once); one account's page is account-page.js. Account auditors see the
// list, read-only, to pick whose trail to read.

import { get, post } from "../api.js";
import { badge, field, h, humanize } from "../dom.js";
import { actionForm, focusIn, link, mountPage } from "../page.js";
import { secretPanel } from "./account.js";

export const SYSTEM_ROLES = ["system_admin", "trial_creator", "account_auditor"];
export const ROLE_HINTS = {
  system_admin: "creates and disables accounts, resets passwords, grants system roles, attests training, reads trails",
  trial_creator: "founds trials",
  account_auditor: "reads any account's trail; changes nothing",
};

export const accountPath = (userId, ...segments) =>
  `/api/accounts/${[userId, ...segments].map((s) => encodeURIComponent(s)).join("/")}`;
export const accountHash = (userId) => `#/accounts/${encodeURIComponent(userId)}`;

export function statusLine(text) {
  return h("p", { class: "flash accounts-status", role: "status", tabindex: "-1" }, text);
}

export function notAllowed(title, text) {
  return h("section", {}, h("h1", {}, title), h("p", { class: "warning" }, text));
}

export function mountAccounts(systemRoles, box) {
  const admin = systemRoles.includes("system_admin");
  const auditor = systemRoles.includes("account_auditor");
  const ui = { created: null };
  const view = mountPage(box, async () => {
    if (!admin && !auditor) {
      return notAllowed("Accounts", "Only system administrators manage accounts, and only they and account auditors read account trails.");
    }
    const accounts = await get("/api/accounts");
    if (!admin) {
      return h(
        "section",
        {},
        h("h1", {}, "Account trails"),
        h("p", { class: "meta" }, "As an account auditor you read what happened to an account: its sign-ins, password changes, roles, training and tokens. Open an account to read its trail."),
        accountTable(accounts),
      );
    }
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

export function yesNo(value) {
  return value ? "yes" : "no";
}

export function rolesOf(account) {
  return account.system_roles.length ? [...account.system_roles].sort().map((r) => badge(humanize(r))) : "none";
}

export function stateBadge(account) {
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

export function oneTimePanel(account, otp, onDone, heading) {
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
