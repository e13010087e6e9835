"""Comments and what became of them: each shown comment with its author, time, text and
disposition (adopted, partly adopted or declined, by whom, when, why), or that it still
awaits one. An amendment's thread shows every comment, a section's the patient advocates'
feedback; at most ``SHOWN_COMMENTS`` a thread, the rest counted."""

from __future__ import annotations

from domain import m11
from domain.engagement import Comment, CommentSubjectKind
from server.audit.report.facts import ReportFacts
from server.audit.report.script import ReportScript
from server.audit.report.wording import Names, utc


def thread_comments(
    pdf: ReportScript, facts: ReportFacts, names: Names, stream: str, label: str
) -> None:
    """The comments of the thread ``stream`` the report shows, under ``label``."""
    thread = facts.threads.get(stream)
    if thread is None:
        return
    shown = list(thread.shown.comments.values())
    pdf.subheading(label)
    for comment in shown:
        _comment(pdf, facts, names, stream, comment)
    left_out = thread.comments - len(shown)
    if left_out:
        pdf.note(
            f"{left_out:,} more comment(s) in this thread are not shown here: the audit trail"
            " (CSV) has every comment."
        )


def _comment(
    pdf: ReportScript, facts: ReportFacts, names: Names, stream: str, comment: Comment
) -> None:
    key = (stream, comment.comment_id)
    reply = f", in reply to {comment.in_reply_to}" if comment.in_reply_to else ""
    pdf.text(
        f"{comment.comment_id}: {names(comment.author_id)}, {utc(facts.posted.get(key))}{reply}",
        comment.text,
    )
    if comment.disposition is not None:
        when = utc(facts.answered.get(key))
        pdf.line_of(
            "Disposition",
            f"{comment.disposition.value.replace('_', ' ')} by {names(comment.dispositioned_by)},"
            f" {when}: {comment.disposition_reason or ''}",
        )
    elif comment.needs_disposition:
        pdf.line_of("Disposition", "awaited (a patient advocate's feedback needs one)")


def section_comments(pdf: ReportScript, facts: ReportFacts, names: Names) -> None:
    threads = [t for t in facts.threads.values() if t.subject_kind is CommentSubjectKind.SECTION]
    if not threads:
        return
    threads.sort(key=lambda t: m11.sort_key(t.subject_id))
    pdf.heading("Comments on sections")
    pdf.rows(
        ("Section", "Comments", "Patient advocates' feedback", "Awaiting a disposition"),
        [(t.subject_id, t.comments, t.feedback, len(t.awaiting)) for t in threads],
    )
    for thread in threads:
        if thread.feedback:
            label = f"Feedback on section {thread.subject_id}"
            thread_comments(pdf, facts, names, thread.stream_id, label)
