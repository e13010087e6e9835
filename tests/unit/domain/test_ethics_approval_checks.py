"""The ethics committee's approval is not taken on trust: its vote is judged against the
charter's committee quorum (members present, majority of those present), and its meeting
date must fall between the amendment's submission and today anywhere on Earth."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from domain import amendment, errors
from domain.actor import Actor
from domain.amendment import (
    AmendmentContext,
    AmendmentState,
    RecordEthicsApproval,
    ReviseAmendmentDetails,
    SubmitAmendment,
)
from domain.amendment_details import AmendmentDetails, ImpactAssessment
from domain.amendment_events import AmendmentSubmitted, EthicsApprovalRecorded
from domain.charter import (
    DEFAULT_CHARTER,
    DEFAULT_ETHICS_COMMITTEE,
    CommitteeQuorum,
    QuorumRule,
    Threshold,
    check_charter,
)
from tests.unit.domain.steps import Amend

SUBMITTED_AT = datetime.fromisoformat("2026-03-02T06:00:00+00:00")
"""The evening of 1 March in Honolulu (UTC-10), the morning of 2 March in UTC."""
SIGNED_AT = datetime.fromisoformat("2026-03-02T12:00:00+00:00")
"""The server's clock when the approval is recorded."""


@pytest.fixture(scope="module")
def substantial(
    draft: AmendmentState,
    investigator: Actor,
    details: AmendmentDetails,
    context: AmendmentContext,
    amend: Amend,
) -> AmendmentState:
    """A-1, substantial, submitted at :data:`SUBMITTED_AT` by the server's clock."""
    yes = replace(
        details, safety_or_rights_impact=ImpactAssessment(likely=True, explanation="New risk")
    )
    return amend(
        draft,
        context,
        ReviseAmendmentDetails(actor=investigator, details=yes),
        SubmitAmendment(actor=investigator, submitted_at=SUBMITTED_AT),
    )


def approval(
    reviewer: Actor,
    state: AmendmentState,
    *,
    votes: tuple[int, int, int] = (6, 1, 0),
    meeting: date = date(2026, 3, 2),
) -> RecordEthicsApproval:
    in_favour, against, abstaining = votes
    return RecordEthicsApproval(
        actor=reviewer,
        content_hash=state.content_hash,
        signed_at=SIGNED_AT,
        password_confirmed=True,
        meeting_date=meeting,
        in_favour=in_favour,
        against=against,
        abstaining=abstaining,
        minutes_reference="IRB-2026-03 item 4",
    )


def recorded(
    state: AmendmentState, command: RecordEthicsApproval, context: AmendmentContext
) -> EthicsApprovalRecorded:
    events = amendment.decide(state, command, context)
    assert isinstance(events[0], EthicsApprovalRecorded)
    return events[0]


def test_a_submission_records_the_servers_clock(
    draft: AmendmentState, investigator: Actor, context: AmendmentContext
) -> None:
    command = SubmitAmendment(actor=investigator, submitted_at=SUBMITTED_AT)
    [submitted] = amendment.decide(draft, command, context)
    assert isinstance(submitted, AmendmentSubmitted)
    assert submitted.submitted_at == "2026-03-02T06:00:00.000000Z"
    assert amendment.fold([submitted], draft).submitted_at == submitted.submitted_at


@pytest.mark.parametrize(
    ("votes", "error", "message"),
    [
        ((3, 1, 0), errors.CommitteeVoteNotQuorate, "4 of the committee's 9 members"),
        ((5, 2, 3), errors.CommitteeVoteExceedsMembership, "10 members voted or abstained"),
        ((4, 1, 4), errors.CommitteeVoteNotCarried, "4 in favour of 9 members present"),
        ((2, 2, 1), errors.CommitteeVoteNotCarried, "2 in favour of 5 members present"),
    ],
)
def test_a_vote_the_committee_quorum_does_not_let_approve_is_refused(
    substantial: AmendmentState,
    ethics_reviewer: Actor,
    context: AmendmentContext,
    votes: tuple[int, int, int],
    error: type[errors.DomainError],
    message: str,
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        amendment.decide(substantial, approval(ethics_reviewer, substantial, votes=votes), context)


def test_a_bare_majority_of_the_committee_present_and_in_favour_approves(
    substantial: AmendmentState, ethics_reviewer: Actor, context: AmendmentContext
) -> None:
    event = recorded(substantial, approval(ethics_reviewer, substantial, votes=(3, 1, 1)), context)
    vote = event.signature.committee_vote
    assert vote is not None
    assert (vote.in_favour, vote.against, vote.abstaining) == (3, 1, 1)


def test_the_charters_own_committee_quorum_decides(
    substantial: AmendmentState, ethics_reviewer: Actor, context: AmendmentContext
) -> None:
    two_thirds = Threshold(numerator=2, denominator=3)
    small = CommitteeQuorum(
        membership=5,
        rule=QuorumRule(name="two thirds of five", participation=two_thirds, majority=two_thirds),
    )
    charter = replace(DEFAULT_CHARTER, ethics_committee=small)
    check_charter(charter)
    ours = replace(context, charter=charter)
    recorded(substantial, approval(ethics_reviewer, substantial, votes=(3, 1, 0)), ours)
    with pytest.raises(errors.CommitteeVoteNotQuorate, match=r"two thirds of five.*needs 4"):
        amendment.decide(substantial, approval(ethics_reviewer, substantial, votes=(3, 0, 0)), ours)
    with pytest.raises(errors.CommitteeVoteNotCarried, match="is not at least 2/3"):
        amendment.decide(substantial, approval(ethics_reviewer, substantial, votes=(2, 2, 0)), ours)
    with pytest.raises(errors.CommitteeVoteExceedsMembership, match="has 5"):
        amendment.decide(substantial, approval(ethics_reviewer, substantial, votes=(6, 0, 0)), ours)


def test_the_default_committee_is_nine_meeting_with_a_majority_present() -> None:
    assert DEFAULT_CHARTER.ethics_committee == DEFAULT_ETHICS_COMMITTEE
    assert DEFAULT_ETHICS_COMMITTEE.membership == 9
    assert DEFAULT_ETHICS_COMMITTEE.rule.votes_needed(9) == 5
    assert not DEFAULT_ETHICS_COMMITTEE.carries(0, 0)


@pytest.mark.parametrize(
    ("committee", "problem"),
    [
        (replace(DEFAULT_ETHICS_COMMITTEE, membership=0), "the ethics committee needs members"),
        (
            replace(
                DEFAULT_ETHICS_COMMITTEE, rule=replace(DEFAULT_ETHICS_COMMITTEE.rule, name=" ")
            ),
            "the ethics committee's quorum rule needs a name",
        ),
        (
            replace(
                DEFAULT_ETHICS_COMMITTEE,
                rule=replace(
                    DEFAULT_ETHICS_COMMITTEE.rule,
                    majority=Threshold(numerator=1, denominator=1, inclusive=False),
                ),
            ),
            "the ethics committee's rule 'ethics committee majority': majority more than 1/1"
            " cannot be met",
        ),
    ],
)
def test_a_committee_quorum_that_cannot_be_followed_is_refused(
    committee: CommitteeQuorum, problem: str
) -> None:
    with pytest.raises(errors.InvalidCharter, match=re.escape(problem)):
        check_charter(replace(DEFAULT_CHARTER, ethics_committee=committee))


def test_a_meeting_later_than_today_anywhere_on_earth_is_refused(
    substantial: AmendmentState, ethics_reviewer: Actor, context: AmendmentContext
) -> None:
    # At noon UTC on 2 March it is already 3 March in Kiribati (UTC+14), not yet the 4th.
    recorded(substantial, approval(ethics_reviewer, substantial, meeting=date(2026, 3, 3)), context)
    tomorrow_everywhere = approval(ethics_reviewer, substantial, meeting=date(2026, 3, 4))
    with pytest.raises(errors.EthicsMeetingInFuture, match="today is 2026-03-03 at the latest"):
        amendment.decide(substantial, tomorrow_everywhere, context)


def test_a_meeting_before_the_amendment_was_submitted_is_refused(
    substantial: AmendmentState, ethics_reviewer: Actor, context: AmendmentContext
) -> None:
    # Submitted on the evening of 1 March in Honolulu: a meeting that day may follow it.
    recorded(substantial, approval(ethics_reviewer, substantial, meeting=date(2026, 3, 1)), context)
    for meeting in (date(2026, 2, 28), date(1999, 1, 1)):
        with pytest.raises(errors.EthicsMeetingBeforeSubmission, match="submitted at 2026-03-02"):
            amendment.decide(
                substantial, approval(ethics_reviewer, substantial, meeting=meeting), context
            )


def test_without_a_recorded_submission_time_only_the_clock_bounds_the_meeting(
    substantial: AmendmentState, ethics_reviewer: Actor, context: AmendmentContext
) -> None:
    """Logs written before submissions carried their time: nothing to compare with."""
    untimed = replace(substantial, submitted_at="")
    old = approval(ethics_reviewer, untimed, meeting=date(2025, 12, 1))
    recorded(untimed, old, context)
    late = approval(ethics_reviewer, untimed, meeting=date(2026, 3, 2) + timedelta(days=30))
    with pytest.raises(errors.EthicsMeetingInFuture):
        amendment.decide(untimed, late, context)
