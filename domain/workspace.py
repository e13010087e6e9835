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
from typing import assert_never

from domain.charter import check_charter
from domain.errors import (
    LastTrialAdmin,
    OrganizationAlreadyAdmitted,
    RoleAlreadyHeld,
    RoleNotHeld,
    RoleNotOpenToOrganization,
    SeparationOfDuties,
    TrainingNotAttested,
    TrialAlreadyExists,
    TrialNotFound,
    require_text,
)
from domain.roles import Role
from domain.timestamps import date_text
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
    WorkspaceCommand,
)
from domain.workspace_events import (
    CharterAmended,
    MemberAdded,
    OrganizationAdmitted,
    RoleGranted,
    RoleRevoked,
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
        case AttestTraining(user_id=user_id, training=training):
            member_of(state, user_id)
            return _attest(state, user_id, (training,), by)
        case GrantRole(user_id=user_id, role=role, reason=reason):
            if user_id == by:
                raise SeparationOfDuties(f"{user_id} cannot grant a role to themself")
            return _grant(state, user_id, role, reason, by)
        case RevokeRole(user_id=user_id, role=role, reason=reason):
            return _revoke(state, user_id, role, reason, by)
        case AmendCharter(charter=charter, reason=reason):
            require_text(reason, "a reason for amending the charter")
            check_charter(charter)
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
    trainings = _attest(founded, founder.user_id, command.founder_training, founder.user_id)
    trained = fold(trainings, founded)
    reason = "founding administrator of the trial"
    grant = _grant(trained, founder.user_id, Role.TRIAL_ADMIN, reason, founder.user_id)
    return events + trainings + grant


def _attest(
    state: TrialState, user_id: str, trainings: Iterable[TrainingRecord], by: str
) -> list[WorkspaceEvent]:
    events: list[WorkspaceEvent] = []
    for training in trainings:
        require_text(training.course, "the training course")
        events.append(
            TrainingAttested(
                trial_id=state.trial_id,
                user_id=user_id,
                course=training.course,
                completed_on=date_text(training.completed_on),
                attested_by=by,
            )
        )
    return events


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
    "WorkspaceCommand",
    "actor_in",
    "decide",
    "evolve",
    "fold",
    "invitee_actor",
    "pending_for",
]
