// The signing ceremony (21 CFR 11.50, 11.200): what is signed (the amendment, its content
// hash, the sections it changes), the meaning fixed by the requirement being fulfilled,
// the password again, then a confirmation showing the manifestation (printed name, date
// and time with its zone, meaning). The signature list shows every signature so, and
// tells a signer whose signature a later change invalidated.

import { post } from "../api.js";
import { field, h, humanize, timeElement } from "../dom.js";
import { actionForm, focusIn } from "../page.js";
import { today } from "./protocol.js";
import { person, requirementSteps } from "./amendment-review.js";

/** What a meaning states, in words shown beside it. */
const MEANING_WORDS = {
  approval: "I approve this amendment",
  review: "I have reviewed this amendment",
  responsibility: "I take responsibility for this amendment",
  authorship: "I wrote this amendment",
};

/** A signature's manifestation: printed name, date and time (UTC), meaning. */
export function manifestation(context, signature) {
  return h(
    "span",
    { class: "manifestation" },
    h("strong", { title: signature.signer_id }, signature.printed_name),
    " · ",
    timeElement(signature.signed_at),
    " · ",
    h("span", { class: "meaning" }, signature.meaning),
    signature.committee_vote ? ` (committee vote ${signature.committee_vote.in_favour}–${signature.committee_vote.against}–${signature.committee_vote.abstaining}, minutes ${signature.committee_vote.minutes_reference})` : "",
  );
}

/** The latest SignaturesInvalidated of the history that names the person among those
 * who had signed, when they have not signed the current content since. */
export function myInvalidation(context, amendment, history) {
  const me = context.me.user_id;
  if (amendment.signatures.some((s) => s.signer_id === me)) return null;
  const event = [...history].reverse().find((e) => e.type === "SignaturesInvalidated" && e.data.signers.includes(me));
  if (!event) return null;
  const signature = [...amendment.invalidated_signatures].reverse().find((s) => s.signer_id === me && s.content_hash === event.data.previous_hash);
  return { event, signature };
}

/** The notice a signer reads on the amendment's page when a change invalidated their
 * signature: which signature, whose change, when, and what to do. */
export function invalidationNotice(context, amendment, history, { canSignAgain }) {
  const found = myInvalidation(context, amendment, history);
  if (!found) return null;
  const { event, signature } = found;
  const by = event.data.invalidated_by || event.actor;
  return h(
    "div",
    { class: "warning invalidated-notice", role: "status" },
    h("p", {}, h("strong", {}, "Your signature no longer counts. ")),
    h(
      "p",
      {},
      signature ? ["Your ", signature.meaning, " signature of ", timeElement(signature.signed_at)] : "Your signature",
      " was on content ",
      h("span", { class: "hash" }, event.data.previous_hash),
      ". ",
      by ? person(context, by) : "An author",
      " changed the amendment at ",
      timeElement(event.recorded_at),
      "; its content is now ",
      h("span", { class: "hash" }, amendment.content_hash),
      ".",
    ),
    h("p", {}, canSignAgain ? "Read the changes, then sign the new content again (Signatures)." : "Your signature is no longer needed on the new content."),
  );
}

/** The Signatures tab: each requirement and the signature meeting it, every signature on
 * the current content as its manifestation, those that no longer count, and the person's
 * own signing (or the confirmation of the signature just given). */
export function signaturesTab(context, amendment, { mine, signed, path, ui }) {
  const steps = requirementSteps(amendment);
  return h(
    "div",
    { class: "signatures-tab" },
    signed ? confirmationPanel(context, amendment, signed) : null,
    h("h2", { id: "h-signatures" }, "Signatures"),
    h(
      "ul",
      { class: "requirements" },
      steps.map(({ requirement, signature }) =>
        h(
          "li",
          {},
          h("span", { class: signature ? "badge adopted" : "badge pending" }, signature ? "given" : "missing"),
          ` ${requirement.name} (${requirement.meaning}, by ${requirement.signatories.roles.map(humanize).join(" or ")})`,
          signature ? [": ", manifestation(context, signature)] : "",
        ),
      ),
    ),
    amendment.signatures.length
      ? h(
          "table",
          { class: "signatures" },
          h("caption", {}, "Signatures on the current content"),
          h("thead", {}, h("tr", {}, ["Printed name", "Signed (UTC)", "Meaning", "Content signed"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            amendment.signatures.map((s) =>
              h("tr", {}, h("td", { title: s.signer_id }, s.printed_name), h("td", {}, timeElement(s.signed_at)), h("td", {}, s.meaning), h("td", { class: "hash" }, s.content_hash)),
            ),
          ),
        )
      : h("p", {}, "No signatures on the current content."),
    amendment.invalidated_signatures.length
      ? h(
          "div",
          { class: "invalidated" },
          h("h3", {}, "Signatures that no longer count"),
          h("p", { class: "note" }, "The content changed after they were given; each signer is told and signs the new content again."),
          h("ul", {}, amendment.invalidated_signatures.map((s) => h("li", {}, manifestation(context, s), " on ", h("span", { class: "hash" }, s.content_hash)))),
        )
      : null,
    mine.length && !signed ? signPanel(context, amendment, mine, path, ui) : null,
  );
}

/** Shown once the person signed, focused: the manifestation of what they signed. */
function confirmationPanel(context, amendment, signature) {
  return h(
    "section",
    { id: "signed", class: "signed-confirmation", tabindex: "-1", "aria-labelledby": "signed-heading" },
    h("h2", { id: "signed-heading" }, `You signed amendment ${amendment.amendment_id}`),
    h(
      "dl",
      { class: "details" },
      h("dt", {}, "Printed name"),
      h("dd", {}, signature.printed_name),
      h("dt", {}, "Date and time"),
      h("dd", {}, timeElement(signature.signed_at)),
      h("dt", {}, "Meaning"),
      h("dd", {}, `${signature.meaning}: ${MEANING_WORDS[signature.meaning] ?? ""}`),
      h("dt", {}, "Content signed"),
      h("dd", { class: "hash" }, signature.content_hash),
    ),
    h("p", { class: "note" }, `Status now: ${humanize(amendment.status)}.`),
  );
}

/** What is being signed: the amendment, its content hash, the sections it changes. */
function whatIsSigned(context, amendment) {
  const sections = Object.values(amendment.changes).map((c) => `${c.number} ${c.heading}`);
  return h(
    "dl",
    { class: "details signing-what" },
    h("dt", {}, "Amendment"),
    h("dd", {}, `${amendment.amendment_id}: ${amendment.details?.summary ?? ""}`),
    h("dt", {}, "Content hash"),
    h("dd", { class: "hash" }, amendment.content_hash),
    h("dt", {}, "Sections it changes"),
    h("dd", {}, sections.join("; ") || "none"),
  );
}

/** The signing form for the requirements the person could meet: the meaning is the
 * requirement's (a choice only between requirements, never a free meaning). */
function signPanel(context, amendment, requirements, path, ui) {
  const name = context.member?.printed_name ?? context.me.printed_name;
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const choices = requirements.map((r, i) => {
    const input = h("input", { type: "radio", name: "requirement", value: r.name, id: `requirement-${i}`, checked: i === 0, required: true });
    return { requirement: r, input, node: h("label", { for: input.id }, input, ` ${r.name}: ${r.meaning} (${MEANING_WORDS[r.meaning] ?? r.meaning})`) };
  });
  const chosen = () => (choices.find((c) => c.input.checked) ?? choices[0]).requirement;
  const meaning =
    requirements.length === 1
      ? h("p", { class: "meaning-fixed" }, h("strong", {}, "Meaning: "), `${requirements[0].meaning} — ${MEANING_WORDS[requirements[0].meaning] ?? ""} (${requirements[0].name})`)
      : h("fieldset", { class: "meaning-choice" }, h("legend", {}, "Which signature you give"), choices.map((c) => c.node));
  const statement = h("p", { class: "statement" }, `You sign as ${name}. Enter your password again to sign.`);
  const done = async (answer) => {
    const event = answer.events.find((e) => e.type === "SignatureApplied" || e.type === "EthicsApprovalRecorded");
    ui.signed = event?.data.signature ?? null;
    await ui.refresh();
    focusIn(ui.box, "#signed");
  };
  const ethics = requirements.find((r) => r.needs_committee_vote);
  if (ethics && requirements.length === 1) {
    const meeting = h("input", { type: "date", name: "meeting_date", required: true, value: today() });
    const counts = ["in_favour", "against", "abstaining"].map((n) => h("input", { type: "number", min: 0, name: n, required: true, value: "0" }));
    const minutes = h("input", { name: "minutes_reference", required: true });
    const record = async () =>
      done(
        await post(path("ethics-approval"), {
          content_hash: amendment.content_hash,
          meeting_date: meeting.value,
          in_favour: Number(counts[0].value),
          against: Number(counts[1].value),
          abstaining: Number(counts[2].value),
          minutes_reference: minutes.value,
          password: password.value,
        }),
      );
    return signSection(
      whatIsSigned(context, amendment),
      actionForm(
        { label: "Record ethics approval", submit: "Record approval and sign", onSubmit: record },
        meaning,
        field("Meeting date", meeting),
        h("div", { class: "row" }, field("In favour", counts[0]), field("Against", counts[1]), field("Abstaining", counts[2])),
        field("Minutes reference", minutes),
        statement,
        field("Password", password),
      ),
    );
  }
  const sign = async () => done(await post(path("signatures"), { meaning: chosen().meaning, content_hash: amendment.content_hash, password: password.value }));
  return signSection(
    whatIsSigned(context, amendment),
    actionForm({ label: "Sign the amendment", submit: requirements.length === 1 ? `Sign (${requirements[0].meaning})` : "Sign", onSubmit: sign }, meaning, statement, field("Password", password)),
  );
}

function signSection(...children) {
  return h("section", { id: "sign", class: "sign-panel", tabindex: "-1", "aria-labelledby": "sign-heading" }, h("h2", { id: "sign-heading" }, "Your signature"), children);
}
