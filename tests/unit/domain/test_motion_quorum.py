"""A motion's quorum is counted over every eligible voter: a recused member is not present,
so they count neither toward the quorum nor as a vote (IRB and committee practice)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

import pytest

from domain import errors, motion
from domain.actor import Actor
from domain.charter import DEFAULT_CHARTER
from domain.motion import (
    CastVote,
    CloseMotion,
    MotionContext,
    MotionDecided,
    MotionLapsed,
    MotionState,
    MotionStatus,
    OptionTally,
    RecuseFromMotion,
    TableMotion,
    VoteCount,
)
from domain.roles import Role
from tests.unit.domain.steps import runner

VOTERS = ("sam", "ivy", "pat", "eve")
CONTEXT = MotionContext(
    charter=DEFAULT_CHARTER,
    members=frozenset({"ada", *VOTERS}),
    roles={m: frozenset({Role.SPONSOR_MEMBER}) for m in ("ada", *VOTERS)},
)
run = runner(partial(motion.decide, context=CONTEXT), motion.fold)


@pytest.fixture(scope="module")
def tabled(admin: Actor, now: datetime) -> MotionState:
    table = TableMotion(
        actor=admin,
        motion_id="M-7",
        trial_id="t-1",
        question="Adopt the home spirometry amendment?",
        options=("yes", "no"),
        eligible_voters=VOTERS,
        quorum_rule="simple-majority",
        deadline=now + timedelta(days=7),
        tabled_at=now,
    )
    return run(motion.NEW_MOTION, table)


def as_voter(user_id: str, admin: Actor) -> Actor:
    return replace(admin, user_id=user_id, printed_name=user_id.title())


def recusals(admin: Actor, now: datetime, *users: str) -> list[RecuseFromMotion]:
    return [
        RecuseFromMotion(actor=as_voter(user, admin), reason="Co-author", recused_at=now)
        for user in users
    ]


def test_three_of_four_recusing_leave_the_fourth_unable_to_decide_alone(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    vote = CastVote(actor=as_voter("eve", admin), option="yes", cast_at=now)
    state = run(tabled, *recusals(admin, now, "sam", "ivy", "pat"), vote)

    # Everyone has voted or recused, so the chair may close at once: it lapses.
    assert motion.decide(state, CloseMotion(actor=admin, as_of=now), CONTEXT) == [
        MotionLapsed(
            motion_id="M-7",
            count=VoteCount(
                tally=(OptionTally(option="yes", votes=1), OptionTally(option="no", votes=0)),
                votes_cast=1,
                eligible_voters=4,
                votes_needed=2,
                recused=3,
            ),
            closed_at="2026-03-02T12:00:00.000000Z",
            closed_by="ada",
        )
    ]
    assert run(state, CloseMotion(actor=admin, as_of=now)).status is MotionStatus.LAPSED
    assert run(state, CloseMotion(actor=admin, as_of=now)).outcome is None


def test_a_motion_everyone_recused_from_lapses(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    state = run(tabled, *recusals(admin, now, *VOTERS))
    [lapsed] = motion.decide(state, CloseMotion(actor=admin, as_of=now), CONTEXT)
    assert isinstance(lapsed, MotionLapsed)
    assert (lapsed.count.votes_cast, lapsed.count.recused) == (0, 4)


def test_the_majority_is_of_the_votes_cast_by_those_present(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    votes = [
        CastVote(actor=as_voter(user, admin), option=option, cast_at=now)
        for user, option in (("ivy", "yes"), ("pat", "no"), ("eve", "yes"))
    ]
    state = run(tabled, *recusals(admin, now, "sam"), *votes)
    [decided] = motion.decide(state, CloseMotion(actor=admin, as_of=now), CONTEXT)
    assert isinstance(decided, MotionDecided)
    assert decided.outcome == "yes"
    assert (decided.count.eligible_voters, decided.count.recused) == (4, 1)
    assert (decided.count.votes_cast, decided.count.votes_needed) == (3, 2)


def test_a_recusal_does_not_end_the_wait_for_the_others(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    vote = CastVote(actor=as_voter("eve", admin), option="yes", cast_at=now)
    state = run(tabled, *recusals(admin, now, "sam", "ivy"), vote)
    with pytest.raises(errors.VotingStillOpen, match="1 eligible voters have not voted"):
        motion.decide(state, CloseMotion(actor=admin, as_of=now), CONTEXT)
    at_deadline = CloseMotion(actor=admin, as_of=now + timedelta(days=7))
    [lapsed] = motion.decide(state, at_deadline, CONTEXT)
    assert isinstance(lapsed, MotionLapsed)
    assert lapsed.count.votes_needed == 2
