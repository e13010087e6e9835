"""A comment thread's answer written a batch of comments at a time is the same JSON as
the whole thread written at once, whatever its length."""

from __future__ import annotations

import json

import msgspec
import pytest

from domain import engagement
from domain.engagement import CommentPosted, CommentSubjectKind, Disposition, FeedbackDispositioned
from server.http import streamed_view as module
from server.http.streamed_view import streamed_view
from server.http.views import state_view


def _thread(comments: int) -> engagement.CommentThread:
    events: list[engagement.EngagementEvent] = [
        CommentPosted(
            trial_id="t-1",
            subject_kind=CommentSubjectKind.SECTION,
            subject_id="5.2",
            comment_id=f"C-{n}",
            text=f'Comment {n}: "quoted", ünïcode, a\nnew line',
            author_id=f"u-{n % 3}",
            needs_disposition=n % 2 == 0,
            in_reply_to=f"C-{n - 1}" if n % 5 else None,
        )
        for n in range(1, comments + 1)
    ]
    if comments:
        events.append(
            FeedbackDispositioned(
                subject_kind=CommentSubjectKind.SECTION,
                subject_id="5.2",
                comment_id="C-2",
                disposition=Disposition.ADOPTED,
                reason="Agreed",
                dispositioned_by="u-9",
                author_id="u-2",
            )
        )
    return engagement.fold(events)


async def _written(thread: engagement.CommentThread) -> list[bytes]:
    return [piece async for piece in streamed_view(thread, "comments")]


@pytest.mark.parametrize("comments", [0, 1, module.BATCH, 2 * module.BATCH + 7])
async def test_the_thread_reads_as_if_written_at_once(
    comments: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "PIECE_BYTES", 1_000)  # many pieces, even for a short thread
    thread = _thread(comments)
    pieces = await _written(thread)
    assert b"".join(pieces) == msgspec.json.encode(state_view(thread))
    answer = json.loads(b"".join(pieces))
    assert list(answer["comments"]) == [f"C-{n}" for n in range(1, comments + 1)]
    if comments >= 2:
        assert answer["comments"]["C-2"]["disposition"] == "adopted"


async def test_a_long_thread_is_sent_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "PIECE_BYTES", 10_000)
    pieces = await _written(_thread(3 * module.BATCH))
    assert len(pieces) > 3
    assert all(len(piece) < 10_000 + 200 * module.BATCH for piece in pieces)
