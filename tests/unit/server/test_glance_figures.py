"""A thread's engagement figures folded on from the version they reached: each event
counts once, whatever two overlapping reads hand it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events.envelope import RecordedEvent
from server.http.glance import ThreadFigures, engagement_figures

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def event(version: int, type_: str, at: datetime, **data: Any) -> RecordedEvent:
    stream = "trial/t/comments/section/5.2"
    return RecordedEvent(version, stream, version, type_, 1, data, {}, at, "", "")


POSTED_BY_ADVOCATE = event(1, "CommentPosted", T0, comment_id="C-1", needs_disposition=True)
POSTED_BY_INVESTIGATOR = event(
    2, "CommentPosted", T0 + timedelta(days=1), comment_id="C-2", needs_disposition=False
)
ADOPTED = event(
    3,
    "FeedbackDispositioned",
    T0 + timedelta(days=2, hours=3),
    comment_id="C-1",
    disposition="adopted",
)
LATER = event(4, "CommentPosted", T0 + timedelta(days=40), comment_id="C-3", needs_disposition=True)


def test_overlapping_reads_count_each_event_once() -> None:
    figures = ThreadFigures()
    figures.fold([POSTED_BY_ADVOCATE, POSTED_BY_INVESTIGATOR])
    figures.fold([POSTED_BY_INVESTIGATOR, ADOPTED])  # a read that began before the first ended
    figures.fold([ADOPTED, LATER])
    assert figures.version == 4
    summed = engagement_figures([figures, ThreadFigures()])
    assert summed["advocate_comments"] == [
        {"day": "2026-12-04", "comments": 1},
        {"day": "2027-01-13", "comments": 1},
    ]
    assert summed["dispositions"] == {
        "adopted": 1,
        "partly_adopted": 0,
        "declined": 0,
        "awaiting": 1,
    }
    assert summed["time_to_disposition"] == {
        "dispositioned": 1,
        "median_seconds": (timedelta(days=2, hours=3)).total_seconds(),
        "longest_seconds": (timedelta(days=2, hours=3)).total_seconds(),
    }


def test_a_disposition_of_a_comment_that_needed_none_is_not_counted() -> None:
    figures = ThreadFigures()
    stray = event(3, "FeedbackDispositioned", T0, comment_id="C-2", disposition="declined")
    figures.fold([POSTED_BY_INVESTIGATOR, stray])
    assert engagement_figures([figures])["dispositions"]["declined"] == 0
