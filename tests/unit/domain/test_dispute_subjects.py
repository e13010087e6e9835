"""A dispute's subject must exist, and nobody resolves a dispute about their own work."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from domain import dispute, errors
from domain.actor import Actor
from domain.charter import DEFAULT_CHARTER, ConflictsOfInterest
from domain.dispute import (
    DisputeContext,
    DisputeState,
    DisputeSubjectKind,
    RaiseDispute,
    ResolveDispute,
)
from domain.roles import Role
from domain.subjects import RecordKind, SubjectRecord, require_any_existing

IVYS = SubjectRecord(
    kind=RecordKind.AMENDMENT,
    record_id="A-1",
    exists=True,
    authors=frozenset({"ivy", "ian"}),
    organizations=frozenset({"site-1"}),
)
"""Amendment A-1, written by Ivy and Ian of site-1."""
CONTEXT = DisputeContext(charter=DEFAULT_CHARTER, subject=IVYS)


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
    return dispute.fold(dispute.decide(dispute.NEW_DISPUTE, raise_it, CONTEXT))


def test_a_dispute_about_a_record_the_trial_lacks_is_refused(raise_it: RaiseDispute) -> None:
    missing = replace(IVYS, record_id="A-999", exists=False, authors=frozenset())
    about_nothing = replace(raise_it, subject_id="A-999")
    with pytest.raises(
        errors.SubjectNotFound,
        match=re.escape("dispute D-1 refers to amendment A-999, which this trial does not have"),
    ):
        dispute.decide(dispute.NEW_DISPUTE, about_nothing, replace(CONTEXT, subject=missing))


def test_a_malformed_section_number_is_named_as_such_before_it_is_looked_up(
    raise_it: RaiseDispute,
) -> None:
    section = replace(raise_it, subject_kind=DisputeSubjectKind.SECTION, subject_id="five")
    nowhere = SubjectRecord(kind=RecordKind.SECTION, record_id="five", exists=False)
    with pytest.raises(errors.InvalidSectionNumber):
        dispute.decide(dispute.NEW_DISPUTE, section, replace(CONTEXT, subject=nowhere))


def test_an_author_of_the_subject_does_not_resolve_the_dispute(
    raised: DisputeState, investigator: Actor, sponsor_lead: Actor
) -> None:
    resolve = ResolveDispute(actor=investigator, resolution="Keep", rationale="Safe")
    with pytest.raises(
        errors.ConflictOfInterest,
        match=re.escape("ivy is an author of amendment A-1, which dispute D-1 is about"),
    ):
        dispute.decide(raised, resolve, CONTEXT)
    assert dispute.decide(raised, replace(resolve, actor=sponsor_lead), CONTEXT)


def test_the_charter_may_exclude_the_authors_organizations_too(
    raised: DisputeState, investigator: Actor
) -> None:
    colleague = replace(investigator, user_id="iris", roles=frozenset({Role.INVESTIGATOR}))
    resolve = ResolveDispute(actor=colleague, resolution="Keep", rationale="Safe")
    assert dispute.decide(raised, resolve, CONTEXT)  # by default, a colleague may
    widened = replace(
        DEFAULT_CHARTER, conflicts_of_interest=ConflictsOfInterest(same_organization=True)
    )
    with pytest.raises(errors.ConflictOfInterest, match="iris belongs to site-1"):
        dispute.decide(raised, resolve, replace(CONTEXT, charter=widened))


def test_widening_never_lets_an_author_or_the_raiser_resolve(
    raised: DisputeState, investigator: Actor, advocate: Actor
) -> None:
    widened = replace(
        DEFAULT_CHARTER, conflicts_of_interest=ConflictsOfInterest(same_organization=True)
    )
    context = replace(CONTEXT, charter=widened, subject=replace(IVYS, organizations=frozenset()))
    with pytest.raises(errors.ConflictOfInterest):
        dispute.decide(
            raised, ResolveDispute(actor=investigator, resolution="r", rationale="r"), context
        )
    raiser = replace(advocate, roles=frozenset({Role.INVESTIGATOR}))
    with pytest.raises(errors.SeparationOfDuties):
        dispute.decide(raised, ResolveDispute(actor=raiser, resolution="r", rationale="r"), context)


def test_a_reference_that_may_name_several_kinds_must_name_one_that_exists() -> None:
    kinds = (RecordKind.AMENDMENT, RecordKind.DISPUTE)
    nothing = tuple(SubjectRecord(kind=k, record_id="X-1", exists=False) for k in kinds)
    with pytest.raises(
        errors.SubjectNotFound,
        match=re.escape("motion M-2 refers to 'X-1', which is no amendment or dispute"),
    ):
        require_any_existing(nothing, "X-1", "motion M-2")
    require_any_existing((nothing[0], replace(nothing[1], exists=True)), "X-1", "motion M-2")
    assert str(IVYS) == "amendment A-1"
