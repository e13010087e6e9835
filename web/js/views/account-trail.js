// An account's trail (GET /api/accounts/{user_id}/trail) as a timeline a person reads:
// when (the recorded time with its zone), what happened in words, who did it and how.

import { h, humanize, timeElement, utc } from "../dom.js";

const REFUSALS = {
  wrong_password: "wrong password",
  account_disabled: "the account is disabled",
  unknown_username: "unknown username",
};

/** A person's name for a ``by``/actor value: a user id (named by ``names`` when known),
 * ``operator:{name}`` (a command on the server's machine) or ``self``. */
export function nameOf(by, names, owner) {
  if (!by) return "unknown";
  if (by === "self" || by === owner) return names.get(owner) ? `${names.get(owner)} (the account's owner)` : "the account's owner";
  if (by.startsWith("operator:")) return `the server's operator (${by.slice("operator:".length)})`;
  return names.get(by) ?? by;
}

function roleName(role) {
  return humanize(role);
}

/** What an event of the account's stream says, in a sentence; ``tokens`` names the
 * account's tokens by id (from their ApiTokenIssued). */
export function happened(entry, by, tokens = new Map()) {
  const d = entry.data ?? {};
  switch (entry.type) {
    case "AccountCreated":
      return `Account created by ${by(d.created_by)}: username ${d.username}, printed name ${d.printed_name}${d.must_change_password ? "; the password must be changed at the first sign-in" : ""}`;
    case "AccountDisabled":
      return `Disabled by ${by(d.disabled_by)}. Reason: ${d.reason}`;
    case "AccountEnabled":
      return `Enabled by ${by(d.enabled_by)}. Reason: ${d.reason}`;
    case "PasswordChanged":
      return "Password changed by the account's owner";
    case "PasswordReset":
      return `Password reset by ${by(d.reset_by)}: a one-time password, to be changed at the next sign-in`;
    case "PrintedNameChanged":
      return `Printed name changed to ${d.printed_name} by ${by(d.changed_by)}`;
    case "SystemRoleGranted":
      return `System role ${roleName(d.role)} granted by ${by(d.granted_by)}. Reason: ${d.reason}`;
    case "SystemRoleRevoked":
      return `System role ${roleName(d.role)} revoked by ${by(d.revoked_by)}. Reason: ${d.reason}`;
    case "AccountTrainingAttested":
      return `Training in ${d.course} (completed on ${d.completed_on}) attested by ${by(d.attested_by)}`;
    case "AccountTrainingWithdrawn":
      return `Training in ${d.course} withdrawn by ${by(d.withdrawn_by)}. Reason: ${d.reason}`;
    case "ApiTokenIssued":
      return `API token “${d.name}” created, expiring ${utc(d.expires_at)}`;
    case "ApiTokenRevoked":
      return `API token ${tokens.has(d.token_id) ? `“${tokens.get(d.token_id)}”` : d.token_id} revoked by ${by(d.revoked_by)}`;
    case "SignInSucceeded":
      return `Signed in from ${d.client}`;
    case "SessionEnded":
      return "Signed out";
    case "SignInRefused":
      return `Sign-in refused: ${REFUSALS[d.refusal] ?? humanize(d.refusal)} (from ${d.client})`;
    case "SignInThrottled":
      return `Sign-in attempts from ${d.client} held back for ${d.retry_after} s after repeated failures`;
    case "PersonalDataErasureRequested":
      return `Erasure of personal data requested by ${by(d.requested_by)}. Reason: ${d.reason}`;
    case "PersonalDataErasureApproved":
      return `Erasure of personal data approved by ${by(d.approved_by)} ${d.trial_id ? `for the trial ${d.trial_id}` : "as the second system administrator"}`;
    case "PersonalDataErasureWithdrawn":
      return `Erasure request withdrawn by ${by(d.withdrawn_by)}; nothing was erased. Reason: ${d.reason}`;
    case "PersonalDataErased":
      return `Personal data erased: it reads “[erased]” everywhere. Reason: ${d.reason}`;
    default:
      return humanize(entry.type);
  }
}

const VIA = { session: "in the web app", token: "with an API token" };

/** Whoever typed at the sign-in form is not known to be the owner. */
const ATTEMPTS = new Set(["SignInRefused", "SignInThrottled"]);

function how(entry, by) {
  const parts = [];
  if (ATTEMPTS.has(entry.type)) parts.push("by whoever was signing in");
  else if (entry.actor) parts.push(`by ${by(entry.actor)}`);
  if (entry.via) parts.push(VIA[entry.via] ?? `via ${entry.via}`);
  return parts.join(", ");
}

/** The trail of ``owner`` (oldest first, as the server answers it) drawn newest first;
 * ``names`` maps user ids to printed names where the reader may know them. */
export function trailTimeline(entries, names, owner) {
  if (!entries.length) return h("p", {}, "Nothing is recorded of this account.");
  const by = (value) => nameOf(value, names, owner);
  const tokens = new Map(entries.filter((e) => e.type === "ApiTokenIssued").map((e) => [e.data.token_id, e.data.name]));
  return h(
    "ol",
    { class: "account-trail", reversed: true },
    [...entries].reverse().map((entry) =>
      h(
        "li",
        { "data-type": entry.type, "data-position": entry.position },
        Object.assign(timeElement(entry.recorded_at), { className: "when" }),
        h("p", { class: "what" }, happened(entry, by, tokens)),
        h("p", { class: "meta" }, [how(entry, by), `position ${entry.position}`].filter(Boolean).join(" · ")),
      ),
    ),
  );
}

/** System-level training as the trail says it stands: course -> {completed_on, attested_by}. */
export function trainingOf(entries) {
  const training = new Map();
  for (const { type, data } of entries) {
    if (type === "AccountTrainingAttested") training.set(data.course, data);
    if (type === "AccountTrainingWithdrawn") training.delete(data.course);
  }
  return training;
}
