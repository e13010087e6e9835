// "Your account": changing your own password, and your API tokens (created with a name
// and a lifetime, the secret shown once; listed with when they were created, expire,
// were last used or revoked; revoked after a question).

import { Problem, del, get, post, setCsrfToken } from "../api.js";
import { badge, field, h, timeElement, utc } from "../dom.js";
import { actionForm, confirmation, focusIn, mountPage } from "../page.js";
import { NOTIFICATIONS_PATH, notificationsSection } from "./account-notifications.js";

const DEFAULT_LIFETIME_DAYS = 90;
const MAX_LIFETIME_DAYS = 365;

/** The form that replaces the person's password: the current one re-entered, the new one
 * twice. ``onChanged(answer)`` gets the server's answer ({user, csrf_token}: the session
 * is a new one). The password policy's refusal is shown as the server words it. */
export function passwordChangeForm({ label, submit, onChanged }) {
  const current = h("input", { name: "current_password", type: "password", autocomplete: "current-password", required: true });
  const fresh = h("input", { name: "new_password", type: "password", autocomplete: "new-password", required: true, minlength: 12 });
  const repeat = h("input", { name: "repeat_password", type: "password", autocomplete: "new-password", required: true });
  const form = actionForm(
    {
      label,
      submit,
      onSubmit: async () => {
        if (fresh.value !== repeat.value) {
          throw new Problem({ title: "The new passwords differ", detail: "Type the same new password in both fields." }, 0);
        }
        const answer = await post("/api/session/password", { current_password: current.value, new_password: fresh.value });
        for (const input of [current, fresh, repeat]) input.value = "";
        await onChanged(answer);
      },
    },
    field("Current password", current, "The password you signed in with."),
    field(
      "New password",
      fresh,
      "At least 12 characters and hard to guess: a phrase of several uncommon words works well. Not your username or name.",
    ),
    field("Repeat the new password", repeat),
  );
  return form;
}

export function mountAccount(me, box) {
  // ``issued``: the token just created (its secret, shown until the page is left);
  // ``revoking``: the token whose revocation is being asked about; ``said``: the last
  // outcome, in the status line.
  const ui = { issued: null, revoking: null, said: "" };
  const handle = { box, refresh: () => view.refresh() };
  const say = async (message, focus = ".account-status") => {
    ui.said = message;
    await view.refresh();
    focusIn(box, focus);
  };
  const view = mountPage(box, async () => {
    const [tokens, notifications] = await Promise.all([get("/api/tokens"), get(NOTIFICATIONS_PATH)]);
    if (ui.revoking && !tokens.some((t) => t.token_id === ui.revoking && !t.revoked_at)) ui.revoking = null;
    return h(
      "section",
      {},
      h("h1", {}, "Your account"),
      h("p", { class: "meta" }, `${me.printed_name}, signed in as ${me.username}.`),
      h("p", { class: "flash account-status", role: "status", tabindex: "-1" }, ui.said),
      h(
        "section",
        { "aria-labelledby": "password-heading" },
        h("h2", { id: "password-heading" }, "Change your password"),
        h("p", { class: "hint" }, "Your other sessions end; this one continues."),
        passwordChangeForm({
          label: "Change your password",
          submit: "Change password",
          onChanged: async (answer) => {
            // The answer's session is a new one, with its own CSRF token.
            setCsrfToken(answer.csrf_token);
            await say("Your password is changed. Your other sessions have ended.");
          },
        }),
      ),
      notificationsSection(notifications, say),
      tokensSection(tokens, ui, handle, say),
    );
  });
  return view;
}

function tokensSection(tokens, ui, view, say) {
  return h(
    "section",
    { "aria-labelledby": "tokens-heading" },
    h("h2", { id: "tokens-heading", tabindex: "-1" }, "API tokens"),
    h(
      "p",
      { class: "hint" },
      "A token lets a script act as you through the API (header Authorization: Bearer …) until it expires or you revoke it.",
    ),
    ui.issued ? issuedPanel(ui.issued, ui, view) : null,
    tokens.length ? tokenTable(tokens, ui, view, say) : h("p", {}, "You have no API tokens."),
    h("h3", {}, "Create a token"),
    createTokenForm(ui, view),
  );
}

function tokenState(token) {
  if (token.revoked_at) return badge("revoked", "declined");
  if (token.expires_at && new Date(token.expires_at) <= new Date()) return badge("expired", "declined");
  return badge("active", "adopted");
}

function timeOf(text, none) {
  return text ? timeElement(text) : none;
}

function tokenTable(tokens, ui, view, say) {
  return h(
    "table",
    { class: "tokens stacks", "aria-labelledby": "tokens-heading" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Name", "State", "Created", "Expires", "Last used", "Revoked"].map((c) => h("th", { scope: "col" }, c)),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Action")),
      ),
    ),
    h(
      "tbody",
      {},
      tokens.map((t) =>
        h(
          "tr",
          { "data-token": t.token_id },
          h("th", { scope: "row" }, t.name),
          h("td", { "data-label": "State" }, tokenState(t)),
          h("td", { "data-label": "Created" }, timeOf(t.created_at, "")),
          h("td", { "data-label": "Expires" }, timeOf(t.expires_at, "never")),
          h("td", { "data-label": "Last used" }, timeOf(t.last_used_at, "never")),
          h("td", { "data-label": "Revoked" }, timeOf(t.revoked_at, "—")),
          h(
            "td",
            { class: "row-actions" },
            t.revoked_at ? null : ui.revoking === t.token_id ? revokeForm(t, ui, view, say) : revokeButton(t, ui, view),
          ),
        ),
      ),
    ),
  );
}

function revokeButton(token, ui, view) {
  const button = h("button", { type: "button", class: "secondary", "data-revoke": token.token_id, "aria-label": `Revoke the token ${token.name}` }, "Revoke…");
  button.addEventListener("click", async () => {
    ui.revoking = token.token_id;
    await view.refresh();
    focusIn(view.box, `form[data-revoke="${CSS.escape(token.token_id)}"] button[type="submit"]`);
  });
  return button;
}

function revokeForm(token, ui, view, say) {
  const form = confirmation({
    label: `Revoke the token ${token.name}`,
    question: `Revoke the token “${token.name}”? Scripts using it are refused from now on. This cannot be undone.`,
    confirm: "Revoke token",
    keep: "Keep it",
    onConfirm: async () => {
      await del(`/api/tokens/${encodeURIComponent(token.token_id)}`);
      ui.revoking = null;
      if (ui.issued?.token_id === token.token_id) ui.issued = null;
      await say(`The token “${token.name}” is revoked.`);
    },
    onKeep: async () => {
      ui.revoking = null;
      await view.refresh();
      focusIn(view.box, `button[data-revoke="${CSS.escape(token.token_id)}"]`);
    },
  });
  form.dataset.revoke = token.token_id;
  return form;
}

function createTokenForm(ui, view) {
  const name = h("input", { name: "name", required: true, autocomplete: "off", maxlength: 100 });
  const days = h("input", {
    name: "lifetime_days",
    type: "number",
    min: 1,
    max: MAX_LIFETIME_DAYS,
    step: 1,
    required: true,
    value: String(DEFAULT_LIFETIME_DAYS),
    inputmode: "numeric",
  });
  return actionForm(
    {
      label: "Create a token",
      submit: "Create token",
      onSubmit: async () => {
        ui.issued = await post("/api/tokens", { name: name.value.trim(), lifetime_days: Number(days.value) });
        name.value = "";
        await view.refresh();
        focusIn(view.box, ".token-secret input");
      },
    },
    h(
      "div",
      { class: "row" },
      field("Token name", name, "What it is for, e.g. “nightly export”."),
      field("Lifetime in days", days, `1 to ${MAX_LIFETIME_DAYS}; ${DEFAULT_LIFETIME_DAYS} unless you change it.`),
    ),
  );
}

/** A secret shown once: a read-only field to select, a copy button, and the warning. */
export function secretPanel({ label, heading, secret, warning, onDone, done }) {
  const value = h("input", { name: "secret", readonly: true, value: secret, spellcheck: "false", autocomplete: "off", class: "secret" });
  value.addEventListener("focus", () => value.select());
  const copied = h("span", { class: "copied", role: "status" });
  const copy = h("button", { type: "button" }, "Copy");
  copy.addEventListener("click", async () => {
    value.select();
    try {
      await navigator.clipboard.writeText(secret);
      copied.textContent = "Copied.";
    } catch {
      copied.textContent = "Copying is not allowed here: the text is selected, press Ctrl+C (⌘C).";
    }
  });
  const close = h("button", { type: "button", class: "secondary" }, done);
  close.addEventListener("click", onDone);
  return h(
    "section",
    { class: "token-secret", "aria-label": label },
    h("h3", {}, heading),
    h("p", { class: "warning" }, warning),
    field(label, value),
    h("div", { class: "buttons" }, copy, close, copied),
  );
}

function issuedPanel(issued, ui, view) {
  return secretPanel({
    label: `The secret of the token ${issued.name}`,
    heading: `Token “${issued.name}” created`,
    secret: issued.token,
    warning: `Copy it now: it is shown only this once and cannot be read again. It expires ${utc(issued.expires_at)}. Keep it as secret as a password.`,
    done: "I have copied it",
    onDone: async () => {
      ui.issued = null;
      await view.refresh();
      focusIn(view.box, "#tokens-heading");
    },
  });
}
