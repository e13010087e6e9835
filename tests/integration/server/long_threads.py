"""Long comment threads written straight to the log (a command per comment would take
minutes): what the audit's tests replay and export."""

from __future__ import annotations

from domain.catalog import to_data
from domain.engagement import CommentPosted, CommentSubjectKind
from domain.event import Event
from domain.streams import comments_stream
from events import EventStore, NewEvent, StreamAppend

BATCH = 2_000


def logged(event: Event, actor: str) -> NewEvent:
    return NewEvent(event.event_type, to_data(event), meta={"actor": actor})


def comment(trial_id: str, section: str, n: int, author: str) -> CommentPosted:
    """Comment ``C-{n}`` on ``section``, its text ``Comment {n}``."""
    return CommentPosted(
        trial_id=trial_id, subject_kind=CommentSubjectKind.SECTION, subject_id=section,
        comment_id=f"C-{n}", text=f"Comment {n}", author_id=author,
        needs_disposition=False, in_reply_to=None,
    )  # fmt: skip


async def post_comments(
    store: EventStore, trial_id: str, section: str, count: int, author: str
) -> str:
    """Comments ``C-1`` to ``C-{count}`` on ``section`` by ``author``; the thread's stream."""
    thread = comments_stream(trial_id, CommentSubjectKind.SECTION, section)
    for first in range(1, count + 1, BATCH):
        last = min(first + BATCH, count + 1)
        events = [logged(comment(trial_id, section, n, author), author) for n in range(first, last)]
        await store.append(StreamAppend(thread, events))
    return thread
