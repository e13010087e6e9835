"""Stream names nest under their trial, so one prefix selects a whole trial."""

from __future__ import annotations

from domain.engagement import CommentSubjectKind
from domain.streams import (
    amendment_stream,
    comments_stream,
    dispute_stream,
    motion_stream,
    protocol_stream,
    trial_stream,
)


def test_every_stream_of_a_trial_starts_with_the_trials_own_stream() -> None:
    names = [
        protocol_stream("t-1"),
        amendment_stream("t-1", "A-1"),
        motion_stream("t-1", "M-1"),
        dispute_stream("t-1", "D-1"),
        comments_stream("t-1", CommentSubjectKind.SECTION, "5.2"),
    ]
    assert names == [
        "trial/t-1/protocol",
        "trial/t-1/amendment/A-1",
        "trial/t-1/motion/M-1",
        "trial/t-1/dispute/D-1",
        "trial/t-1/comments/section/5.2",
    ]
    assert all(name.startswith(trial_stream("t-1") + "/") for name in names)
    assert len(set(names)) == len(names)
