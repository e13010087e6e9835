"""The trial workspace: organizations, members, invitations, training, roles and the charter.

One stream per trial. Role grants are the sources of ``rbac``'s policy: a grant needs
an organization the charter opens the role to and every training the role requires, and
every grant and revoke states a reason. The founder becomes the first trial admin when
the trial is created, under the same rules. Everyone else joins by accepting an
invitation (``domain.workspace_invitations``): nobody becomes a member without consent.

This module holds the decisions and is the workspace's front door: the server imports
commands (``domain.workspace_commands``), the state, ``actor_in``, ``evolve`` and ``fold``
(``domain.workspace_state``), and ``decide`` from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import assert_never

from domain.charter import check_charter, check_site_oversight
from domain.errors import (
    AttesterMismatch,
    LastTrialAdmin,
    OrganizationAlreadyAdmitted,
    RoleAlreadyHeld,
    RoleNotHeld,
    RoleNotOpenToOrganization,
    SelfAttestedTraining,
    SeparationOfDuties,
    TrainingAttestationNotFound,
    TrainingDateInFuture,
    TrainingNotAttested,
    TrainingStillRequired,
    TrialAlreadyExists,
    TrialNotFound,
    require_text,
)
from domain.roles import Role
from domain.timestamps import date_text, latest_date_anywhere
from domain.workspace_commands import (
    AcceptInvitation,
    AdmitOrganization,
    AmendCharter,
    AttestTraining,
    CreateTrial,
    DeclineInvitation,
    GrantRole,
    InviteMember,
    RevokeRole,
    TrainingRecord,
    WithdrawInvitation,
    WithdrawTraining,
    WorkspaceCommand,
)
from domain.workspace_events import (
    CharterAmended,
    MemberAdded,
    OrganizationAdmitted,
    RoleGranted,
    RoleRevoked,
    TrainingAttestationWithdrawn,
    TrainingAttested,
    TrialCreated,
    WorkspaceEvent,
)
from domain.workspace_invitations import decide_invitation, invitee_actor, pending_for
from domain.workspace_state import (
    NEW_TRIAL,
    Invitation,
    InvitationStatus,
    Member,
    Organization,
    TrialState,
    actor_in,
    evolve,
    fold,
    member_of,
)


def decide(state: TrialState, command: WorkspaceCommand) -> list[WorkspaceEvent]:
    """The events ``command`` causes, or a DomainError naming the rule it breaks."""
    if isinstance(command, CreateTrial):
        return _create(state, command)
    if not state.exists:
        raise TrialNotFound("the trial does not exist yet")
    by = command.actor.user_id
    match command:
        case AdmitOrganization(organization_id=organization_id, name=name, kind=kind):
            require_text(organization_id, "an organization id")
            require_text(name, "the organization's name")
            if organization_id in state.organizations:
                raise OrganizationAlreadyAdmitted(f"organization {organization_id} is admitted")
            return [
                OrganizationAdmitted(
                    trial_id=state.trial_id,
                    organization_id=organization_id,
                    name=name,
                    kind=kind,
                    admitted_by=by,
                )
            ]
        case InviteMember() | WithdrawInvitation() | AcceptInvitation() | DeclineInvitation():
            return decide_invitation(state, command)
        case AttestTraining(user_id=user_id, training=training, attested_at=attested_at):
            member_of(state, user_id)
            if training.attested_by.strip() and training.attested_by != by:
                raise AttesterMismatch(
                    f"{by} attests this training; the record names {training.attested_by}"
                )
            attested = TrainingRecord(
                course=training.course, completed_on=training.completed_on, attested_by=by
            )
            return _attest(
                state, user_id, (attested,), latest_date_anywhere(attested_at, "attested_at")
            )
        case WithdrawTraining(user_id=user_id, course=course, reason=reason):
            return _withdraw_training(state, user_id, course, reason, by)
        case GrantRole(user_id=user_id, role=role, reason=reason):
            if user_id == by:
                raise SeparationOfDuties(f"{user_id} cannot grant a role to themself")
            return _grant(state, user_id, role, reason, by)
        case RevokeRole(user_id=user_id, role=role, reason=reason):
            return _revoke(state, user_id, role, reason, by)
        case AmendCharter(charter=charter, reason=reason):
            require_text(reason, "a reason for amending the charter")
            check_charter(charter)
            kinds = {o.organization_id: o.kind for o in state.organizations.values()}
            check_site_oversight(charter, kinds)
            return [
                CharterAmended(
                    trial_id=state.trial_id, charter=charter, reason=reason, amended_by=by
                )
            ]
        case _:
            assert_never(command)


def _create(state: TrialState, command: CreateTrial) -> list[WorkspaceEvent]:
    if state.exists:
        raise TrialAlreadyExists(f"trial {state.trial_id} already exists")
    require_text(command.trial_id, "a trial id")
    require_text(command.title, "the trial's title")
    require_text(command.organization_name, "the founding organization's name")
    check_charter(command.charter)
    founder = command.actor
    check_site_oversight(command.charter, {founder.organization_id: founder.organization_kind})
    events: list[WorkspaceEvent] = [
        TrialCreated(
            trial_id=command.trial_id,
            title=command.title,
            charter=command.charter,
            created_by=founder.user_id,
        ),
        OrganizationAdmitted(
            trial_id=command.trial_id,
            organization_id=founder.organization_id,
            name=command.organization_name,
            kind=founder.organization_kind,
            admitted_by=founder.user_id,
        ),
        MemberAdded(
            trial_id=command.trial_id,
            user_id=founder.user_id,
            printed_name=founder.printed_name,
            organization_id=founder.organization_id,
            added_by=founder.user_id,
        ),
    ]
    founded = fold(events, state)
    latest = latest_date_anywhere(command.founded_at, "founded_at")
    trainings = _attest(founded, founder.user_id, command.founder_training, latest)
    trained = fold(trainings, founded)
    reason = "founding administrator of the trial"
    grant = _grant(trained, founder.user_id, Role.TRIAL_ADMIN, reason, founder.user_id)
    return events + trainings + grant


def _attest(
    state: TrialState, user_id: str, trainings: Iterable[TrainingRecord], latest: date
) -> list[WorkspaceEvent]:
    """The attestations of ``user_id``'s ``trainings``: each names its attester, who is not
    the person trained, and none is dated after ``latest``."""
    events: list[WorkspaceEvent] = []
    for training in trainings:
        require_text(training.course, "the training course")
        require_text(training.attested_by, f"who attested {user_id}'s {training.course}")
        if training.attested_by == user_id:
            raise SelfAttestedTraining(
                f"{user_id} cannot attest their own training in {training.course}; another"
                " member (e.g. a trial admin) must attest it"
            )
        if training.completed_on > latest:
            raise TrainingDateInFuture(
                f"{training.course} completed on {date_text(training.completed_on)} lies in"
                f" the future (today is {date_text(latest)} at the latest)"
            )
        events.append(
            TrainingAttested(
                trial_id=state.trial_id,
                user_id=user_id,
                course=training.course,
                completed_on=date_text(training.completed_on),
                attested_by=training.attested_by,
            )
        )
    return events


def _withdraw_training(
    state: TrialState, user_id: str, course: str, reason: str, by: str
) -> list[WorkspaceEvent]:
    member = member_of(state, user_id)
    require_text(reason, f"a reason for withdrawing {user_id}'s {course or 'training'}")
    completed_on = member.training.get(course)
    if completed_on is None:
        raise TrainingAttestationNotFound(f"{user_id} has no attested training in {course!r}")
    needing = sorted(r.value for r in member.roles if course in state.charter.role_rule(r).training)
    if needing:
        raise TrainingStillRequired(
            f"{user_id} holds {', '.join(needing)}, which requires {course}: revoke"
            f" {' and '.join(needing)} first"
        )
    return [
        TrainingAttestationWithdrawn(
            trial_id=state.trial_id,
            user_id=user_id,
            course=course,
            completed_on=completed_on,
            reason=reason,
            withdrawn_by=by,
        )
    ]


def _grant(
    state: TrialState, user_id: str, role: Role, reason: str, by: str
) -> list[WorkspaceEvent]:
    member = member_of(state, user_id)
    require_text(reason, f"a reason for granting {role.value}")
    if role in member.roles:
        raise RoleAlreadyHeld(f"{user_id} already holds {role.value}")
    rule = state.charter.role_rule(role)
    kind = state.organizations[member.organization_id].kind
    if kind not in rule.organization_kinds:
        raise RoleNotOpenToOrganization(
            f"the charter does not open {role.value} to members of {kind.value} organizations"
        )
    missing = sorted(rule.training - member.training.keys())
    if missing:
        raise TrainingNotAttested(
            f"{user_id} needs attested training in {', '.join(missing)} to hold {role.value}"
        )
    return [
        RoleGranted(
            trial_id=state.trial_id, user_id=user_id, role=role, reason=reason, granted_by=by
        )
    ]


def _revoke(
    state: TrialState, user_id: str, role: Role, reason: str, by: str
) -> list[WorkspaceEvent]:
    member = member_of(state, user_id)
    require_text(reason, f"a reason for revoking {role.value}")
    if role not in member.roles:
        raise RoleNotHeld(f"{user_id} does not hold {role.value}")
    if role is Role.TRIAL_ADMIN and state.holders(role) == {user_id}:
        raise LastTrialAdmin(f"{user_id} is the trial's only trial admin; grant another first")
    return [
        RoleRevoked(
            trial_id=state.trial_id, user_id=user_id, role=role, reason=reason, revoked_by=by
        )
    ]


__all__ = [
    "NEW_TRIAL",
    "AcceptInvitation",
    "AdmitOrganization",
    "AmendCharter",
    "AttestTraining",
    "CreateTrial",
    "DeclineInvitation",
    "GrantRole",
    "Invitation",
    "InvitationStatus",
    "InviteMember",
    "Member",
    "Organization",
    "RevokeRole",
    "TrainingRecord",
    "TrialState",
    "WithdrawInvitation",
    "WithdrawTraining",
    "WorkspaceCommand",
    "actor_in",
    "decide",
    "evolve",
    "fold",
    "invitee_actor",
    "pending_for",
]
