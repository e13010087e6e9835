"""Stream names nest under their trial, so one prefix selects a whole trial; each name
reads back (``parse_stream``) as what built it."""

from __future__ import annotations

import pytest

from domain.engagement import CommentSubjectKind
from domain.streams import (
    StreamKind,
    StreamName,
    amendment_stream,
    comments_stream,
    dispute_stream,
    in_trial,
    motion_stream,
    parse_stream,
    protocol_stream,
    trial_of,
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


BUILT = [
    (trial_stream("t-1"), StreamName("t-1", StreamKind.WORKSPACE), "workspace"),
    (protocol_stream("t-1"), StreamName("t-1", StreamKind.PROTOCOL), "protocol"),
    (
        amendment_stream("t-1", "A-1"),
        StreamName("t-1", StreamKind.AMENDMENT, "A-1"),
        "amendment/A-1",
    ),
    (motion_stream("t-1", "M-1"), StreamName("t-1", StreamKind.MOTION, "M-1"), "motion/M-1"),
    (dispute_stream("t-1", "D-1"), StreamName("t-1", StreamKind.DISPUTE, "D-1"), "dispute/D-1"),
    (
        comments_stream("t-1", CommentSubjectKind.SECTION, "5.2"),
        StreamName("t-1", StreamKind.COMMENTS, "5.2", CommentSubjectKind.SECTION),
        "comments/section/5.2",
    ),
    (
        comments_stream("t-1", CommentSubjectKind.AMENDMENT, "A-1"),
        StreamName("t-1", StreamKind.COMMENTS, "A-1", CommentSubjectKind.AMENDMENT),
        "comments/amendment/A-1",
    ),
]


@pytest.mark.parametrize(("stream_id", "name", "record"), BUILT, ids=[b[0] for b in BUILT])
def test_every_built_name_reads_back_as_what_built_it(
    stream_id: str, name: StreamName, record: str
) -> None:
    assert parse_stream(stream_id) == name
    assert str(name) == stream_id
    assert name.record == record
    assert trial_of(stream_id) == "t-1"
    assert in_trial(stream_id, "t-1")


def test_a_trial_is_not_the_trial_whose_id_it_begins() -> None:
    assert parse_stream("trial/t10") == StreamName("t10", StreamKind.WORKSPACE)
    assert trial_of("trial/t10/protocol") == "t10"
    assert not in_trial("trial/t10", "t1")
    assert not in_trial("trial/t10/protocol", "t1")
    assert not in_trial("trial/t1-x", "t1")
    assert in_trial("trial/t1", "t1")
    assert in_trial("trial/t1/protocol", "t1")


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "trial",
        "trial/",
        "trial//protocol",
        "protocol/t-1",
        "trials/t-1",
        "trial/t-1/",
        "trial/t-1/protocol/x",
        "trial/t-1/workspace",
        "trial/t-1/amendment",
        "trial/t-1/amendment/",
        "trial/t-1/amendment/A-1/x",
        "trial/t-1/vote/V-1",
        "trial/t-1/comments/section",
        "trial/t-1/comments/chapter/5.2",
        "trial/t-1/comments/section/",
        "trial/t-1/comments/section/5.2/x",
    ],
)
def test_a_name_no_builder_makes_reads_as_none(malformed: str) -> None:
    assert parse_stream(malformed) is None


def test_streams_outside_every_trial_have_no_trial() -> None:
    for outside in ["", "trial", "trial/", "bulk/0", "control"]:
        assert trial_of(outside) is None
