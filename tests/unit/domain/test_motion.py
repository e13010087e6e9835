"""Motions: options, eligible voters, quorum rule, deadline, votes, recusals, outcome."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import errors, motion
from domain.actor import Actor
from domain.charter import DEFAULT_CHARTER, QuorumRule
from domain.motion import (
    CastVote,
    CloseMotion,
    MotionContext,
    MotionDecided,
    MotionLapsed,
    MotionState,
    MotionStatus,
    MotionTabled,
    OptionTally,
    RecuseFromMotion,
    TableMotion,
    VoteCount,
    carried_option,
)
from domain.roles import Role
from tests.unit.domain.steps import runner

MEMBERS = frozenset({"ada", "sam", "ivy", "pat", "eve"})
CONTEXT = MotionContext(
    charter=DEFAULT_CHARTER,
    members=MEMBERS | {"aud", "new"},
    roles={m: frozenset({Role.INVESTIGATOR}) for m in MEMBERS} | {"aud": frozenset({Role.AUDITOR})},
)
"""Ada to Eve vote; Aud is an auditor and New a member without a role yet."""


def quorum_rule(name: str) -> QuorumRule:
    rule = DEFAULT_CHARTER.quorum_rule(name)
    assert rule is not None
    return rule


SIMPLE_MAJORITY = quorum_rule("simple-majority")


def voter(user_id: str, base: Actor) -> Actor:
    return replace(base, user_id=user_id, printed_name=user_id.title())


run = runner(partial(motion.decide, context=CONTEXT), motion.fold)


@pytest.fixture(scope="module")
def table(admin: Actor, now: datetime) -> TableMotion:
    return TableMotion(
        actor=admin,
        motion_id="M-1",
        trial_id="t-1",
        question="Drop visit 3?",
        options=("yes", "no"),
        eligible_voters=("sam", "ivy", "pat", "eve"),
        quorum_rule="simple-majority",
        deadline=now + timedelta(days=7),
        tabled_at=now,
        subject="A-1",
    )


@pytest.fixture(scope="module")
def tabled(table: TableMotion) -> MotionState:
    return run(motion.NEW_MOTION, table)


def vote(user: str, option: str, admin: Actor, at: datetime) -> CastVote:
    return CastVote(actor=voter(user, admin), option=option, cast_at=at)


def test_a_motion_is_tabled_with_the_charters_quorum_rule(table: TableMotion) -> None:
    assert motion.decide(motion.NEW_MOTION, table, CONTEXT) == [
        MotionTabled(
            motion_id="M-1",
            trial_id="t-1",
            question="Drop visit 3?",
            options=("yes", "no"),
            eligible_voters=("sam", "ivy", "pat", "eve"),
            quorum_rule=SIMPLE_MAJORITY,
            deadline="2026-03-09T12:00:00.000000Z",
            tabled_at="2026-03-02T12:00:00.000000Z",
            tabled_by="ada",
            subject="A-1",
        )
    ]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"options": ("yes",)}, errors.InvalidMotion, "at least two distinct, named options"),
        ({"options": ("yes", "yes")}, errors.InvalidMotion, "at least two distinct"),
        ({"eligible_voters": ()}, errors.InvalidMotion, "needs eligible voters"),
        ({"eligible_voters": ("sam", "sam")}, errors.InvalidMotion, "each listed once"),
        ({"eligible_voters": ("sam", "zed")}, errors.InvalidMotion, "['zed'] are not members"),
        ({"eligible_voters": ("sam", "aud")}, errors.NotAnEligibleVoter, "['aud'] may not vote"),
        ({"eligible_voters": ("new", "sam")}, errors.NotAnEligibleVoter, "['new'] may not vote"),
        ({"quorum_rule": "plurality"}, errors.UnknownQuorumRule, "no quorum rule 'plurality'"),
        ({"question": ""}, errors.RequiredTextMissing, "question"),
    ],
)
def test_a_motion_needs_options_member_voters_and_a_known_rule(
    table: TableMotion, change: dict[str, object], error: type[errors.DomainError], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        motion.decide(motion.NEW_MOTION, replace(table, **change), CONTEXT)  # type: ignore[arg-type]


def test_voters_are_members_with_a_role_that_votes_never_an_auditor() -> None:
    assert CONTEXT.voters() == MEMBERS
    assert motion.may_vote(frozenset({Role.PATIENT_ADVOCATE}))
    assert not motion.may_vote(frozenset({Role.AUDITOR}))
    assert not motion.may_vote(frozenset({Role.AUDITOR, Role.INVESTIGATOR}))
    assert not motion.may_vote(frozenset())


def test_the_deadline_comes_after_tabling(table: TableMotion) -> None:
    with pytest.raises(errors.InvalidMotion, match="deadline must come after"):
        motion.decide(motion.NEW_MOTION, replace(table, deadline=table.tabled_at), CONTEXT)


def test_a_motion_is_tabled_once(tabled: MotionState, table: TableMotion) -> None:
    with pytest.raises(errors.MotionAlreadyTabled):
        motion.decide(tabled, table, CONTEXT)


def test_votes_need_a_motion(admin: Actor, now: datetime) -> None:
    with pytest.raises(errors.MotionNotFound):
        motion.decide(motion.NEW_MOTION, vote("sam", "yes", admin, now), CONTEXT)


def test_eligible_voters_vote_once_for_an_option_before_the_deadline(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    voted = run(tabled, vote("sam", "yes", admin, now))
    assert voted.votes == {"sam": "yes"}
    with pytest.raises(errors.AlreadyVoted):
        motion.decide(voted, vote("sam", "no", admin, now), CONTEXT)
    with pytest.raises(errors.NotAnEligibleVoter):
        motion.decide(tabled, vote("ada", "yes", admin, now), CONTEXT)
    with pytest.raises(errors.UnknownOption, match="'maybe'"):
        motion.decide(tabled, vote("ivy", "maybe", admin, now), CONTEXT)
    with pytest.raises(errors.VotingClosed, match="closed at 2026-03-09"):
        motion.decide(tabled, vote("ivy", "yes", admin, now + timedelta(days=8)), CONTEXT)


def test_a_recused_member_neither_votes_nor_counts_toward_quorum(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    recuse = RecuseFromMotion(
        actor=voter("pat", admin), reason="Conflict of interest", recused_at=now
    )
    recused = run(tabled, recuse)
    assert recused.present_voters == {"sam", "ivy", "eve"}
    with pytest.raises(errors.VoterIsRecused):
        motion.decide(recused, vote("pat", "yes", admin, now), CONTEXT)
    with pytest.raises(errors.RequiredTextMissing):
        motion.decide(tabled, replace(recuse, reason=""), CONTEXT)
    voted = run(tabled, vote("pat", "yes", admin, now))
    with pytest.raises(errors.AlreadyVoted):
        motion.decide(voted, recuse, CONTEXT)


def test_a_quorate_motion_is_decided_with_its_tally_at_the_deadline(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    voted = run(tabled, vote("sam", "yes", admin, now), vote("ivy", "yes", admin, now))
    deadline = now + timedelta(days=7)
    assert motion.decide(voted, CloseMotion(actor=admin, as_of=deadline), CONTEXT) == [
        MotionDecided(
            motion_id="M-1",
            outcome="yes",
            count=VoteCount(
                tally=(OptionTally(option="yes", votes=2), OptionTally(option="no", votes=0)),
                votes_cast=2,
                eligible_voters=4,
                votes_needed=2,
            ),
            closed_at="2026-03-09T12:00:00.000000Z",
            closed_by="ada",
        )
    ]
    assert run(voted, CloseMotion(actor=admin, as_of=deadline)).status is MotionStatus.DECIDED


def test_without_quorum_the_motion_lapses(tabled: MotionState, admin: Actor, now: datetime) -> None:
    voted = run(tabled, vote("sam", "yes", admin, now))
    [lapsed] = motion.decide(
        voted, CloseMotion(actor=admin, as_of=now + timedelta(days=7)), CONTEXT
    )
    assert isinstance(lapsed, MotionLapsed)
    assert lapsed.count.votes_needed == 2
    assert lapsed.count.votes_cast == 1


def test_a_recusal_leaves_the_quorum_counted_over_every_eligible_voter(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    recusal = RecuseFromMotion(actor=voter("pat", admin), reason="Conflict", recused_at=now)
    voted = run(tabled, recusal, vote("sam", "no", admin, now), vote("eve", "no", admin, now))
    [decided] = motion.decide(
        voted, CloseMotion(actor=admin, as_of=now + timedelta(days=7)), CONTEXT
    )
    assert isinstance(decided, MotionDecided)
    assert (decided.count.eligible_voters, decided.count.recused) == (4, 1)
    assert decided.count.votes_needed == 2
    assert decided.outcome == "no"


def test_a_motion_closes_early_once_everyone_has_voted_or_recused(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    with pytest.raises(errors.VotingStillOpen, match="4 eligible voters have not voted"):
        motion.decide(tabled, CloseMotion(actor=admin, as_of=now), CONTEXT)
    everyone = run(
        tabled,
        *(vote(user, "yes", admin, now) for user in ("sam", "ivy", "eve")),
        RecuseFromMotion(actor=voter("pat", admin), reason="Conflict", recused_at=now),
    )
    [decided] = motion.decide(everyone, CloseMotion(actor=admin, as_of=now), CONTEXT)
    assert isinstance(decided, MotionDecided)


def test_a_closed_motion_takes_no_more_votes(
    tabled: MotionState, admin: Actor, now: datetime
) -> None:
    closed = run(tabled, CloseMotion(actor=admin, as_of=now + timedelta(days=7)))
    assert closed.status is MotionStatus.LAPSED
    with pytest.raises(errors.VotingClosed, match="motion M-1 is lapsed"):
        motion.decide(closed, vote("sam", "yes", admin, now), CONTEXT)


def test_a_tie_or_a_short_majority_carries_no_option() -> None:
    tie = (OptionTally(option="yes", votes=2), OptionTally(option="no", votes=2))
    assert carried_option(SIMPLE_MAJORITY, tie) is None
    two_thirds = quorum_rule("two-thirds")
    short = (OptionTally(option="yes", votes=3), OptionTally(option="no", votes=2))
    assert carried_option(two_thirds, short) is None
    assert carried_option(SIMPLE_MAJORITY, short) == "yes"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=2, max_size=4))
def test_a_carried_option_leads_alone_with_the_majority_of_votes_cast(counts: list[int]) -> None:
    tally = tuple(OptionTally(option=f"o{i}", votes=n) for i, n in enumerate(counts))
    carried = carried_option(SIMPLE_MAJORITY, tally)
    if carried is not None:
        votes = {t.option: t.votes for t in tally}
        assert all(votes[carried] > n for option, n in votes.items() if option != carried)
        assert 2 * votes[carried] > sum(counts)
