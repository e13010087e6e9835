"""Who must sign an amendment, and when the signatures given are enough."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.actor import Actor
from domain.amendment_details import AmendmentDetails, ImpactAssessment
from domain.approval_policy import (
    ETHICS_APPROVAL,
    PARTICIPANT_REVIEW,
    SPONSOR_APPROVAL,
    CommitteeVote,
    Signature,
    SignatureMeaning,
    describe,
    missing_signatures,
    required_signatures,
    touches_participant_facing,
)
from domain.charter import DEFAULT_CHARTER

HASH = "sha256:current"
VOTE = CommitteeVote(
    meeting_date="2026-03-01", in_favour=7, against=1, abstaining=0, minutes_reference="M-12"
)


def signature(
    actor: Actor,
    meaning: SignatureMeaning,
    content_hash: str = HASH,
    vote: CommitteeVote | None = None,
) -> Signature:
    return Signature(
        signer_id=actor.user_id,
        printed_name=actor.printed_name,
        meaning=meaning,
        content_hash=content_hash,
        signed_at="2026-03-02T12:00:00.000000Z",
        roles=actor.roles,
        organization_kind=actor.organization_kind,
        committee_vote=vote,
    )


@pytest.fixture(scope="module")
def substantial(details: AmendmentDetails) -> AmendmentDetails:
    return replace(details, safety_or_rights_impact=ImpactAssessment(likely=True, explanation="e"))


def names(details: AmendmentDetails, sections: list[str]) -> list[str]:
    return [r.name for r in required_signatures(DEFAULT_CHARTER, details, sections)]


def test_the_sponsor_always_approves(details: AmendmentDetails) -> None:
    assert names(details, ["5.2"]) == [SPONSOR_APPROVAL]


def test_a_substantial_amendment_also_needs_the_ethics_committee(
    substantial: AmendmentDetails,
) -> None:
    assert names(substantial, ["5.2"]) == [SPONSOR_APPROVAL, ETHICS_APPROVAL]
    [_, ethics] = required_signatures(DEFAULT_CHARTER, substantial, ["5.2"])
    assert ethics.needs_committee_vote


@pytest.mark.parametrize("section", ["1.3", "11.3", "lay-summary", "11.3.1"])
def test_a_participant_facing_change_also_needs_a_patient_advocates_review(
    details: AmendmentDetails, section: str
) -> None:
    assert names(details, ["5.2", section]) == [SPONSOR_APPROVAL, PARTICIPANT_REVIEW]


def test_participant_facing_means_the_section_or_one_of_its_subsections() -> None:
    assert touches_participant_facing(DEFAULT_CHARTER, ["1.3.2"])
    assert not touches_participant_facing(DEFAULT_CHARTER, ["1.1", "11.30"])


def test_the_charter_decides_which_sections_are_participant_facing(
    details: AmendmentDetails,
) -> None:
    approval = replace(DEFAULT_CHARTER.approval, participant_facing_sections=frozenset({"5.2"}))
    charter = replace(DEFAULT_CHARTER, approval=approval)
    assert [r.name for r in required_signatures(charter, details, ["5.2"])] == [
        SPONSOR_APPROVAL,
        PARTICIPANT_REVIEW,
    ]


def test_signatures_on_the_current_content_by_the_named_roles_satisfy_the_requirements(
    substantial: AmendmentDetails, sponsor_lead: Actor, ethics_reviewer: Actor, advocate: Actor
) -> None:
    required = required_signatures(DEFAULT_CHARTER, substantial, ["1.3"])
    signatures = [
        signature(sponsor_lead, SignatureMeaning.APPROVAL),
        signature(ethics_reviewer, SignatureMeaning.APPROVAL, vote=VOTE),
        signature(advocate, SignatureMeaning.REVIEW),
    ]
    assert missing_signatures(required, signatures, HASH, frozenset({"ivy"})) == ()


def test_a_signature_on_other_content_does_not_count(
    details: AmendmentDetails, sponsor_lead: Actor
) -> None:
    required = required_signatures(DEFAULT_CHARTER, details, ["5.2"])
    stale = [signature(sponsor_lead, SignatureMeaning.APPROVAL, content_hash="sha256:old")]
    assert missing_signatures(required, stale, HASH, frozenset()) == required


def test_the_wrong_meaning_or_role_does_not_count(
    details: AmendmentDetails, sponsor_lead: Actor, investigator: Actor
) -> None:
    required = required_signatures(DEFAULT_CHARTER, details, ["5.2"])
    signatures = [
        signature(sponsor_lead, SignatureMeaning.REVIEW),
        signature(investigator, SignatureMeaning.APPROVAL),
    ]
    assert missing_signatures(required, signatures, HASH, frozenset()) == required


def test_the_ethics_approval_needs_the_committees_vote(
    substantial: AmendmentDetails, sponsor_lead: Actor, ethics_reviewer: Actor
) -> None:
    required = required_signatures(DEFAULT_CHARTER, substantial, ["5.2"])
    signatures = [
        signature(sponsor_lead, SignatureMeaning.APPROVAL),
        signature(ethics_reviewer, SignatureMeaning.APPROVAL),
    ]
    [missing] = missing_signatures(required, signatures, HASH, frozenset())
    assert missing.name == ETHICS_APPROVAL


def test_an_authors_signature_never_counts(details: AmendmentDetails, sponsor_lead: Actor) -> None:
    required = required_signatures(DEFAULT_CHARTER, details, ["5.2"])
    signatures = [signature(sponsor_lead, SignatureMeaning.APPROVAL)]
    assert missing_signatures(required, signatures, HASH, frozenset({"sam"})) == required


def test_each_requirement_needs_its_own_signer(
    details: AmendmentDetails, sponsor_lead: Actor
) -> None:
    sponsor_reviews = replace(
        DEFAULT_CHARTER.approval,
        participant_review=DEFAULT_CHARTER.approval.sponsor_approval,
    )
    charter = replace(DEFAULT_CHARTER, approval=sponsor_reviews)
    required = required_signatures(charter, details, ["11.3"])
    one_person = [
        signature(sponsor_lead, SignatureMeaning.APPROVAL),
        signature(sponsor_lead, SignatureMeaning.REVIEW),
    ]
    missing = missing_signatures(required, one_person, HASH, frozenset())
    assert [r.name for r in missing] == [PARTICIPANT_REVIEW]


def test_requirements_read_as_words(details: AmendmentDetails) -> None:
    required = required_signatures(DEFAULT_CHARTER, details, ["1.3"])
    assert describe(required) == (
        "sponsor approval (sponsor_lead), patient advocate review (patient_advocate)"
    )
