// Plain-language names for what the audit page shows of the log: the records' state
// fields ("opened_by" -> "Opened by"), field paths of the trail ("members.u-7.roles[0]" ->
// "Members › Dr Ivy Chen › Roles › 1st"), event types ("AmendmentSubmitted" -> "Amendment
// submitted") and people (a printed name, the user id on hover).

import { h, timeElement } from "../dom.js";

/** State fields whose words are not simply their name spaced out. Any other field reads
 * as its name with the underscores spaced and the first letter capitalised. */
export const FIELD_LABELS = {
  amendment_id: "Amendment",
  author_id: "Author",
  base_revision: "Based on revision",
  base_version: "Based on version",
  based_on: "Based on revision",
  cast_at: "Voted at",
  closing_reason: "Reason for closing",
  comment_id: "Comment",
  committee_vote: "Committee vote",
  concurrent_substantial_modifications: "Concurrent substantial modifications",
  content_hash: "Content hash (SHA-256)",
  data_reliability_impact: "Impact on data reliability",
  dispute_id: "Dispute",
  eligible_voters: "Eligible voters",
  from_level: "From level",
  in_favour: "In favour",
  in_reply_to: "In reply to",
  invalidated_signatures: "Invalidated signatures",
  invitation_id: "Invitation",
  level_name: "Level",
  m11: "M11 details",
  minutes_reference: "Minutes reference",
  motion_id: "Motion",
  needs_disposition: "Awaits a disposition",
  organization_id: "Organization",
  organization_kind: "Kind of organization",
  participant_facing_sections: "Participant-facing sections",
  primary_reason: "Primary reason",
  quorum_rule: "Quorum rule",
  recused_at: "Stepped aside at",
  resolver_roles: "Resolver's roles",
  review_comments: "Review remarks",
  safety_or_rights_impact: "Impact on participants' safety or rights",
  secondary_reasons: "Secondary reasons",
  signer_id: "Signer",
  site_id: "Site",
  subject_id: "Subject",
  subject_kind: "Subject kind",
  tabled_at: "Tabled at",
  tabled_by: "Tabled by",
  text_version: "Shared text version",
  trial_id: "Trial",
  user_id: "Person",
  voter_id: "Voter",
  votes_cast: "Votes cast",
  votes_needed: "Votes needed",
};

/** "opened_by" -> "Opened by"; a field of the table above -> its label. */
export function fieldLabel(name) {
  if (Object.hasOwn(FIELD_LABELS, name)) return FIELD_LABELS[name];
  if (!/^[a-z][a-z0-9_]*$/.test(name)) return name; // an id (A-1, C-3, st-marys), not a field
  const spaced = name.replaceAll("_", " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** "AmendmentSubmitted" -> "Amendment submitted". */
export function eventLabel(type) {
  const words = String(type ?? "").replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A person as text: their printed name, or the id when the trial does not know it. */
export function personName(userId, names) {
  return names.get(userId) ?? userId;
}

/** A person as an element: the printed name, the user id on hover. */
export function personNode(userId, names, printedName = null) {
  const name = printedName || names.get(userId);
  if (!name) return h("span", { class: "exact" }, userId);
  return h("span", { class: "person", title: `user id ${userId}` }, name);
}

const ORDINAL = (n) => {
  const last = n % 10;
  const teen = Math.floor(n / 10) % 10 === 1;
  return `${n}${!teen && last === 1 ? "st" : !teen && last === 2 ? "nd" : !teen && last === 3 ? "rd" : "th"}`;
};

/** A trail's field path in words: "members.u-7.roles[0]" -> "Members › Dr Ivy Chen ›
 * Roles › 1st", "sections.5.2.revisions[1].text" -> "Section 5.2 › Revisions › 2nd › Text".
 * Section numbers hold dots, so a run of numbers after "sections" is one section. */
export function fieldPathWords(path, names) {
  if (!path) return "—";
  const tokens = path.split(".");
  const words = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i];
    if (token === "sections" && /^\d/.test(tokens[i + 1] ?? "")) {
      const number = [];
      while (/^\d+$/.test(tokens[i + 1] ?? "")) {
        i += 1;
        number.push(tokens[i]);
      }
      words.push(`Section ${number.join(".")}`);
      continue;
    }
    const indexed = /^(.*?)((?:\[\d+\])+)$/.exec(token);
    const name = indexed ? indexed[1] : token;
    if (name) words.push(names.get(name) ?? fieldLabel(name));
    if (indexed) for (const [, n] of indexed[2].matchAll(/\[(\d+)\]/g)) words.push(ORDINAL(Number(n) + 1));
  }
  return words.join(" › ");
}

const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

/** A stored text value that is a moment ("2026-12-04T16:20:45.1Z") as the one time format
 * people read, the stored value on hover; any other text, null. */
export function instantNode(text) {
  return typeof text === "string" && ISO_INSTANT.test(text) ? timeElement(text) : null;
}
