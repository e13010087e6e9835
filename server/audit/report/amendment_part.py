"""Each amendment in detail: its M11 details, summary of changes, proposed text with the
changes tracked against its base version, signatures manifested (21 CFR 11.50: printed
name, date and time, meaning), the ethics committee's votes, review comments, comments
with their dispositions, disputes about it, and its history."""

from __future__ import annotations

from domain.amendment_details import AmendmentDetails, ImpactAssessment, ProposedChange
from domain.amendment_state import AmendmentState
from domain.approval_policy import Signature
from domain.dispute import DisputeState, DisputeSubjectKind
from domain.engagement import CommentSubjectKind
from domain.protocol_diff import tracked_changes
from domain.protocol_state import Document
from domain.streams import amendment_stream, comments_stream
from server.audit.report.comments_part import thread_comments
from server.audit.report.facts import ReportFacts
from server.audit.report.script import ReportScript
from server.audit.report.summary_part import of_type
from server.audit.report.wording import Names, utc


def amendments(pdf: ReportScript, facts: ReportFacts, names: Names) -> None:
    found = of_type(facts, AmendmentState, "amendment_id")
    if not found:
        return
    pdf.new_page()
    pdf.heading("Amendments in detail")
    disputes = of_type(facts, DisputeState, "dispute_id")
    for amendment in found:
        _amendment(pdf, facts, names, amendment, disputes)


def _amendment(
    pdf: ReportScript,
    facts: ReportFacts,
    names: Names,
    amendment: AmendmentState,
    disputes: list[DisputeState],
) -> None:
    status = amendment.status.value if amendment.status else "unknown"
    pdf.heading(f"Amendment {amendment.amendment_id}: {status}", 12)
    history = facts.histories.get(amendment_stream(facts.trial_id, amendment.amendment_id), [])
    opened = history[0] if history else None
    pdf.fields(
        {
            "Opened": f"{utc(opened.at)} by {names(opened.by)}" if opened else "",
            "Authors": names.all(sorted(amendment.authors, key=names)),
            "Base version": amendment.base_version,
            "Content hash": amendment.content_hash,
        }
    )
    if amendment.details is not None:
        _details(pdf, amendment.details)
    if amendment.closing_reason:
        pdf.line_of("Closing reason", amendment.closing_reason)
    if amendment.merged_version is not None:
        merged = f"version {amendment.merged_version}, effective {amendment.effective_date}"
        pdf.line_of("Merged as", merged)
    pdf.subheading("Summary of changes")
    pdf.rows(
        ("Description", "Rationale", "Section(s)"),
        [
            (r.description, r.rationale, ", ".join(r.sections))
            for r in amendment.summary_of_changes()
        ],
        widths=(45, 40, 15),
    )
    protocol = facts.protocol
    base = protocol.version(amendment.base_version) if protocol is not None else None
    for change in amendment.changes.values():
        _change(pdf, change, base.document if base is not None else {}, amendment.base_version)
    _signatures(pdf, amendment)
    reviews = [h for h in history if h.what == "review comment"]
    if amendment.review_comments:
        pdf.subheading("Review comments")
        pdf.rows(
            ("When (UTC)", "By", "Section", "Comment"),
            [
                (
                    utc(reviews[i].at) if i < len(reviews) else "",
                    names(c.commented_by),
                    c.section or "",
                    c.text,
                )
                for i, c in enumerate(amendment.review_comments)
            ],
            widths=(17, 18, 9, 56),
        )
    thread = comments_stream(facts.trial_id, CommentSubjectKind.AMENDMENT, amendment.amendment_id)
    thread_comments(pdf, facts, names, thread, "Comments and their dispositions")
    about = [
        d for d in disputes if d.is_about(DisputeSubjectKind.AMENDMENT, amendment.amendment_id)
    ]
    if about:
        listed = ", ".join(f"{d.dispute_id} ({'open' if d.is_open else 'resolved'})" for d in about)
        pdf.line_of("Disputes about it", f"{listed}: under Disputes")
    pdf.subheading("History")
    pdf.rows(
        ("When (UTC)", "What", "By", "Why"),
        [(utc(h.at), h.what, names(h.by), h.why) for h in history],
        widths=(17, 30, 18, 35),
    )


def _details(pdf: ReportScript, details: AmendmentDetails) -> None:
    scope = details.scope
    where = "everywhere" if scope.is_global else ", ".join((*scope.countries, *scope.sites))
    pdf.fields(
        {
            "Summary": details.summary,
            "Primary reason": details.primary_reason.value,
            "Secondary reasons": ", ".join(r.value for r in details.secondary_reasons) or "none",
            "Substantial": "yes" if details.is_substantial else "no",
            "Substantial impact on safety or rights": _impact(details.safety_or_rights_impact),
            "Substantial impact on data reliability": _impact(details.data_reliability_impact),
            "Enrollment": f"{details.enrollment.value} {details.enrollment.unit.value}",
            "Scope": where,
        }
    )


def _impact(answer: ImpactAssessment) -> str:
    return f"{'yes' if answer.likely else 'no'} - {answer.explanation}"


def _change(pdf: ReportScript, change: ProposedChange, base: Document, base_version: int) -> None:
    was = base.get(change.number)
    what = "removed" if change.text is None else "added" if was is None else "changed"
    heading = change.heading or (was.heading if was else "")
    pdf.subheading(f"Section {change.number} {heading}: {what}")
    if change.text is None:
        pdf.text(f"Text it removes (version {base_version})", was.text if was else "")
        return
    pdf.text("Proposed text", change.text)
    if was is None:
        return
    if was.heading != change.heading:
        pdf.tracked("Heading changed", tracked_changes(was.heading, change.heading))
    label = f"Changes against version {base_version}, its base"
    pdf.tracked(label, tracked_changes(was.text, change.text))


def _signatures(pdf: ReportScript, amendment: AmendmentState) -> None:
    pdf.subheading("Signatures (21 CFR 11.50)")
    signed = [(s, "valid") for s in amendment.signatures] + [
        (s, "invalidated: the content changed after") for s in amendment.invalidated_signatures
    ]
    pdf.rows(
        ("Printed name", "Signed (UTC)", "Meaning", "Status", "Content hash signed"),
        [
            (s.printed_name, utc(s.signed_at), s.meaning.value, status, s.content_hash)
            for s, status in signed
        ],
        widths=(22, 18, 13, 17, 30),
    )
    votes = [(s, status) for s, status in signed if s.committee_vote is not None]
    if votes:
        pdf.subheading("Ethics committee votes")
        pdf.rows(
            (
                "Recorded by",
                "Meeting date",
                "In favour",
                "Against",
                "Abstaining",
                "Minutes reference",
            ),
            [_vote(s) for s, _ in votes],
            widths=(20, 14, 11, 10, 13, 32),
        )


def _vote(signature: Signature) -> tuple[object, ...]:
    vote = signature.committee_vote
    assert vote is not None
    return (
        signature.printed_name,
        vote.meeting_date,
        vote.in_favour,
        vote.against,
        vote.abstaining,
        vote.minutes_reference,
    )
