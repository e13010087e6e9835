"""A small trial for the domain tests: its people, a published protocol, amendments.

Every value here is immutable, so the fixtures are session-scoped: built once, shared
by every test, including hypothesis tests (which cannot use function-scoped fixtures).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest

from domain import amendment, protocol
from domain.actor import Actor
from domain.amendment import AmendmentContext, AmendmentState
from domain.amendment_details import (
    AmendmentDetails,
    Enrollment,
    EnrollmentUnit,
    ImpactAssessment,
    ProposedChange,
)
from domain.approval_policy import SignatureMeaning
from domain.charter import DEFAULT_CHARTER
from domain.m11 import AmendmentReason
from domain.protocol import ProtocolState
from domain.protocol_events import SectionText
from domain.roles import OrganizationKind, Role
from tests.unit.domain.steps import Amend, OtherMerge, runner

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _person(user_id: str, name: str, org: str, kind: OrganizationKind, *roles: Role) -> Actor:
    return Actor(
        user_id=user_id,
        printed_name=name,
        organization_id=org,
        organization_kind=kind,
        roles=frozenset(roles),
    )


@pytest.fixture(scope="session")
def now() -> datetime:
    """A fixed, aware moment: the domain never reads the clock, neither do its tests."""
    return NOON


@pytest.fixture(scope="session")
def admin() -> Actor:
    return _person("ada", "Ada Admin", "acme", OrganizationKind.SPONSOR, Role.TRIAL_ADMIN)


@pytest.fixture(scope="session")
def sponsor_lead() -> Actor:
    return _person("sam", "Sam Sponsor", "acme", OrganizationKind.SPONSOR, Role.SPONSOR_LEAD)


@pytest.fixture(scope="session")
def investigator() -> Actor:
    return _person("ivy", "Ivy Investigator", "site-1", OrganizationKind.SITE, Role.INVESTIGATOR)


@pytest.fixture(scope="session")
def advocate() -> Actor:
    return _person(
        "pat", "Pat Advocate", "voices", OrganizationKind.ADVOCACY, Role.PATIENT_ADVOCATE
    )


@pytest.fixture(scope="session")
def ethics_reviewer() -> Actor:
    return _person("eve", "Eve Ethics", "irb", OrganizationKind.ETHICS, Role.ETHICS_REVIEWER)


@pytest.fixture(scope="session")
def auditor() -> Actor:
    return _person("aud", "Aud Itor", "agency", OrganizationKind.REGULATOR, Role.AUDITOR)


@pytest.fixture(scope="session")
def drafted_protocol(admin: Actor) -> ProtocolState:
    """The M11 outline with a few sections written, not yet published."""
    texts = {
        "1.3": "Visit 1: screening\nVisit 2: baseline\nVisit 3: week 4",
        "5.2": "Age 18 to 65\nConfirmed diagnosis\nSigned consent",
        "5.3": "Pregnancy\nPrior exposure",
        "11.3": "Written consent before any procedure",
    }
    command = protocol.DraftProtocol(actor=admin, trial_id="t-1", title="ACME-101", texts=texts)
    return protocol.fold(protocol.decide(protocol.NEW_PROTOCOL, command))


@pytest.fixture(scope="session")
def published_protocol(drafted_protocol: ProtocolState, admin: Actor) -> ProtocolState:
    """Version 1, effective 2026-01-01."""
    publish = protocol.PublishProtocol(actor=admin, effective_date=date(2026, 1, 1))
    return protocol.fold(protocol.decide(drafted_protocol, publish), drafted_protocol)


@pytest.fixture(scope="session")
def context(published_protocol: ProtocolState) -> AmendmentContext:
    return AmendmentContext(charter=DEFAULT_CHARTER, protocol=published_protocol)


@pytest.fixture(scope="session")
def details() -> AmendmentDetails:
    """Not substantial: no to both impact questions."""
    return AmendmentDetails(
        summary="Widen the age range",
        primary_reason=AmendmentReason.RECRUITMENT_DIFFICULTY,
        secondary_reasons=(AmendmentReason.INVESTIGATOR_SITE_FEEDBACK,),
        safety_or_rights_impact=ImpactAssessment(likely=False, explanation="Same procedures"),
        data_reliability_impact=ImpactAssessment(likely=False, explanation="Same endpoints"),
        enrollment=Enrollment(value=40, unit=EnrollmentUnit.PERCENT),
    )


@pytest.fixture(scope="session")
def age_change() -> ProposedChange:
    return ProposedChange(
        number="5.2",
        heading="Inclusion Criteria",
        text="Age 18 to 75\nConfirmed diagnosis\nSigned consent",
        description="Raise the upper age limit to 75",
        rationale="Recruitment is slow in older cohorts",
    )


@pytest.fixture(scope="session")
def draft(
    investigator: Actor,
    details: AmendmentDetails,
    age_change: ProposedChange,
    context: AmendmentContext,
) -> AmendmentState:
    """Amendment A-1 by Ivy, changing section 5.2, in draft."""
    opened = amendment.OpenAmendment(
        actor=investigator, amendment_id="A-1", base_version=1, details=details
    )
    state = amendment.fold(amendment.decide(amendment.NEW_AMENDMENT, opened, context))
    propose = amendment.ProposeSectionChange(actor=investigator, change=age_change)
    return amendment.fold(amendment.decide(state, propose, context), state)


@pytest.fixture(scope="session")
def submitted(
    draft: AmendmentState, investigator: Actor, context: AmendmentContext
) -> AmendmentState:
    submit = amendment.SubmitAmendment(actor=investigator)
    return amendment.fold(amendment.decide(draft, submit, context), draft)


@pytest.fixture(scope="session")
def approved(
    submitted: AmendmentState, sponsor_lead: Actor, context: AmendmentContext
) -> AmendmentState:
    """A-1 approved by Sam (5.2 is not participant-facing, the details not substantial)."""
    sign = amendment.SignAmendment(
        actor=sponsor_lead,
        meaning=SignatureMeaning.APPROVAL,
        content_hash=submitted.content_hash,
        signed_at=NOON,
        password_confirmed=True,
    )
    return amendment.fold(amendment.decide(submitted, sign, context), submitted)


@pytest.fixture(scope="session")
def amend() -> Amend:
    def steps(
        state: AmendmentState, context: AmendmentContext, *commands: amendment.AmendmentCommand
    ) -> AmendmentState:
        return runner(partial(amendment.decide, context=context), amendment.fold)(state, *commands)

    return steps


@pytest.fixture(scope="session")
def merged_elsewhere() -> OtherMerge:
    def merge(base: ProtocolState, content: SectionText) -> ProtocolState:
        current = base.versions[-1].effective_date
        effective = max(date(2026, 2, 1), date.fromisoformat(current) + timedelta(days=1))
        events = protocol.amended_version(
            base,
            amendment_id=f"B-{base.current_version}",
            changes={content.number: content},
            reasons={content.number: "merged elsewhere"},
            authors=("ivy",),
            effective_date=effective,
            published_by="sam",
        )
        return protocol.fold(events, base)

    return merge


@pytest.fixture(scope="session")
def moved_on(context: AmendmentContext, merged_elsewhere: OtherMerge) -> AmendmentContext:
    """The protocol at version 2: B-1 changed 5.2, the section A-1 changes, before A-1
    merged."""
    criteria = SectionText(number="5.2", heading="Inclusion Criteria", text="Age 16 to 65")
    return replace(context, protocol=merged_elsewhere(context.protocol, criteria))


@pytest.fixture(scope="session")
def moved_on_elsewhere(context: AmendmentContext, merged_elsewhere: OtherMerge) -> AmendmentContext:
    """The protocol at version 2: B-1 changed only 5.3, a section A-1 does not touch."""
    exclusion = SectionText(number="5.3", heading="Exclusion Criteria", text="None")
    return replace(context, protocol=merged_elsewhere(context.protocol, exclusion))
