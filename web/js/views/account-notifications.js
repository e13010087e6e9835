// "Your account" → "Email notifications": how the person is told of what waits in their
// inbox (a mail at once, one daily digest, or none) and the address mails go to. Says
// what they chose, and whether this server sends mail at all (`concord serve --smtp`).

import { put } from "../api.js";
import { field, h, timeElement } from "../dom.js";
import { actionForm } from "../page.js";

export const NOTIFICATIONS_PATH = "/api/account/notifications";

const MODES = [
  ["immediate", "A mail as soon as something waits for me"],
  ["digest", "One mail a day listing what waits"],
  ["off", "No mail"],
];

/** What the person chose, in words. */
export function choiceWords(choice) {
  if (choice.mode === "off" || !choice.email) return "You get no notification mails.";
  const hour = String(choice.digest_hour_utc ?? 7).padStart(2, "0");
  return choice.mode === "immediate"
    ? `You get a mail at ${choice.email} as soon as something waits for you.`
    : `You get one mail a day at ${hour}:00 UTC at ${choice.email}, listing what waits for you (none when nothing does).`;
}

/** The section; ``say(message)`` shows the outcome in the page's status line. */
export function notificationsSection(choice, say) {
  const mode = h(
    "select",
    { name: "mode" },
    MODES.map(([value, words]) => h("option", { value, selected: value === choice.mode }, words)),
  );
  const email = h("input", {
    name: "email",
    type: "email",
    autocomplete: "email",
    maxlength: 254,
    value: choice.email ?? "",
    placeholder: "name@example.org",
  });
  const form = actionForm(
    {
      label: "Email notifications",
      submit: "Save notification choice",
      onSubmit: async () => {
        const chosen = await put(NOTIFICATIONS_PATH, { mode: mode.value, email: email.value.trim() || null });
        await say(`Saved. ${choiceWords(chosen)}`);
      },
    },
    field("When to mail me", mode),
    field("Email address", email, "Only for these mails; it is kept outside the trial's record and deleted if your data is erased."),
  );
  return h(
    "section",
    { "aria-labelledby": "notifications-heading", class: "notification-choice" },
    h("h2", { id: "notifications-heading" }, "Email notifications"),
    h("p", { "data-choice": choice.mode }, choiceWords(choice)),
    choice.updated_at ? h("p", { class: "meta" }, "Chosen ", timeElement(choice.updated_at), ".") : null,
    choice.mail_enabled
      ? null
      : h("p", { class: "hint" }, "This server has no mail server configured, so no mail is sent yet; your choice is kept for when one is."),
    form,
  );
}
