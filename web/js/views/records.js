// Reading amendments, comment threads and other records, and what of them awaits the
// signed-in person.

import { get, trialPath } from "../api.js";

/** Every amendment of the trial, each as GET /amendments/{id} answers it. */
export async function loadAmendments(context) {
  const rows = await get(trialPath(context.trialId, "amendments"));
  return Promise.all(rows.map((row) => loadAmendment(context, row.amendment_id)));
}

export function loadAmendment(context, amendmentId) {
  return get(trialPath(context.trialId, "amendments", amendmentId));
}

/** The records of one kind listed by id ("motions", "disputes"), each as its own route
 * answers; with the ids, in the order they were created. */
export async function loadEach(context, kind) {
  const ids = await get(trialPath(context.trialId, kind));
  const records = await Promise.all(ids.map((id) => get(trialPath(context.trialId, kind, id))));
  return { ids, records };
}

export function commentsOf(context, kind, subjectId) {
  return get(trialPath(context.trialId, "comments", kind, subjectId));
}

/** The still-missing signatures of ``amendment`` that the person could give: none for
 * its authors (separation of duties) or when it is not under review. */
export function signaturesICouldGive(context, amendment) {
  if (amendment.status !== "submitted") return [];
  if (amendment.authors.includes(context.me.user_id)) return [];
  if (!context.can("amendment:sign")) return [];
  const signed = new Set(amendment.signatures.map((s) => s.signer_id));
  if (signed.has(context.me.user_id)) return [];
  return amendment.missing_signatures.filter((r) => context.admits(r.signatories));
}

/** Amendments under review that wait for the person's signature, with the
 * participant-facing sections each changes. */
export function awaitingSignature(context, amendments) {
  return amendments
    .map((amendment) => ({
      amendment,
      requirements: signaturesICouldGive(context, amendment),
      participantFacing: Object.keys(amendment.changes).filter((n) => context.isParticipantFacing(n)),
    }))
    .filter((entry) => entry.requirements.length > 0);
}
