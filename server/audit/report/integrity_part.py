"""The report's last page: the integrity check's result, the signed checkpoint the report
is as of (its C2SP signed note verbatim), the signing key's fingerprint, and how to check
the trial's log again offline with ``concord verify``."""

from __future__ import annotations

from server.audit.report.facts import ReportFacts
from server.audit.report.script import ReportScript
from server.audit.report.wording import utc


def integrity(pdf: ReportScript, facts: ReportFacts) -> None:
    found, trial = facts.integrity, facts.trial_id
    checkpoint = found.checkpoint
    pdf.new_page()
    pdf.heading("Integrity")
    pdf.line_of("Result", found.summary())
    pdf.note(
        "Checked when this report was made: the server signed the log's head; the signature"
        " and the signed note verify with the key below, and the log has the signed hash at"
        " that position and the signed Merkle root at that size; each of the trial's events"
        " (by its recorded hash) is a leaf of that tree at its position, by its inclusion"
        " proof; each of the trial's records runs from version 1 without a gap. Recomputing"
        " each event's hash from its content, and the hash chain through the other trials'"
        " events, is left to concord verify (below): they cost the whole log."
    )
    pdf.subheading("Signed checkpoint")
    pdf.fields(
        {
            "Log position (tree size)": f"{checkpoint.position:,}",
            "Hash at that position": checkpoint.hash,
            "Signed": utc(checkpoint.signed_at),
            "Log origin": found.origin,
        }
    )
    if checkpoint.note is not None:
        pdf.subheading("Signed note (C2SP checkpoint)")
        pdf.fixed(checkpoint.note)
    pdf.subheading("Signing key (Ed25519)")
    pdf.fields(
        {
            "Key id": found.key_id,
            "Fingerprint (SHA-256 of the raw public key)": found.fingerprint,
        }
    )
    pdf.fixed(found.public_key_pem)
    pdf.subheading("Checking it again, offline")
    for step in (
        f"1. Export the trial's log: concord export --trial {trial} --format jsonl --out"
        f" {trial}.jsonl, or GET /api/trials/{trial}/audit/export.jsonl. Its header carries a"
        " checkpoint signed for it, at or after this report's.",
        "2. Get the server's public key (concord key, or GET /api/signing-key) into"
        " server.pem and compare its fingerprint with the one above: openssl pkey -pubin"
        " -in server.pem -outform DER | tail -c 32 | sha256sum.",
        f"3. Run concord verify {trial}.jsonl --public-key server.pem. It recomputes the chain"
        " from position 1, checks every event's inclusion proof and the signed checkpoint, and"
        " prints a line starting ok: with the key id (the fingerprint's first 16 digits),"
        " exit status 0; or the first position that does not match, exit status 1.",
        f"4. The export's checkpoint covers this report's when its tree size is at least"
        f" {checkpoint.position:,}; concord proof consistency --from {checkpoint.position}"
        " --to SIZE proves the later log extends the one this report is as of.",
    ):
        pdf.note(step)
    pdf.note(f"This report was made at the checkpoint signed {utc(checkpoint.signed_at)}.")
