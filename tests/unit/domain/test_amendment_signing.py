"""Signing an amendment: re-authentication, meaning, content hash, separation of duties."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest

from domain import amendment, catalog, errors
from domain.actor import Actor
from domain.amendment import (
    AmendmentContext,
    AmendmentState,
    AmendmentStatus,
    OpenAmendment,
    ProposeSectionChange,
    RebaseAmendment,
    RecordEthicsApproval,
    ReviseAmendmentDetails,
    SignAmendment,
    SubmitAmendment,
)
from domain.amendment_details import AmendmentDetails, ImpactAssessment, ProposedChange
from domain.amendment_events import (
    AmendmentApproved,
    EthicsApprovalRecorded,
    SignatureApplied,
    SignaturesInvalidated,
)
from domain.approval_policy import CommitteeVote, Signature, SignatureMeaning
from domain.roles import OrganizationKind, Role
from tests.unit.domain.steps import Amend


def sign(
    actor: Actor, state: AmendmentState, meaning: SignatureMeaning, at: datetime
) -> SignAmendment:
    return SignAmendment(
        actor=actor,
        meaning=meaning,
        content_hash=state.content_hash,
        signed_at=at,
        password_confirmed=True,
    )


def ethics_approval(actor: Actor, state: AmendmentState, at: datetime) -> RecordEthicsApproval:
    return RecordEthicsApproval(
        actor=actor,
        content_hash=state.content_hash,
        signed_at=at,
        password_confirmed=True,
        meeting_date=date(2026, 3, 1),
        in_favour=7,
        against=1,
        abstaining=1,
        minutes_reference="IRB-2026-03 item 4",
    )


def opened_by(
    author: Actor,
    details: AmendmentDetails,
    change: ProposedChange,
    context: AmendmentContext,
    amend: Amend,
) -> AmendmentState:
    """A submitted amendment written by ``author``."""
    return amend(
        amendment.NEW_AMENDMENT,
        context,
        OpenAmendment(actor=author, amendment_id="A-2", base_version=1, details=details),
        ProposeSectionChange(actor=author, change=change),
        SubmitAmendment(actor=author),
    )


def test_the_last_required_signature_approves(
    submitted: AmendmentState, sponsor_lead: Actor, context: AmendmentContext, now: datetime
) -> None:
    events = amendment.decide(
        submitted, sign(sponsor_lead, submitted, SignatureMeaning.APPROVAL, now), context
    )
    assert events == [
        SignatureApplied(
            amendment_id="A-1",
            signature=Signature(
                signer_id="sam",
                printed_name="Sam Sponsor",
                meaning=SignatureMeaning.APPROVAL,
                content_hash=submitted.content_hash,
                signed_at="2026-03-02T12:00:00.000000Z",
                roles=frozenset({Role.SPONSOR_LEAD}),
                organization_kind=OrganizationKind.SPONSOR,
            ),
        ),
        AmendmentApproved(
            amendment_id="A-1", content_hash=submitted.content_hash, signatories=("sam",)
        ),
    ]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"password_confirmed": False}, errors.ReauthenticationRequired, "re-enter their password"),
        ({"content_hash": "sha256:old"}, errors.StaleContentHash, "changed since it was viewed"),
        (
            {"signed_at": datetime(2026, 3, 2, 12, 0)},
            errors.TimestampWithoutZone,
            "the signing time must carry a time zone",
        ),
    ],
)
def test_a_signature_needs_the_password_the_current_content_and_an_aware_time(
    submitted: AmendmentState,
    sponsor_lead: Actor,
    context: AmendmentContext,
    now: datetime,
    change: dict[str, object],
    error: type[errors.DomainError],
    message: str,
) -> None:
    command = replace(sign(sponsor_lead, submitted, SignatureMeaning.APPROVAL, now), **change)  # type: ignore[arg-type]
    with pytest.raises(error, match=re.escape(message)):
        amendment.decide(submitted, command, context)


def test_nobody_signs_while_a_dispute_on_the_amendment_is_open(
    submitted: AmendmentState, sponsor_lead: Actor, context: AmendmentContext, now: datetime
) -> None:
    disputed = replace(context, open_disputes=frozenset({"D-1"}))
    with pytest.raises(
        errors.AmendmentDisputed, match=re.escape("disputes ['D-1'] on amendment A-1")
    ):
        amendment.decide(
            submitted, sign(sponsor_lead, submitted, SignatureMeaning.APPROVAL, now), disputed
        )


def test_the_author_cannot_sign_its_approval(
    sponsor_lead: Actor,
    details: AmendmentDetails,
    age_change: ProposedChange,
    context: AmendmentContext,
    now: datetime,
    amend: Amend,
) -> None:
    own = opened_by(sponsor_lead, details, age_change, context, amend)
    with pytest.raises(errors.SeparationOfDuties, match="sam is an author of amendment A-2"):
        amendment.decide(own, sign(sponsor_lead, own, SignatureMeaning.APPROVAL, now), context)


def test_an_author_cannot_sign_its_review(
    advocate: Actor,
    details: AmendmentDetails,
    context: AmendmentContext,
    now: datetime,
    amend: Amend,
) -> None:
    consent = ProposedChange(
        number="11.3",
        heading="Informed Consent Process",
        text="Video consent allowed",
        description="Allow video consent",
        rationale="Travel burden",
    )
    own = opened_by(advocate, details, consent, context, amend)
    with pytest.raises(errors.SeparationOfDuties):
        amendment.decide(own, sign(advocate, own, SignatureMeaning.REVIEW, now), context)


def test_authorship_is_signed_by_authors_only_even_in_draft(
    draft: AmendmentState,
    investigator: Actor,
    sponsor_lead: Actor,
    context: AmendmentContext,
    now: datetime,
) -> None:
    [applied] = amendment.decide(
        draft, sign(investigator, draft, SignatureMeaning.AUTHORSHIP, now), context
    )
    assert isinstance(applied, SignatureApplied)
    with pytest.raises(errors.NotAnAuthor, match="sam did not write amendment A-1"):
        amendment.decide(
            draft, sign(sponsor_lead, draft, SignatureMeaning.AUTHORSHIP, now), context
        )


def test_approval_waits_for_submission(
    draft: AmendmentState, sponsor_lead: Actor, context: AmendmentContext, now: datetime
) -> None:
    with pytest.raises(
        errors.WrongAmendmentStatus,
        match="cannot sign for approval amendment A-1 while it is draft",
    ):
        amendment.decide(draft, sign(sponsor_lead, draft, SignatureMeaning.APPROVAL, now), context)


def test_only_people_the_charter_names_sign_approvals(
    submitted: AmendmentState, advocate: Actor, context: AmendmentContext, now: datetime
) -> None:
    with pytest.raises(errors.NotASignatory, match="pat's roles"):
        amendment.decide(
            submitted, sign(advocate, submitted, SignatureMeaning.APPROVAL, now), context
        )


def test_a_sponsor_lead_of_another_kind_of_organization_does_not_approve(
    submitted: AmendmentState, sponsor_lead: Actor, context: AmendmentContext, now: datetime
) -> None:
    from_a_cro = replace(sponsor_lead, organization_kind=OrganizationKind.CRO)
    with pytest.raises(errors.NotASignatory):
        amendment.decide(
            submitted, sign(from_a_cro, submitted, SignatureMeaning.APPROVAL, now), context
        )


def test_a_person_signs_the_same_content_once_per_meaning(
    submitted: AmendmentState,
    auditor: Actor,
    context: AmendmentContext,
    now: datetime,
    amend: Amend,
) -> None:
    responsible = amend(
        submitted, context, sign(auditor, submitted, SignatureMeaning.RESPONSIBILITY, now)
    )
    assert responsible.status is AmendmentStatus.SUBMITTED
    with pytest.raises(errors.AlreadySigned):
        amendment.decide(
            responsible, sign(auditor, submitted, SignatureMeaning.RESPONSIBILITY, now), context
        )


@pytest.fixture(scope="module")
def substantial(
    draft: AmendmentState,
    investigator: Actor,
    details: AmendmentDetails,
    context: AmendmentContext,
    amend: Amend,
) -> AmendmentState:
    yes = replace(
        details, safety_or_rights_impact=ImpactAssessment(likely=True, explanation="New risk")
    )
    return amend(
        draft,
        context,
        amendment.ReviseAmendmentDetails(actor=investigator, details=yes),
        SubmitAmendment(actor=investigator),
    )


def test_a_substantial_amendment_waits_for_the_ethics_committee(
    substantial: AmendmentState,
    sponsor_lead: Actor,
    ethics_reviewer: Actor,
    context: AmendmentContext,
    now: datetime,
    amend: Amend,
) -> None:
    sponsor_signed = amend(
        substantial, context, sign(sponsor_lead, substantial, SignatureMeaning.APPROVAL, now)
    )
    assert sponsor_signed.status is AmendmentStatus.SUBMITTED
    [recorded, approved] = amendment.decide(
        sponsor_signed, ethics_approval(ethics_reviewer, substantial, now), context
    )
    assert recorded == EthicsApprovalRecorded(
        amendment_id="A-1",
        signature=Signature(
            signer_id="eve",
            printed_name="Eve Ethics",
            meaning=SignatureMeaning.APPROVAL,
            content_hash=substantial.content_hash,
            signed_at="2026-03-02T12:00:00.000000Z",
            roles=frozenset({Role.ETHICS_REVIEWER}),
            organization_kind=OrganizationKind.ETHICS,
            committee_vote=CommitteeVote(
                meeting_date="2026-03-01",
                in_favour=7,
                against=1,
                abstaining=1,
                minutes_reference="IRB-2026-03 item 4",
            ),
        ),
    )
    assert approved == AmendmentApproved(
        amendment_id="A-1", content_hash=substantial.content_hash, signatories=("eve", "sam")
    )


def test_ethics_approval_is_recorded_with_the_committees_vote_not_a_plain_signature(
    substantial: AmendmentState, ethics_reviewer: Actor, context: AmendmentContext, now: datetime
) -> None:
    with pytest.raises(errors.CommitteeVoteRequired):
        amendment.decide(
            substantial, sign(ethics_reviewer, substantial, SignatureMeaning.APPROVAL, now), context
        )


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            {"in_favour": 3, "against": 3},
            errors.CommitteeVoteNotCarried,
            "3 in favour of 7 members present is not more than 1/2",
        ),
        ({"abstaining": -1}, errors.InvalidCommand, "vote counts cannot be negative"),
        ({"minutes_reference": ""}, errors.RequiredTextMissing, "minutes"),
    ],
)
def test_the_committees_vote_must_carry_and_be_minuted(
    substantial: AmendmentState,
    ethics_reviewer: Actor,
    context: AmendmentContext,
    now: datetime,
    change: dict[str, object],
    error: type[errors.DomainError],
    message: str,
) -> None:
    command = replace(ethics_approval(ethics_reviewer, substantial, now), **change)  # type: ignore[arg-type]
    with pytest.raises(error, match=re.escape(message)):
        amendment.decide(substantial, command, context)


def test_only_ethics_reviewers_record_ethics_approval(
    substantial: AmendmentState, sponsor_lead: Actor, context: AmendmentContext, now: datetime
) -> None:
    with pytest.raises(errors.NotASignatory, match="does not record ethics approvals"):
        amendment.decide(substantial, ethics_approval(sponsor_lead, substantial, now), context)


def test_a_participant_facing_change_waits_for_a_patient_advocates_review(
    submitted: AmendmentState,
    investigator: Actor,
    sponsor_lead: Actor,
    advocate: Actor,
    context: AmendmentContext,
    now: datetime,
    amend: Amend,
) -> None:
    schedule = ProposedChange(
        number="1.3",
        heading="Schedule of Activities",
        text="Visit 1: screening\nVisit 2: baseline",
        description="Drop visit 3",
        rationale="Burden",
    )
    facing = amend(submitted, context, ProposeSectionChange(actor=investigator, change=schedule))
    sponsor_signed = amend(
        facing, context, sign(sponsor_lead, facing, SignatureMeaning.APPROVAL, now)
    )
    assert sponsor_signed.status is AmendmentStatus.SUBMITTED
    reviewed = amend(sponsor_signed, context, sign(advocate, facing, SignatureMeaning.REVIEW, now))
    assert reviewed.status is AmendmentStatus.APPROVED


def test_any_change_after_signing_invalidates_the_signatures(
    submitted: AmendmentState,
    investigator: Actor,
    auditor: Actor,
    context: AmendmentContext,
    now: datetime,
    amend: Amend,
) -> None:
    signed = amend(
        submitted, context, sign(auditor, submitted, SignatureMeaning.RESPONSIBILITY, now)
    )
    change = replace(submitted.changes["5.2"], text="Age 18 to 80")
    [proposed, invalidated] = amendment.decide(
        signed, ProposeSectionChange(actor=investigator, change=change), context
    )
    after = amendment.fold([proposed, invalidated], signed)
    assert invalidated == SignaturesInvalidated(
        amendment_id="A-1",
        previous_hash=submitted.content_hash,
        new_hash=after.content_hash,
        signers=("aud",),
        invalidated_by="ivy",
    )
    assert after.signatures == ()
    assert [s.signer_id for s in after.invalidated_signatures] == ["aud"]


def test_a_submitted_amendments_details_revised_after_signing_name_who_signed_and_who_revised(
    submitted: AmendmentState,
    investigator: Actor,
    auditor: Actor,
    context: AmendmentContext,
    now: datetime,
    amend: Amend,
) -> None:
    signed = amend(
        submitted, context, sign(auditor, submitted, SignatureMeaning.RESPONSIBILITY, now)
    )
    assert signed.details is not None
    details = replace(signed.details, summary="Widen the age range, with a safety note")
    [revised, invalidated] = amendment.decide(
        signed, ReviseAmendmentDetails(actor=investigator, details=details), context
    )
    assert isinstance(invalidated, SignaturesInvalidated)
    assert (invalidated.signers, invalidated.invalidated_by) == (("aud",), "ivy")
    after = amendment.fold([revised, invalidated], signed)
    assert after.status is AmendmentStatus.SUBMITTED
    assert after.details == details
    # An event logged before the field read as blank: the codec fills its default.
    old = catalog.from_data(
        "SignaturesInvalidated",
        {"amendment_id": "A-1", "previous_hash": "a", "new_hash": "b", "signers": ["aud"]},
        1,
    )
    assert old == SignaturesInvalidated(
        amendment_id="A-1", previous_hash="a", new_hash="b", signers=("aud",)
    )


def test_a_rebase_of_an_approved_amendment_withdraws_its_approval(
    approved: AmendmentState,
    investigator: Actor,
    moved_on_elsewhere: AmendmentContext,
    amend: Amend,
) -> None:
    rebase = RebaseAmendment(actor=investigator, onto_version=2, resolutions=())
    rebased = amend(approved, moved_on_elsewhere, rebase)
    assert rebased.status is AmendmentStatus.SUBMITTED
    assert rebased.signatures == ()
