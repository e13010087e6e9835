"""Comments and what became of them: each shown comment with its author, time, text and
disposition (adopted, partly adopted or declined, by whom, when, why), or that it still
awaits one. An amendment's thread shows every comment, a section's the patient advocates'
feedback; at most ``SHOWN_COMMENTS`` a thread, the rest counted."""

from __future__ import annotations

from domain import m11
from domain.engagement import Comment, CommentSubjectKind, CommentThread
from domain.streams import comments_stream
from server.audit.report.facts import SHOWN_COMMENTS, ReportFacts, shows_comment
from server.audit.report.layout import Names, ReportLayout, utc


def thread_comments(
    pdf: ReportLayout, facts: ReportFacts, names: Names, stream: str, label: str
) -> None:
    """The comments of the thread ``stream`` the report shows, under ``label``."""
    thread = facts.states.get(stream)
    if not isinstance(thread, CommentThread) or not thread.exists:
        return
    shown = [
        c
        for c in thread.comments.values()
        if shows_comment(thread.subject_kind, c.needs_disposition)
    ]
    pdf.subheading(label)
    for comment in shown[:SHOWN_COMMENTS]:
        _comment(pdf, facts, names, stream, comment)
    left_out = len(thread.comments) - min(len(shown), SHOWN_COMMENTS)
    if left_out:
        pdf.note(
            f"{left_out:,} more comment(s) in this thread are not shown here: the audit trail"
            " (CSV) has every comment."
        )


def _comment(
    pdf: ReportLayout, facts: ReportFacts, names: Names, stream: str, comment: Comment
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


def section_comments(pdf: ReportLayout, facts: ReportFacts, names: Names) -> None:
    threads = [
        s
        for s in facts.states.values()
        if isinstance(s, CommentThread)
        and s.exists
        and s.subject_kind is CommentSubjectKind.SECTION
    ]
    if not threads:
        return
    threads.sort(key=lambda t: m11.sort_key(t.subject_id))
    pdf.heading("Comments on sections")
    pdf.rows(
        ("Section", "Comments", "Patient advocates' feedback", "Awaiting a disposition"),
        [
            (
                t.subject_id,
                len(t.comments),
                sum(1 for c in t.comments.values() if c.needs_disposition),
                len(t.awaiting_disposition()),
            )
            for t in threads
        ],
    )
    for thread in threads:
        if any(c.needs_disposition for c in thread.comments.values()):
            stream = comments_stream(facts.trial_id, CommentSubjectKind.SECTION, thread.subject_id)
            thread_comments(pdf, facts, names, stream, f"Feedback on section {thread.subject_id}")
