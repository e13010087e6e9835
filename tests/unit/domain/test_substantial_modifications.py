"""One substantial modification under evaluation at a time, unless the charter allows
several, and then each links to the others."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain import amendment, errors
from domain.actor import Actor
from domain.amendment import (
    AmendmentContext,
    AmendmentState,
    AmendmentStatus,
    CheckForConcurrentModifications,
    ReviseAmendmentDetails,
    SubmitAmendment,
    WithdrawAmendment,
)
from domain.amendment_details import AmendmentDetails, ImpactAssessment
from domain.amendment_events import AmendmentSubmitted, ConcurrentModificationNoted
from tests.unit.domain.steps import Amend


@pytest.fixture(scope="module")
def substantial(details: AmendmentDetails) -> AmendmentDetails:
    return replace(
        details,
        safety_or_rights_impact=ImpactAssessment(likely=True, explanation="New procedures"),
    )


@pytest.fixture(scope="module")
def substantial_draft(
    draft: AmendmentState,
    substantial: AmendmentDetails,
    investigator: Actor,
    amend: Amend,
    context: AmendmentContext,
) -> AmendmentState:
    """A-1, substantial, in draft."""
    return amend(draft, context, ReviseAmendmentDetails(actor=investigator, details=substantial))


@pytest.fixture(scope="module")
def b1_pending(context: AmendmentContext) -> AmendmentContext:
    """Substantial amendment B-1 is under evaluation."""
    return replace(context, substantial_under_evaluation=frozenset({"B-1"}))


@pytest.fixture(scope="module")
def allowing(b1_pending: AmendmentContext) -> AmendmentContext:
    charter = replace(b1_pending.charter, concurrent_substantial_modifications=True)
    return replace(b1_pending, charter=charter)


def test_a_second_substantial_amendment_is_not_submitted_while_one_is_under_evaluation(
    substantial_draft: AmendmentState, investigator: Actor, b1_pending: AmendmentContext
) -> None:
    with pytest.raises(errors.SubstantialModificationPending, match="amendment B-1 is under"):
        amendment.decide(substantial_draft, SubmitAmendment(actor=investigator), b1_pending)


def test_alone_or_not_substantial_it_is_submitted_as_before(
    substantial_draft: AmendmentState,
    draft: AmendmentState,
    investigator: Actor,
    context: AmendmentContext,
    b1_pending: AmendmentContext,
) -> None:
    submit = SubmitAmendment(actor=investigator)
    alone = amendment.decide(substantial_draft, submit, context)
    assert [type(e) for e in alone] == [AmendmentSubmitted]
    # Its own id among those under evaluation (a retry) is no other.
    itself = replace(context, substantial_under_evaluation=frozenset({"A-1"}))
    assert [type(e) for e in amendment.decide(substantial_draft, submit, itself)] == [
        AmendmentSubmitted
    ]
    minor = amendment.decide(draft, submit, b1_pending)
    assert [type(e) for e in minor] == [AmendmentSubmitted]


def test_where_the_charter_allows_it_the_submission_links_to_the_one_under_evaluation(
    substantial_draft: AmendmentState, investigator: Actor, allowing: AmendmentContext
) -> None:
    events = amendment.decide(substantial_draft, SubmitAmendment(actor=investigator), allowing)
    assert events[1:] == [ConcurrentModificationNoted(amendment_id="A-1", concurrent_with=("B-1",))]
    state = amendment.fold(events, substantial_draft)
    assert state.status is AmendmentStatus.SUBMITTED
    assert state.concurrent_with == {"B-1"}


def test_a_submitted_amendment_is_not_made_substantial_while_another_is_under_evaluation(
    submitted: AmendmentState,
    substantial: AmendmentDetails,
    details: AmendmentDetails,
    investigator: Actor,
    b1_pending: AmendmentContext,
    allowing: AmendmentContext,
) -> None:
    revise = ReviseAmendmentDetails(actor=investigator, details=substantial)
    with pytest.raises(errors.SubstantialModificationPending, match="B-1"):
        amendment.decide(submitted, revise, b1_pending)
    linked = amendment.decide(submitted, revise, allowing)
    assert linked[-1] == ConcurrentModificationNoted(amendment_id="A-1", concurrent_with=("B-1",))
    # A change that keeps it minor, or one to a draft, is no new evaluation.
    summary = replace(details, summary="Widen the age range to 75")
    assert len(amendment.decide(submitted, replace(revise, details=summary), b1_pending)) == 1


def test_the_check_links_a_substantial_amendment_under_evaluation_to_the_others_once(
    substantial_draft: AmendmentState,
    investigator: Actor,
    context: AmendmentContext,
    b1_pending: AmendmentContext,
    amend: Amend,
) -> None:
    check = CheckForConcurrentModifications(actor=investigator)
    assert amendment.decide(substantial_draft, check, b1_pending) == []  # a draft is not
    under_evaluation = amend(substantial_draft, context, SubmitAmendment(actor=investigator))
    # Never refused, whatever the charter: it records what is the case.
    noted = amendment.decide(under_evaluation, check, b1_pending)
    assert noted == [ConcurrentModificationNoted(amendment_id="A-1", concurrent_with=("B-1",))]
    linked = amendment.fold(noted, under_evaluation)
    assert amendment.decide(linked, check, b1_pending) == []
    both = replace(b1_pending, substantial_under_evaluation=frozenset({"B-1", "C-1"}))
    assert amendment.decide(linked, check, both) == [
        ConcurrentModificationNoted(amendment_id="A-1", concurrent_with=("C-1",))
    ]
    withdrawn = amend(linked, context, WithdrawAmendment(actor=investigator, reason="Replaced"))
    assert amendment.decide(withdrawn, check, both) == []
    assert withdrawn.concurrent_with == {"B-1"}  # the link stays on record
