"""Disputes: raised on an amendment, section or decision; escalated; resolved by the ladder."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

import pytest

from domain import dispute, errors
from domain.actor import Actor
from domain.charter import DEFAULT_CHARTER
from domain.dispute import (
    DisputeContext,
    DisputeEscalated,
    DisputeRaised,
    DisputeResolved,
    DisputeState,
    DisputeSubjectKind,
    EscalateDispute,
    RaiseDispute,
    ResolveDispute,
)
from domain.roles import Role
from domain.subjects import RecordKind, SubjectRecord
from tests.unit.domain.steps import runner

A1 = SubjectRecord(
    kind=RecordKind.AMENDMENT,
    record_id="A-1",
    exists=True,
    authors=frozenset({"omar"}),
    organizations=frozenset({"site-2"}),
)
"""The amendment the disputes here are about: Omar's (none of the actors here wrote it)."""
CONTEXT = DisputeContext(charter=DEFAULT_CHARTER, subject=A1)

run = runner(partial(dispute.decide, context=CONTEXT), dispute.fold)


@pytest.fixture(scope="module")
def raise_it(advocate: Actor) -> RaiseDispute:
    return RaiseDispute(
        actor=advocate,
        dispute_id="D-1",
        trial_id="t-1",
        subject_kind=DisputeSubjectKind.AMENDMENT,
        subject_id="A-1",
        concern="Dropping visit 3 removes the safety check-in",
    )


@pytest.fixture(scope="module")
def raised(raise_it: RaiseDispute) -> DisputeState:
    return run(dispute.NEW_DISPUTE, raise_it)


def test_a_dispute_starts_at_the_first_level_of_the_charters_ladder(raise_it: RaiseDispute) -> None:
    assert dispute.decide(dispute.NEW_DISPUTE, raise_it, CONTEXT) == [
        DisputeRaised(
            dispute_id="D-1",
            trial_id="t-1",
            subject_kind=DisputeSubjectKind.AMENDMENT,
            subject_id="A-1",
            concern="Dropping visit 3 removes the safety check-in",
            raised_by="pat",
            ladder=DEFAULT_CHARTER.escalation_ladder,
        )
    ]
    state = run(dispute.NEW_DISPUTE, raise_it)
    assert state.is_open
    assert state.is_about(DisputeSubjectKind.AMENDMENT, "A-1")
    assert state.ladder[state.level].name == "Protocol team"


def test_a_dispute_needs_a_concern_and_a_valid_subject(raise_it: RaiseDispute) -> None:
    with pytest.raises(errors.RequiredTextMissing, match="the concern"):
        dispute.decide(dispute.NEW_DISPUTE, replace(raise_it, concern=""), CONTEXT)
    section = replace(raise_it, subject_kind=DisputeSubjectKind.SECTION, subject_id="consent")
    with pytest.raises(errors.InvalidSectionNumber):
        dispute.decide(dispute.NEW_DISPUTE, section, CONTEXT)
    decision = replace(raise_it, subject_kind=DisputeSubjectKind.DECISION, subject_id="M-1")
    assert dispute.decide(dispute.NEW_DISPUTE, decision, CONTEXT)


def test_a_dispute_is_raised_once(raised: DisputeState, raise_it: RaiseDispute) -> None:
    with pytest.raises(errors.DisputeAlreadyRaised):
        dispute.decide(raised, raise_it, CONTEXT)


def test_commands_need_a_raised_dispute(sponsor_lead: Actor) -> None:
    with pytest.raises(errors.DisputeNotFound):
        dispute.decide(
            dispute.NEW_DISPUTE, EscalateDispute(actor=sponsor_lead, reason="r"), CONTEXT
        )


def test_a_dispute_climbs_the_ladder_one_level_at_a_time(
    raised: DisputeState, advocate: Actor
) -> None:
    escalate = EscalateDispute(actor=advocate, reason="No agreement in the team")
    assert dispute.decide(raised, escalate, CONTEXT) == [
        DisputeEscalated(
            dispute_id="D-1",
            from_level=0,
            to_level=1,
            level_name="Trial steering committee",
            reason="No agreement in the team",
            escalated_by="pat",
        )
    ]
    top = run(raised, escalate, escalate)
    assert top.ladder[top.level].name == "Ethics committee"
    with pytest.raises(errors.EscalationLadderExhausted, match="top level, Ethics committee"):
        dispute.decide(top, escalate, CONTEXT)
    with pytest.raises(errors.RequiredTextMissing):
        dispute.decide(raised, replace(escalate, reason=""), CONTEXT)


def test_a_role_the_charter_allows_at_the_level_resolves_with_a_rationale(
    raised: DisputeState, investigator: Actor
) -> None:
    resolve = ResolveDispute(
        actor=investigator,
        resolution="Keep visit 3 by phone",
        rationale="Safety and burden both met",
    )
    assert dispute.decide(raised, resolve, CONTEXT) == [
        DisputeResolved(
            dispute_id="D-1",
            level=0,
            level_name="Protocol team",
            resolution="Keep visit 3 by phone",
            rationale="Safety and burden both met",
            resolved_by="ivy",
            resolver_roles=frozenset({Role.INVESTIGATOR}),
        )
    ]
    resolved = run(raised, resolve)
    assert not resolved.is_open
    with pytest.raises(errors.DisputeClosed, match="resolved by ivy"):
        dispute.decide(resolved, resolve, CONTEXT)
    with pytest.raises(errors.RequiredTextMissing, match="rationale"):
        dispute.decide(raised, replace(resolve, rationale=" "), CONTEXT)


def test_higher_levels_need_higher_roles(
    raised: DisputeState, advocate: Actor, investigator: Actor, ethics_reviewer: Actor
) -> None:
    at_ethics = run(raised, *[EscalateDispute(actor=advocate, reason="r")] * 2)
    resolve = ResolveDispute(actor=investigator, resolution="r", rationale="r")
    with pytest.raises(
        errors.NotEntitledToResolve,
        match=re.escape("at the Ethics committee level, only ethics_reviewer may resolve"),
    ):
        dispute.decide(at_ethics, resolve, CONTEXT)
    assert dispute.decide(at_ethics, replace(resolve, actor=ethics_reviewer), CONTEXT)


def test_nobody_resolves_the_dispute_they_raised(raised: DisputeState, advocate: Actor) -> None:
    own = ResolveDispute(
        actor=replace(advocate, roles=frozenset({Role.INVESTIGATOR})), resolution="r", rationale="r"
    )
    with pytest.raises(errors.SeparationOfDuties, match="pat raised dispute D-1"):
        dispute.decide(raised, own, CONTEXT)


def test_the_ladder_is_the_one_in_force_when_the_dispute_was_raised(
    raised: DisputeState, sponsor_lead: Actor
) -> None:
    shorter = replace(DEFAULT_CHARTER, escalation_ladder=DEFAULT_CHARTER.escalation_ladder[:1])
    escalate = EscalateDispute(actor=sponsor_lead, reason="r")
    assert dispute.decide(raised, escalate, replace(CONTEXT, charter=shorter))
