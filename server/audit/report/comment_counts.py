"""The trial's comment threads as the report needs them, counted from their events in the
report's pass over the trial: how many comments each thread has, how many are a patient
advocate's feedback and still await a disposition, and the comments the report details
(at most ``SHOWN_COMMENTS`` a thread, folded by the domain's own rules). Never a thread's
whole state: at a million events the threads' decoded states took more memory than the
rest of the server."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.catalog import from_data
from domain.engagement import (
    NEW_THREAD,
    CommentPosted,
    CommentSubjectKind,
    CommentThread,
    EngagementEvent,
    FeedbackDispositioned,
    evolve,
)
from events import RecordedEvent

SHOWN_COMMENTS = 100
"""Comments a thread shows at most (the rest are counted; the CSV trail has them all)."""


def shows_comment(subject_kind: CommentSubjectKind | None, needs_disposition: bool) -> bool:
    """Which comments the report details: all on an amendment, and on a section those
    that need a disposition (a patient advocate's feedback)."""
    return subject_kind is CommentSubjectKind.AMENDMENT or needs_disposition


@dataclass(slots=True)
class ThreadCount:
    """One thread, counted; ``shown`` holds the comments the report details."""

    stream_id: str
    subject_kind: CommentSubjectKind
    subject_id: str
    comments: int = 0
    feedback: int = 0
    """Comments from patient advocates: each needs a disposition."""
    awaiting: set[str] = field(default_factory=set)
    """Ids of the feedback comments without a disposition yet."""
    shown: CommentThread = NEW_THREAD


class CommentCounts:
    """Fed the trial's comment events in log order (one owner, mutable)."""

    def __init__(self) -> None:
        self.threads: dict[str, ThreadCount] = {}
        self.posted: dict[tuple[str, str], str] = {}
        """(thread stream, comment id) -> posted at, for the comments shown."""
        self.answered: dict[tuple[str, str], str] = {}
        """(thread stream, comment id) -> disposition recorded at, for those shown."""

    def note(self, event: RecordedEvent, at: str) -> None:
        data, stream = event.data, event.stream_id
        comment_id = str(data.get("comment_id", ""))
        key = (stream, comment_id)
        if event.type == "FeedbackDispositioned":
            thread = self.threads.get(stream)
            if thread is None:
                return
            thread.awaiting.discard(comment_id)
            if key in self.posted:
                self.answered[key] = at
                thread.shown = evolve(thread.shown, _decoded(event))
            return
        if event.type != "CommentPosted":
            return
        kind = CommentSubjectKind(data["subject_kind"])
        thread = self.threads.get(stream)
        if thread is None:
            thread = self.threads[stream] = ThreadCount(stream, kind, str(data["subject_id"]))
        thread.comments += 1
        needs_disposition = bool(data.get("needs_disposition"))
        if needs_disposition:
            thread.feedback += 1
            thread.awaiting.add(comment_id)
        if shows_comment(kind, needs_disposition) and len(thread.shown.comments) < SHOWN_COMMENTS:
            thread.shown = evolve(thread.shown, _decoded(event))
            self.posted[key] = at


def _decoded(event: RecordedEvent) -> EngagementEvent:
    decoded = from_data(event.type, event.data, event.schema_version)
    if not isinstance(decoded, CommentPosted | FeedbackDispositioned):
        raise TypeError(f"{event.type} at position {event.position} is no comment's event")
    return decoded
