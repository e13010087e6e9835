"""A realistic demo trial, loaded through the same command service as every request.

A sponsor, two sites, a patient advocacy group, an ethics committee and an inspectorate,
each with a named person; a published protocol (version 1); one decided motion; one
resolved dispute; and one amendment under review. Each person gets a fresh password,
returned once so the command line can print it.

The trials' founder, Alex, is the demo's system administrator and trial creator, and his
training is attested for his account at system level: each recorded in the account log as
the operator's doing (``operator:demo``), as ``concord user ...`` would record it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from domain import amendment, dispute, engagement, m11, motion, protocol, workspace
from domain.account_events import SystemRole
from domain.actor import Actor
from domain.amendment_details import (
    AmendmentDetails,
    AmendmentScope,
    Enrollment,
    EnrollmentUnit,
    ImpactAssessment,
    ProposedChange,
)
from domain.charter import ADVOCATE_TRAINING, ETHICS_TRAINING, GCP_TRAINING
from domain.dispute import DisputeSubjectKind
from domain.engagement import CommentSubjectKind
from domain.event import Command
from domain.m11 import AmendmentReason
from domain.roles import OrganizationKind, Role
from domain.workspace import TrainingRecord
from server.accounts.account_log import operator_actor
from server.accounts.account_training import AccountTraining, founder_training
from server.accounts.system_roles import SystemRoles
from server.commands.invitations import Answerer, accept_invitation
from server.commands.targets import (
    Target,
    amendment_target,
    dispute_target,
    motion_target,
    protocol_target,
    thread_target,
    workspace_target,
)
from server.services import Services

DEMO_TRIAL = "asthma-301"
DRAFT_TRIAL = "copd-202"
"""A second demo trial whose protocol is still a draft: its sections are edited directly,
so two people can try live co-editing (a published protocol changes only by amendment)."""
DRAFT_TEXTS = {"5.2": "Age 40 to 80 years\nSmoking history of 10 pack-years or more"}

OPERATOR_META = {"actor": operator_actor("demo"), "via": "demo"}
"""How the log records what the demo does as the server's operator."""


@dataclass(frozen=True, slots=True)
class DemoPerson:
    username: str
    printed_name: str
    organization_id: str
    role: Role
    password: str = ""
    user_id: str = ""


@dataclass(frozen=True, slots=True)
class DemoOrganization:
    organization_id: str
    name: str
    kind: OrganizationKind


ORGANIZATIONS = (
    DemoOrganization("northwind", "Northwind Therapeutics", OrganizationKind.SPONSOR),
    DemoOrganization("st-marys", "St Mary's University Hospital", OrganizationKind.SITE),
    DemoOrganization("riverside", "Riverside Respiratory Clinic", OrganizationKind.SITE),
    DemoOrganization("breathe-easy", "Breathe Easy Patient Alliance", OrganizationKind.ADVOCACY),
    DemoOrganization("central-irb", "Central Research Ethics Committee", OrganizationKind.ETHICS),
    DemoOrganization("inspectorate", "Medicines Inspectorate", OrganizationKind.REGULATOR),
)

PEOPLE = (
    DemoPerson("alex", "Alex Morgan", "northwind", Role.TRIAL_ADMIN),
    DemoPerson("sam", "Samira Reyes", "northwind", Role.SPONSOR_LEAD),
    DemoPerson("ivy", "Dr Ivy Chen", "st-marys", Role.INVESTIGATOR),
    DemoPerson("omar", "Dr Omar Haddad", "riverside", Role.INVESTIGATOR),
    DemoPerson("pat", "Pat Okafor", "breathe-easy", Role.PATIENT_ADVOCATE),
    DemoPerson("elena", "Dr Elena Rossi", "central-irb", Role.ETHICS_REVIEWER),
    DemoPerson("aud", "Audrey Fischer", "inspectorate", Role.AUDITOR),
)

_TRAINING = {
    Role.PATIENT_ADVOCATE: ADVOCATE_TRAINING,
    Role.ETHICS_REVIEWER: ETHICS_TRAINING,
}

PROTOCOL_TEXTS = {
    "1.1.2": "A 52-week, randomised, double-blind, placebo-controlled, parallel-group trial"
    " of once-daily NW-301 inhaler in adults with moderate persistent asthma.",
    "1.3": "Visit 1 (week -2): screening\nVisit 2 (week 0): randomisation, first dose\n"
    "Visit 3 (week 4): spirometry, diary review\nVisit 4 (week 12): spirometry\n"
    "Visit 5 (week 26): spirometry, blood sample\nVisit 6 (week 52): end of treatment",
    "3.1": "To compare the annualised rate of severe asthma exacerbations between NW-301"
    " and placebo over 52 weeks.",
    "5.2": "Age 18 to 65 years\nDiagnosis of asthma for at least 12 months\n"
    "Pre-bronchodilator FEV1 between 40% and 85% of predicted\nSigned informed consent",
    "5.3": "Current smoker or more than 10 pack-years\nPregnancy or breastfeeding\n"
    "Another investigational product within 30 days",
    "10.11": "A sample size of 880 participants (440 per arm) gives 90% power to detect a"
    " 30% reduction in the exacerbation rate at a two-sided alpha of 0.05.",
    "11.3": "Written informed consent is obtained before any trial procedure. Participants"
    " receive the lay summary and may take the information sheet home before deciding.",
    m11.LAY_SUMMARY: "We are testing whether a new daily inhaler reduces serious asthma attacks."
    " You would visit the clinic six times over one year.",
}


AGE_AMENDMENT = AmendmentDetails(
    summary="Widen the upper age limit to 75 years",
    primary_reason=AmendmentReason.RECRUITMENT_DIFFICULTY,
    secondary_reasons=(AmendmentReason.INVESTIGATOR_SITE_FEEDBACK,),
    safety_or_rights_impact=ImpactAssessment(
        likely=False, explanation="Same procedures and safety monitoring"
    ),
    data_reliability_impact=ImpactAssessment(
        likely=False, explanation="Same endpoints and analysis"
    ),
    enrollment=Enrollment(value=35, unit=EnrollmentUnit.PERCENT),
    scope=AmendmentScope(countries=(), sites=()),
)
"""Amendment A-1: not substantial, changes no participant-facing section."""

AGE_CHANGE = ProposedChange(
    number="5.2",
    heading="Inclusion Criteria",
    text=PROTOCOL_TEXTS["5.2"].replace("18 to 65", "18 to 75"),
    description="Raise the upper age limit from 65 to 75 years",
    rationale="Recruitment is slow; older adults carry much of the asthma burden",
)


async def load_demo(services: Services, *, trial_id: str = DEMO_TRIAL) -> list[DemoPerson]:
    """Create the demo's people and trial; returns each person with their new password."""
    people = [await _account(services, person) for person in PEOPLE]
    by_role = {person.role: person for person in people}
    admin, lead = by_role[Role.TRIAL_ADMIN], by_role[Role.SPONSOR_LEAD]
    ivy, omar = people[2], people[3]
    advocate = by_role[Role.PATIENT_ADVOCATE]
    today = services.clock().date()
    trained = today - timedelta(days=90)
    await _empower(services, admin, trained)
    await _found(services, trial_id, admin, "ASTHMA-301: NW-301 in moderate persistent asthma")
    run = _Runner(services, trial_id)
    for org in ORGANIZATIONS[1:]:
        await run.admit(admin, org)
    for person in people[1:]:
        course = _TRAINING.get(person.role, GCP_TRAINING)
        reason = f"{person.printed_name} takes part as {person.role.value.replace('_', ' ')}"
        await run.enrol(
            admin, person, person.role, TrainingRecord(course=course, completed_on=trained), reason
        )

    draft = protocol_target(trial_id)
    title = "NW-301 in moderate persistent asthma (ASTHMA-301)"
    await run.on(
        draft, lead, protocol.DraftProtocol, trial_id=trial_id, title=title, texts=PROTOCOL_TEXTS
    )
    smokers = PROTOCOL_TEXTS["5.3"] + "\nOral corticosteroids within 4 weeks of screening"
    await run.on(
        draft,
        ivy,
        protocol.ReviseSection,
        number="5.3",
        base_revision=1,
        text=smokers,
        reason="Oral corticosteroids confound the primary endpoint",
    )
    await run.on(draft, lead, protocol.PublishProtocol, effective_date=today)

    vote = motion_target(trial_id, "M-1")
    now = services.clock()
    await run.on(
        vote,
        lead,
        motion.TableMotion,
        motion_id="M-1",
        trial_id=trial_id,
        question="Use the electronic symptom diary app instead of paper diaries?",
        options=("yes", "no"),
        eligible_voters=tuple(p.user_id for p in (lead, ivy, omar, advocate)),
        quorum_rule="simple-majority",
        deadline=now + timedelta(days=7),
        tabled_at=now,
        subject=None,
    )
    for voter, option in ((lead, "yes"), (ivy, "yes"), (omar, "no"), (advocate, "yes")):
        await run.on(vote, voter, motion.CastVote, option=option, cast_at=services.clock())
    await run.on(vote, lead, motion.CloseMotion, as_of=services.clock())

    concern = dispute_target(trial_id, "D-1")
    await run.on(
        concern,
        advocate,
        dispute.RaiseDispute,
        dispute_id="D-1",
        trial_id=trial_id,
        subject_kind=DisputeSubjectKind.SECTION,
        subject_id="1.3",
        concern="Six clinic visits in a year is a heavy burden for working participants;"
        " can the week-12 visit be done remotely?",
    )
    await run.on(
        concern,
        ivy,
        dispute.ResolveDispute,
        resolution="The week-12 spirometry may be done at home with a supervised video call;"
        " an amendment will follow.",
        rationale="Home spirometry is validated for this endpoint and halves travel.",
    )

    a1 = amendment_target(trial_id, "A-1")
    await run.on(
        a1, ivy, amendment.OpenAmendment, amendment_id="A-1", base_version=1, details=AGE_AMENDMENT
    )
    await run.on(a1, ivy, amendment.ProposeSectionChange, change=AGE_CHANGE)
    await run.on(a1, ivy, amendment.SubmitAmendment)
    await run.on(
        a1,
        lead,
        amendment.CommentOnReview,
        section="5.2",
        text="Please confirm the spirometry criteria still hold above 65.",
    )
    await run.on(
        thread_target(trial_id, CommentSubjectKind.AMENDMENT, "A-1"),
        advocate,
        engagement.PostComment,
        trial_id=trial_id,
        subject_kind=CommentSubjectKind.AMENDMENT,
        subject_id="A-1",
        comment_id="C-1",
        in_reply_to=None,
        text="Older participants will need transport support for clinic visits;"
        " please say how it will be offered.",
    )
    return people


async def _account(services: Services, person: DemoPerson) -> DemoPerson:
    password = secrets.token_urlsafe(12)
    user = await services.accounts.create_user(
        person.username, person.printed_name, password, meta=OPERATOR_META
    )
    return DemoPerson(
        person.username,
        person.printed_name,
        person.organization_id,
        person.role,
        password,
        user.user_id,
    )


async def load_draft_trial(
    services: Services, people: list[DemoPerson], *, trial_id: str = DRAFT_TRIAL
) -> None:
    """The draft demo trial, with the demo's people (from :func:`load_demo`): the trial
    admin founds it, the two investigators' sites join, Ivy drafts the protocol."""
    by_name = {person.username: person for person in people}
    admin, editors = by_name["alex"], [by_name["ivy"], by_name["omar"]]
    trained = services.clock().date() - timedelta(days=90)
    title = "COPD-202: NW-301 in chronic obstructive pulmonary disease"
    await _found(services, trial_id, admin, title)
    run = _Runner(services, trial_id)
    sites = {org.organization_id: org for org in ORGANIZATIONS}
    for person in editors:
        await run.admit(admin, sites[person.organization_id])
        training = TrainingRecord(course=GCP_TRAINING, completed_on=trained)
        reason = f"{person.printed_name} writes the protocol"
        await run.enrol(admin, person, Role.INVESTIGATOR, training, reason)
    draft = protocol_target(trial_id)
    await run.on(
        draft,
        editors[0],
        protocol.DraftProtocol,
        trial_id=trial_id,
        title="NW-301 in COPD",
        texts=DRAFT_TEXTS,
    )


async def _empower(services: Services, admin: DemoPerson, trained: date) -> None:
    """Make ``admin`` the demo's system administrator and trial creator, trained in Good
    Clinical Practice as of ``trained`` (attested by the operator)."""
    log = services.account_log
    roles = SystemRoles(log, services.accounts)
    reason = "runs the demo installation"
    for role in (SystemRole.SYSTEM_ADMIN, SystemRole.TRIAL_CREATOR):
        await roles.grant(admin.user_id, role, reason=reason, meta=OPERATOR_META)
    training = AccountTraining(log, services.accounts, clock=services.clock)
    last = await training.attest(admin.user_id, GCP_TRAINING, trained, meta=OPERATOR_META)
    await services.authorizer.wait_for(last.last_position)


async def _found(services: Services, trial_id: str, admin: DemoPerson, title: str) -> None:
    founder = Actor(
        user_id=admin.user_id,
        printed_name=admin.printed_name,
        organization_id=admin.organization_id,
        organization_kind=OrganizationKind.SPONSOR,
    )
    await services.commands.create_trial(
        founder,
        workspace.CreateTrial(
            actor=founder,
            trial_id=trial_id,
            title=title,
            organization_name=ORGANIZATIONS[0].name,
            founder_training=founder_training(
                admin.user_id, await services.account_log.state(admin.user_id)
            ),
            founded_at=services.clock(),
        ),
        {"actor": admin.user_id, "via": "demo"},
    )


class _Runner:
    """Issues the demo's commands through the command service, as each person."""

    def __init__(self, services: Services, trial_id: str) -> None:
        self._services = services
        self._trial = workspace_target(trial_id)

    async def workspace(self, person: DemoPerson, command: type[Command], **fields: Any) -> None:
        await self.on(self._trial, person, command, **fields)

    async def admit(self, admin: DemoPerson, org: DemoOrganization) -> None:
        await self.workspace(
            admin,
            workspace.AdmitOrganization,
            organization_id=org.organization_id,
            name=org.name,
            kind=org.kind,
        )

    async def enrol(
        self,
        admin: DemoPerson,
        person: DemoPerson,
        role: Role,
        training: TrainingRecord,
        reason: str,
    ) -> None:
        """Invite ``person``, who accepts (so the log shows their consent); then attest
        their training and grant ``role``."""
        trial = self._trial.trial_id
        invitation_id = f"invite-{person.username}"
        await self.workspace(
            admin,
            workspace.InviteMember,
            invitation_id=invitation_id,
            username=person.username,
            organization_id=person.organization_id,
            invited_at=self._services.clock(),
        )
        answerer = Answerer(person.user_id, person.username, person.printed_name)
        meta = {"actor": person.user_id, "via": "demo"}
        commands, states = self._services.commands, self._services.states
        await accept_invitation(commands, states, trial, invitation_id, answerer, meta=meta)
        await self.workspace(
            admin,
            workspace.AttestTraining,
            user_id=person.user_id,
            training=training,
            attested_at=self._services.clock(),
        )
        await self.workspace(
            admin, workspace.GrantRole, user_id=person.user_id, role=role, reason=reason
        )

    async def on(
        self, target: Target[Any], person: DemoPerson, command: type[Command], **fields: Any
    ) -> None:
        await self._services.commands.execute(
            target,
            person.user_id,
            lambda actor: command(actor=actor, **fields),
            meta={"actor": person.user_id, "via": "demo"},
        )
