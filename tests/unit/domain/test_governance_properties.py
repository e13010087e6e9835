"""Random command sequences across a whole trial, with governance invariants after each.

A hypothesis state machine plays the server: it builds each command's context from the
current states, decides, and folds what was decided. After every step it checks:

- a refused command raised a DomainError (nothing else) and changed nothing: every
  state is still exactly the fold of the events accepted so far;
- every emitted event survives the log's JSON and folds;
- a merged amendment had every required signature on its final content hash, under
  the charter in force when it merged, and no open dispute;
- nobody approved or reviewed an amendment they wrote;
- every role holder has attested every training the charter requires for the role, and
  nobody's training was attested by themself or dated in the future;
- a decided motion met its quorum, and its outcome follows from its tally.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain import amendment, dispute, engagement, m11, motion, protocol, workspace
from domain.actor import Actor
from domain.amendment import AmendmentContext, AmendmentState, AmendmentStatus
from domain.amendment_details import (
    AmendmentDetails,
    Enrollment,
    EnrollmentUnit,
    ImpactAssessment,
    ProposedChange,
    SectionResolution,
)
from domain.amendment_events import AmendmentApproved, AmendmentMerged
from domain.amendment_rules import conflicting_sections
from domain.amendment_signing import missing_for
from domain.approval_policy import SignatureMeaning
from domain.catalog import from_data, to_data
from domain.charter import (
    ADVOCATE_TRAINING,
    DEFAULT_CHARTER,
    ETHICS_TRAINING,
    GCP_TRAINING,
    Charter,
)
from domain.dispute import DisputeSubjectKind
from domain.engagement import CommentSubjectKind, Disposition
from domain.errors import DomainError
from domain.event import Event
from domain.m11 import AmendmentReason
from domain.merging import MergeAmendment, decide_merge
from domain.motion import MotionContext, MotionDecided, MotionStatus, carried_option
from domain.roles import OrganizationKind, Role
from domain.subjects import RecordKind, SubjectRecord
from domain.workspace import TrainingRecord
from domain.workspace_events import (
    InvitationAccepted,
    InvitationDeclined,
    MemberInvited,
    TrainingAttested,
)
from domain.workspace_invitations import username_key
from tests.unit.domain.steps import joining

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ORGANIZATIONS = {
    "acme": OrganizationKind.SPONSOR,
    "site-1": OrganizationKind.SITE,
    "voices": OrganizationKind.ADVOCACY,
    "irb": OrganizationKind.ETHICS,
    "agency": OrganizationKind.REGULATOR,
}
PEOPLE = {  # user -> (organization, training, role)
    "sam": ("acme", GCP_TRAINING, Role.SPONSOR_LEAD),
    "sue": ("acme", GCP_TRAINING, Role.SPONSOR_LEAD),
    "ivy": ("site-1", GCP_TRAINING, Role.INVESTIGATOR),
    "sid": ("site-1", GCP_TRAINING, Role.SITE_STAFF),
    "pat": ("voices", ADVOCATE_TRAINING, Role.PATIENT_ADVOCATE),
    "eve": ("irb", ETHICS_TRAINING, Role.ETHICS_REVIEWER),
    "aud": ("agency", GCP_TRAINING, Role.AUDITOR),
}
USERS = st.sampled_from(["ada", *PEOPLE])
SLIP = st.integers(0, 9)
"""Most commands are well-formed; a slip of 0 or 1 makes one go wrong in some way."""
WHICH = st.integers(0, 2)
"""Which of the existing amendments (motions, disputes) a command is about."""
AMENDMENT_IDS = ("A-1", "A-2", "A-3")
MOTION_IDS = ("M-1", "M-2")
DISPUTE_IDS = ("D-1", "D-2", "D-3")
SECTIONS = st.sampled_from(["5.2", "5.3", "1.3", "11.3", "lay-summary", "5.2.1", "1.1.2", "5"])
HEADINGS = {section.number: section.heading for section in m11.OUTLINE}
TEXTS = st.sampled_from(["Age 18 to 75", "Age 21 to 65", "Pregnancy", ""])
OPTIONS = st.sampled_from(["yes", "no", "abstain", "maybe"])
QUORUM_RULES = st.sampled_from(["simple-majority", "two-thirds", "unanimous", "plurality"])
# A charter where the inclusion criteria are participant-facing too, to change the
# approval policy in the middle of amendments.
WIDER_REVIEW = replace(
    DEFAULT_CHARTER,
    approval=replace(
        DEFAULT_CHARTER.approval,
        participant_facing_sections=DEFAULT_CHARTER.approval.participant_facing_sections | {"5.2"},
    ),
)


def details(substantial: bool, summary: str = "Widen eligibility") -> AmendmentDetails:
    return AmendmentDetails(
        summary=summary,
        primary_reason=AmendmentReason.RECRUITMENT_DIFFICULTY,
        safety_or_rights_impact=ImpactAssessment(likely=substantial, explanation="assessed"),
        data_reliability_impact=ImpactAssessment(likely=False, explanation="assessed"),
        enrollment=Enrollment(value=12, unit=EnrollmentUnit.PARTICIPANTS),
    )


def pick(states: dict[str, Any], which: int) -> str:
    """One of the ids in ``states``, chosen by ``which``."""
    ids = sorted(states)
    return ids[which % len(ids)]


def ethics_approval(
    actor: Actor, content_hash: str, when: datetime, in_favour: int, against: int
) -> amendment.RecordEthicsApproval:
    return amendment.RecordEthicsApproval(
        actor=actor,
        content_hash=content_hash,
        signed_at=when,
        password_confirmed=True,
        meeting_date=when.date(),
        in_favour=in_favour,
        against=against,
        abstaining=0,
        minutes_reference="IRB-2026-03",
    )


def survives_the_log(event: Event) -> None:
    stored = json.loads(json.dumps(to_data(event)))
    assert from_data(event.event_type, stored, event.schema_version) == event


class Trial(RuleBasedStateMachine):
    """One trial, as the server would hold it: a state per stream and the accepted log."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, Event]] = []
        self.trial = workspace.NEW_TRIAL
        self.protocol = protocol.NEW_PROTOCOL
        self.amendments: dict[str, AmendmentState] = {}
        self.motions: dict[str, motion.MotionState] = {}
        self.disputes: dict[str, dispute.DisputeState] = {}
        self.threads: dict[str, engagement.CommentThread] = {}
        self.charter_at_merge: dict[str, Charter] = {}
        self.clock = START

    # -- the server's part: context, decide, append -------------------------------------

    def actor(self, user: str) -> Actor:
        return workspace.actor_in(self.trial, user)

    def attempt(self, stream: str, decide: Callable[[], Sequence[Any]]) -> list[Any] | None:
        """Decide; a refusal must be a DomainError and leaves everything as it was."""
        try:
            events = list(decide())
        except DomainError:
            return None
        for event in events:
            survives_the_log(event)
            self.log.append((stream, event))
        return events

    def amendment_state(self, amendment_id: str) -> AmendmentState:
        return self.amendments.get(amendment_id, amendment.NEW_AMENDMENT)

    def amendment_context(self, amendment_id: str) -> AmendmentContext:
        open_disputes = frozenset(
            d.dispute_id
            for d in self.disputes.values()
            if d.is_open and d.is_about(DisputeSubjectKind.AMENDMENT, amendment_id)
        )
        thread = self.threads.get(f"comments:amendment:{amendment_id}", engagement.NEW_THREAD)
        return AmendmentContext(
            charter=self.trial.charter,
            protocol=self.protocol,
            open_disputes=open_disputes,
            feedback_awaiting_disposition=thread.awaiting_disposition(),
            substantial_under_evaluation=frozenset(
                other
                for other, state in self.amendments.items()
                if other != amendment_id and state.is_substantial and state.is_under_evaluation
            ),
        )

    def on_amendment(self, amendment_id: str, command: amendment.AmendmentCommand) -> None:
        state, context = self.amendment_state(amendment_id), self.amendment_context(amendment_id)
        events = self.attempt(
            f"amendment:{amendment_id}", lambda: amendment.decide(state, command, context)
        )
        if events is not None:
            for event in events:
                if isinstance(event, AmendmentApproved):
                    assert not set(event.signatories) & state.authors, "an author approved"
            self.amendments[amendment_id] = amendment.fold(events, state)

    def tick(self, hours: int = 1) -> datetime:
        self.clock += timedelta(hours=hours)
        return self.clock

    # -- setup ---------------------------------------------------------------------------

    @initialize()
    def set_up_the_trial(self) -> None:
        ada = Actor(
            user_id="ada",
            printed_name="Ada",
            organization_id="acme",
            organization_kind=OrganizationKind.SPONSOR,
        )
        gcp = TrainingRecord(course=GCP_TRAINING, completed_on=date(2025, 1, 1))
        commands: list[workspace.WorkspaceCommand] = [
            workspace.CreateTrial(
                actor=ada,
                trial_id="t-1",
                title="T",
                organization_name="ACME",
                founder_training=(replace(gcp, attested_by="olga"),),
                founded_at=self.clock,
            )
        ]
        for org, kind in ORGANIZATIONS.items():
            if org != "acme":
                commands.append(
                    workspace.AdmitOrganization(actor=ada, organization_id=org, name=org, kind=kind)
                )
        for user, (org, course, role) in PEOPLE.items():
            training = TrainingRecord(course=course, completed_on=date(2025, 1, 1))
            commands += [
                *joining(ada, user, user.title(), org, ORGANIZATIONS[org]),
                workspace.AttestTraining(
                    actor=ada, user_id=user, training=training, attested_at=self.clock
                ),
                workspace.GrantRole(actor=ada, user_id=user, role=role, reason="appointed"),
            ]
        for command in commands:
            self.apply_workspace(command)
        texts = {
            "5.2": "Age 18 to 65",
            "5.3": "Pregnancy\nPrior exposure",
            "11.3": "Written consent",
        }
        draft = protocol.DraftProtocol(actor=ada, trial_id="t-1", title="T", texts=texts)
        publish = protocol.PublishProtocol(actor=ada, effective_date=date(2026, 1, 1))
        for step in (draft, publish):
            events = self.attempt("protocol", lambda c=step: protocol.decide(self.protocol, c))  # type: ignore[misc]
            assert events
            self.protocol = protocol.fold(events, self.protocol)

    def apply_workspace(self, command: workspace.WorkspaceCommand) -> None:
        events = self.attempt("trial", lambda: workspace.decide(self.trial, command))
        if events is not None:
            self.trial = workspace.fold(events, self.trial)

    # -- workspace -----------------------------------------------------------------------

    @rule(user=st.sampled_from(list(PEOPLE)), role=st.sampled_from(Role), choice=st.integers(0, 9))
    def tend_roles_and_charter(self, user: str, role: Role, choice: int) -> None:
        """The trial admin grants or revokes a role (without a reason now and then), or
        switches the charter's participant-facing sections."""
        admin = self.actor("ada")
        command: workspace.WorkspaceCommand
        if choice == 0:
            charter = DEFAULT_CHARTER if self.trial.charter == WIDER_REVIEW else WIDER_REVIEW
            command = workspace.AmendCharter(actor=admin, charter=charter, reason="review")
        else:
            kind = workspace.GrantRole if choice % 2 else workspace.RevokeRole
            reason = "" if choice == 9 else "reassigned"
            command = kind(actor=admin, user_id=user, role=role, reason=reason)
        self.apply_workspace(command)

    @rule(
        user=USERS,
        course=st.sampled_from([GCP_TRAINING, ETHICS_TRAINING, ADVOCATE_TRAINING]),
        choice=st.integers(0, 9),
        days=st.integers(-30, 3),
    )
    def tend_training(self, user: str, course: str, choice: int, days: int) -> None:
        """The trial admin withdraws an attestation (without a reason now and then) or
        attests a course, dated up to three days after the clock; or someone attests their
        own."""
        admin = self.actor("ada")
        command: workspace.WorkspaceCommand
        if choice < 4:
            reason = "" if choice == 0 else "attested by mistake"
            command = workspace.WithdrawTraining(
                actor=admin, user_id=user, course=course, reason=reason
            )
        else:
            attester = self.actor(user) if choice == 9 and user in self.trial.members else admin
            completed_on = (self.clock + timedelta(days=days)).date()
            command = workspace.AttestTraining(
                actor=attester,
                user_id=user,
                training=TrainingRecord(course=course, completed_on=completed_on),
                attested_at=self.clock,
            )
        self.apply_workspace(command)

    @rule(
        username=st.sampled_from(["nia", "Leo", "ivy"]),
        who=st.sampled_from(["nia", "leo", "ivy", "sam"]),
        choice=st.integers(0, 3),
        which=st.integers(0, 3),
    )
    def invite_and_answer(self, username: str, who: str, choice: int, which: int) -> None:
        """The admin invites a newcomer (or a member) to the site, or withdraws an
        invitation; someone — the invitee or not — accepts or declines one."""
        ids = sorted(self.trial.invitations)
        invitation_id = ids[which % len(ids)] if ids and choice else f"inv-{len(ids) + 1}"
        command: workspace.WorkspaceCommand
        if choice == 0:
            command = workspace.InviteMember(
                actor=self.actor("ada"),
                invitation_id=invitation_id,
                username=username,
                organization_id="site-1",
                invited_at=self.tick(),
            )
        elif choice == 1:
            command = workspace.WithdrawInvitation(
                actor=self.actor("ada"), invitation_id=invitation_id
            )
        else:
            try:
                actor = workspace.invitee_actor(self.trial, invitation_id, who, who.title())
            except DomainError:
                return
            answer = workspace.AcceptInvitation if choice == 2 else workspace.DeclineInvitation
            command = answer(actor=actor, invitation_id=invitation_id, username=who)
        self.apply_workspace(command)

    # -- amendments ----------------------------------------------------------------------

    @precondition(lambda self: len(self.amendments) < len(AMENDMENT_IDS))
    @rule(user=USERS, substantial=st.booleans(), slip=SLIP)
    def open_amendment(self, user: str, substantial: bool, slip: int) -> None:
        amendment_id = AMENDMENT_IDS[len(self.amendments) - (1 if slip == 0 else 0)]
        command = amendment.OpenAmendment(
            actor=self.actor(user),
            amendment_id=amendment_id,
            base_version=self.protocol.current_version - (1 if slip == 1 else 0),
            details=details(substantial),
        )
        self.on_amendment(amendment_id, command)

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, user=USERS, number=SECTIONS, text=TEXTS, slip=SLIP)
    def propose_change(self, which: int, user: str, number: str, text: str, slip: int) -> None:
        change = ProposedChange(
            number=number,
            heading=HEADINGS.get(number, "Added"),
            text=None if slip == 0 else text,
            description="" if slip == 1 else "Change it",
            rationale="It helps",
        )
        command = amendment.ProposeSectionChange(actor=self.actor(user), change=change)
        self.on_amendment(pick(self.amendments, which), command)

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, user=USERS, number=SECTIONS)
    def retract_change(self, which: int, user: str, number: str) -> None:
        command = amendment.RetractSectionChange(actor=self.actor(user), number=number)
        self.on_amendment(pick(self.amendments, which), command)

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, user=USERS, substantial=st.booleans(), slip=SLIP)
    def revise_details(self, which: int, user: str, substantial: bool, slip: int) -> None:
        revised = details(substantial, summary="" if slip == 0 else "Revised summary")
        command = amendment.ReviseAmendmentDetails(actor=self.actor(user), details=revised)
        self.on_amendment(pick(self.amendments, which), command)

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, user=USERS)
    def submit(self, which: int, user: str) -> None:
        command = amendment.SubmitAmendment(actor=self.actor(user), submitted_at=self.tick())
        self.on_amendment(pick(self.amendments, which), command)

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, user=USERS, section=SECTIONS | st.none())
    def comment_on_review(self, which: int, user: str, section: str | None) -> None:
        command = amendment.CommentOnReview(
            actor=self.actor(user), text="Looks fine", section=section
        )
        self.on_amendment(pick(self.amendments, which), command)

    @precondition(lambda self: self.amendments)
    @rule(
        which=WHICH, signer=st.integers(0, 9), meaning=st.sampled_from(SignatureMeaning), slip=SLIP
    )
    def sign(self, which: int, signer: int, meaning: SignatureMeaning, slip: int) -> None:
        """Someone signs: the authors come first among the candidates, then the people
        who sign approvals and reviews, then everyone else."""
        amendment_id = pick(self.amendments, which)
        state = self.amendments[amendment_id]
        candidates = [*sorted(state.authors), "sam", "sue", "pat", "eve", *sorted(PEOPLE)]
        command = amendment.SignAmendment(
            actor=self.actor(candidates[signer % len(candidates)]),
            meaning=meaning,
            content_hash="sha256:stale" if slip == 0 else state.content_hash,
            signed_at=self.tick(),
            password_confirmed=slip != 1,
        )
        self.on_amendment(amendment_id, command)

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, number=SECTIONS)
    def advance(self, which: int, number: str) -> None:
        """A diligent person takes the amendment one step along its way: proposes a
        change, submits, fills the first missing signature, rebases or merges."""
        amendment_id = pick(self.amendments, which)
        state = self.amendments[amendment_id]
        author = state.opened_by
        if state.status is AmendmentStatus.DRAFT and not state.changes:
            change = ProposedChange(
                number=number,
                heading=HEADINGS.get(number, "Added"),
                text=f"Revised by {amendment_id}",
                description="Change it",
                rationale="It helps",
            )
            command = amendment.ProposeSectionChange(actor=self.actor(author), change=change)
            self.on_amendment(amendment_id, command)
        elif state.status is AmendmentStatus.DRAFT:
            submit = amendment.SubmitAmendment(actor=self.actor(author), submitted_at=self.tick())
            self.on_amendment(amendment_id, submit)
        elif state.conflict is not None:
            self.rebase(which, author, [True] * 8, slip=9)
        elif state.status is AmendmentStatus.APPROVED:
            self.merge(which, "sam", days=31 * len(self.protocol.versions))
        elif state.status is AmendmentStatus.SUBMITTED:
            self.fill_a_missing_signature(amendment_id)

    def fill_a_missing_signature(self, amendment_id: str) -> None:
        state = self.amendments[amendment_id]
        missing = missing_for(state, self.amendment_context(amendment_id))
        signers = [
            user
            for user in PEOPLE
            if missing
            and user not in state.authors
            and missing[0].signatories.admit(
                self.actor(user).roles, self.actor(user).organization_kind
            )
        ]
        if not signers:
            return
        actor, when = self.actor(signers[0]), self.tick()
        command: amendment.AmendmentCommand
        if missing[0].needs_committee_vote:
            command = ethics_approval(actor, state.content_hash, when, in_favour=5, against=1)
        else:
            command = amendment.SignAmendment(
                actor=actor,
                meaning=missing[0].meaning,
                content_hash=state.content_hash,
                signed_at=when,
                password_confirmed=True,
            )
        self.on_amendment(amendment_id, command)

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, user=USERS, in_favour=st.integers(0, 7), against=st.integers(0, 3))
    def record_ethics_approval(self, which: int, user: str, in_favour: int, against: int) -> None:
        amendment_id = pick(self.amendments, which)
        content_hash = self.amendments[amendment_id].content_hash
        command = ethics_approval(self.actor(user), content_hash, self.tick(), in_favour, against)
        self.on_amendment(amendment_id, command)

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, user=USERS, reject=st.booleans(), slip=SLIP)
    def reject_or_withdraw(self, which: int, user: str, reject: bool, slip: int) -> None:
        kind = amendment.RejectAmendment if reject else amendment.WithdrawAmendment
        command = kind(actor=self.actor(user), reason="" if slip == 0 else "not needed")
        self.on_amendment(pick(self.amendments, which), command)

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, user=USERS, days=st.integers(-10, 30))
    def merge(self, which: int, user: str, days: int) -> None:
        amendment_id = pick(self.amendments, which)
        state, context = self.amendments[amendment_id], self.amendment_context(amendment_id)
        effective = date(2026, 2, 1) + timedelta(days=days)
        command = MergeAmendment(actor=self.actor(user), effective_date=effective)
        try:
            decision = decide_merge(state, command, context)
        except DomainError:
            return
        assert not context.open_disputes, "merged while a dispute was open"
        assert not missing_for(state, context), "merged without every required signature"
        for merged in decision.amendment_events:
            survives_the_log(merged)
            self.log.append((f"amendment:{amendment_id}", merged))
        for published in decision.protocol_events:
            survives_the_log(published)
            self.log.append(("protocol", published))
        self.amendments[amendment_id] = amendment.fold(decision.amendment_events, state)
        self.protocol = protocol.fold(decision.protocol_events, self.protocol)
        self.charter_at_merge[amendment_id] = context.charter
        for other in list(self.amendments):  # the server's policy after every merge
            self.on_amendment(other, amendment.CheckForConflicts(actor=self.actor(user)))

    @precondition(lambda self: self.amendments)
    @rule(which=WHICH, user=USERS, keep=st.lists(st.booleans(), min_size=8, max_size=8), slip=SLIP)
    def rebase(self, which: int, user: str, keep: list[bool], slip: int) -> None:
        amendment_id = pick(self.amendments, which)
        state = self.amendments[amendment_id]
        document = self.protocol.document()
        in_conflict = sorted(conflicting_sections(state, self.protocol), key=m11.sort_key)
        resolutions = []
        for number, keep_it in zip(in_conflict, keep, strict=False):
            current = document.get(number)
            ours = replace(state.changes[number], text=(current.text if current else "") + "\nours")
            resolutions.append(SectionResolution(number=number, change=ours if keep_it else None))
        command = amendment.RebaseAmendment(
            actor=self.actor(user),
            onto_version=self.protocol.current_version - (1 if slip == 0 else 0),
            resolutions=tuple(resolutions[1:] if slip == 1 else resolutions),
            note="rebased after merge",
        )
        self.on_amendment(amendment_id, command)

    # -- disputes and comments -----------------------------------------------------------

    @precondition(lambda self: self.amendments and len(self.disputes) < len(DISPUTE_IDS))
    @rule(which=WHICH, user=USERS)
    def raise_dispute(self, which: int, user: str) -> None:
        dispute_id = DISPUTE_IDS[len(self.disputes)]
        command = dispute.RaiseDispute(
            actor=self.actor(user),
            dispute_id=dispute_id,
            trial_id="t-1",
            subject_kind=DisputeSubjectKind.AMENDMENT,
            subject_id=pick(self.amendments, which),
            concern="Burden on participants",
        )
        self.on_dispute(dispute_id, command)

    @precondition(lambda self: self.disputes)
    @rule(which=WHICH, user=USERS, escalate=st.booleans(), slip=SLIP)
    def escalate_or_resolve(self, which: int, user: str, escalate: bool, slip: int) -> None:
        """Someone escalates, or someone entitled at the current level resolves (a slip
        of 0 lets anyone try)."""
        dispute_id = pick(self.disputes, which)
        state = self.disputes[dispute_id]
        if not escalate and slip != 0 and state.is_open:
            level = state.ladder[state.level]
            entitled = sorted(
                member
                for member in self.trial.members
                if self.actor(member).holds_any(level.resolver_roles)
                and member != state.raised_by
                and member not in self.amendment_state(state.subject_id).authors
            )
            user = entitled[0] if entitled else user
        actor = self.actor(user)
        command: dispute.DisputeCommand = (
            dispute.EscalateDispute(actor=actor, reason="no agreement")
            if escalate
            else dispute.ResolveDispute(actor=actor, resolution="Keep visit 3", rationale="Safety")
        )
        self.on_dispute(dispute_id, command)

    def on_dispute(self, dispute_id: str, command: dispute.DisputeCommand) -> None:
        state = self.disputes.get(dispute_id, dispute.NEW_DISPUTE)
        about = (
            command.subject_id if isinstance(command, dispute.RaiseDispute) else state.subject_id
        )
        subject = self.amendment_state(about)
        members = self.trial.members
        context = dispute.DisputeContext(
            charter=self.trial.charter,
            subject=SubjectRecord(
                kind=RecordKind.AMENDMENT,
                record_id=about,
                exists=subject.exists,
                authors=subject.authors,
                organizations=frozenset(
                    members[a].organization_id for a in subject.authors if a in members
                ),
            ),
        )
        events = self.attempt(
            f"dispute:{dispute_id}", lambda: dispute.decide(state, command, context)
        )
        if events is not None:
            self.disputes[dispute_id] = dispute.fold(events, state)

    @precondition(lambda self: self.amendments)
    @rule(
        which=WHICH,
        user=USERS,
        comment=st.integers(1, 3),
        disposition=st.sampled_from(Disposition) | st.none(),
    )
    def comment_or_disposition(
        self, which: int, user: str, comment: int, disposition: Disposition | None
    ) -> None:
        amendment_id = pick(self.amendments, which)
        stream = f"comments:amendment:{amendment_id}"
        state = self.threads.get(stream, engagement.NEW_THREAD)
        actor = self.actor(user)
        command: engagement.EngagementCommand = (
            engagement.PostComment(
                actor=actor,
                trial_id="t-1",
                subject_kind=CommentSubjectKind.AMENDMENT,
                subject_id=amendment_id,
                comment_id=f"c-{comment}",
                text="Visit 3 is a burden",
            )
            if disposition is None
            else engagement.DispositionFeedback(
                actor=actor, comment_id=f"c-{comment}", disposition=disposition, reason="noted"
            )
        )
        events = self.attempt(stream, lambda: engagement.decide(state, command))
        if events is not None:
            self.threads[stream] = engagement.fold(events, state)

    # -- motions -------------------------------------------------------------------------

    @precondition(lambda self: len(self.motions) < len(MOTION_IDS))
    @rule(user=USERS, voters=st.sets(USERS, min_size=1, max_size=5), rule_name=QUORUM_RULES)
    def table_motion(self, user: str, voters: set[str], rule_name: str) -> None:
        motion_id, now = MOTION_IDS[len(self.motions)], self.tick()
        command = motion.TableMotion(
            actor=self.actor(user),
            motion_id=motion_id,
            trial_id="t-1",
            question="Adopt amendment A-1?",
            options=("yes", "no", "abstain"),
            eligible_voters=tuple(sorted(voters)),
            quorum_rule=rule_name,
            deadline=now + timedelta(hours=6),
            tabled_at=now,
        )
        self.on_motion(motion_id, command)

    @precondition(lambda self: self.motions)
    @rule(which=WHICH, voter=st.integers(0, 4), option=OPTIONS, slip=SLIP)
    def vote_or_recuse(self, which: int, voter: int, option: str, slip: int) -> None:
        """An eligible voter who has not voted yet votes (or, now and then, recuses); a
        slip of 1 lets any member try."""
        motion_id = pick(self.motions, which)
        state = self.motions[motion_id]
        waiting = sorted(state.present_voters - state.votes.keys())
        voters = sorted(PEOPLE) if slip == 1 or not waiting else waiting
        actor, now = self.actor(voters[voter % len(voters)]), self.tick()
        command: motion.MotionCommand = (
            motion.RecuseFromMotion(actor=actor, reason="conflict of interest", recused_at=now)
            if slip == 0
            else motion.CastVote(actor=actor, option=option, cast_at=now)
        )
        self.on_motion(motion_id, command)

    @precondition(lambda self: self.motions)
    @rule(which=WHICH, user=USERS, hours=st.integers(0, 8))
    def close_motion(self, which: int, user: str, hours: int) -> None:
        command = motion.CloseMotion(actor=self.actor(user), as_of=self.tick(hours))
        self.on_motion(pick(self.motions, which), command)

    def on_motion(self, motion_id: str, command: motion.MotionCommand) -> None:
        state = self.motions.get(motion_id, motion.NEW_MOTION)
        context = MotionContext.of(self.trial)
        events = self.attempt(f"motion:{motion_id}", lambda: motion.decide(state, command, context))
        if events is None:
            return
        for event in events:
            if isinstance(event, MotionDecided):
                count = event.count
                assert count.eligible_voters == len(state.eligible_voters)
                assert count.recused == len(state.recused)
                assert count.votes_cast >= count.votes_needed, "decided without a quorum"
                assert state.quorum_rule is not None
                assert event.outcome == carried_option(state.quorum_rule, count.tally)
        self.motions[motion_id] = motion.fold(events, state)

    # -- invariants ----------------------------------------------------------------------

    def events_of(self, stream: str) -> list[Any]:
        return [event for name, event in self.log if name == stream]

    @invariant()
    def every_state_is_the_fold_of_the_accepted_events(self) -> None:
        assert self.trial == workspace.fold(self.events_of("trial"))
        assert self.protocol == protocol.fold(self.events_of("protocol"))
        for key, state in self.amendments.items():
            assert state == amendment.fold(self.events_of(f"amendment:{key}"))
        for key, motion_state in self.motions.items():
            assert motion_state == motion.fold(self.events_of(f"motion:{key}"))
        for key, dispute_state in self.disputes.items():
            assert dispute_state == dispute.fold(self.events_of(f"dispute:{key}"))
        for key, thread in self.threads.items():
            assert thread == engagement.fold(self.events_of(key))

    @invariant()
    def every_role_holder_has_the_training_the_charter_requires(self) -> None:
        for member in self.trial.members.values():
            for role in member.roles:
                assert self.trial.charter.role_rule(role).training <= member.training.keys()

    @invariant()
    def nobody_attested_their_own_training_or_one_in_the_future(self) -> None:
        latest = (self.clock + timedelta(hours=14)).date().isoformat()
        for event in self.events_of("trial"):
            if isinstance(event, TrainingAttested):
                assert event.attested_by != event.user_id
                assert event.completed_on <= latest

    @invariant()
    def only_the_founder_joined_without_accepting_an_invitation_addressed_to_them(self) -> None:
        invited: dict[str, str] = {}
        accepted: set[str] = set()
        for event in self.events_of("trial"):
            if isinstance(event, MemberInvited):
                invited[event.invitation_id] = event.username
            elif isinstance(event, InvitationAccepted | InvitationDeclined):
                assert username_key(invited[event.invitation_id]) == username_key(event.user_id)
                if isinstance(event, InvitationAccepted):
                    accepted.add(event.user_id)
        assert set(self.trial.members) == {"ada", *accepted}

    @invariant()
    def a_merged_amendment_had_every_required_signature_on_its_final_content(self) -> None:
        for amendment_id, state in self.amendments.items():
            if state.status is AmendmentStatus.MERGED:
                [merged] = [
                    e
                    for e in self.events_of(f"amendment:{amendment_id}")
                    if isinstance(e, AmendmentMerged)
                ]
                assert merged.content_hash == state.content_hash
                context = replace(
                    self.amendment_context(amendment_id),
                    charter=self.charter_at_merge[amendment_id],
                )
                assert missing_for(state, context) == ()
                version = self.protocol.version(merged.protocol_version)
                assert version is not None
                assert version.amendment_id == amendment_id

    @invariant()
    def nobody_approved_or_reviewed_their_own_amendment(self) -> None:
        vouching = {SignatureMeaning.APPROVAL, SignatureMeaning.REVIEW}
        for state in self.amendments.values():
            for signature in state.signatures:
                assert signature.content_hash == state.content_hash
                if signature.meaning in vouching:
                    assert signature.signer_id not in state.authors

    @invariant()
    def a_decided_motion_met_its_quorum(self) -> None:
        for state in self.motions.values():
            if state.status is MotionStatus.DECIDED:
                assert state.quorum_rule is not None
                assert state.quorum_rule.is_quorate(len(state.votes), len(state.eligible_voters))

    @invariant()
    def protocol_versions_count_up_and_match_their_hashes(self) -> None:
        numbers = [v.version for v in self.protocol.versions]
        assert numbers == list(range(1, len(numbers) + 1))


Trial.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestTrialGovernance = Trial.TestCase
