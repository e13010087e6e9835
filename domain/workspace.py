"""The trial workspace: organizations, members, training, roles and the charter.

One stream per trial. Role grants are the sources of ``rbac``'s policy: a grant needs
an organization the charter opens the role to and every training the role requires, and
every grant and revoke states a reason. The founder becomes the first trial admin when
the trial is created, under the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import assert_never

from domain.actor import Actor
from domain.charter import DEFAULT_CHARTER, Charter, check_charter
from domain.errors import (
    LastTrialAdmin,
    MemberAlreadyAdded,
    MemberNotFound,
    OrganizationAlreadyAdmitted,
    OrganizationNotFound,
    RoleAlreadyHeld,
    RoleNotHeld,
    RoleNotOpenToOrganization,
    SeparationOfDuties,
    TrainingNotAttested,
    TrialAlreadyExists,
    TrialNotFound,
    require_text,
)
from domain.event import Command, fold_events, ignore_unknown
from domain.frozen import frozen_map, with_entry
from domain.roles import OrganizationKind, Role
from domain.timestamps import date_text
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

# -- commands ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingRecord:
    """A course someone completed, and when."""

    course: str
    completed_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTrial(Command):
    """Create a trial; the actor's organization is admitted and the actor, trained as the
    charter requires for trial admins, becomes the first trial admin."""

    trial_id: str
    title: str
    organization_name: str
    founder_training: tuple[TrainingRecord, ...]
    charter: Charter = DEFAULT_CHARTER


@dataclass(frozen=True, slots=True, kw_only=True)
class AdmitOrganization(Command):
    """Admit an organization of some kind to the trial."""

    organization_id: str
    name: str
    kind: OrganizationKind


@dataclass(frozen=True, slots=True, kw_only=True)
class AddMember(Command):
    """Add a person from an admitted organization."""

    user_id: str
    printed_name: str
    organization_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AttestTraining(Command):
    """Record that a member completed a course (again, for a refresher)."""

    user_id: str
    training: TrainingRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantRole(Command):
    """Grant a role, with a reason; needs the role's organization kind and training."""

    user_id: str
    role: Role
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokeRole(Command):
    """Revoke a role, with a reason; the last trial admin keeps theirs."""

    user_id: str
    role: Role
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendCharter(Command):
    """Replace the governance charter, with a reason."""

    charter: Charter
    reason: str


WorkspaceCommand = (
    CreateTrial
    | AdmitOrganization
    | AddMember
    | AttestTraining
    | GrantRole
    | RevokeRole
    | AmendCharter
)

# -- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Organization:
    """An organization admitted to the trial."""

    organization_id: str
    name: str
    kind: OrganizationKind


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """A person in the trial, with their training and roles."""

    user_id: str
    printed_name: str
    organization_id: str
    training: Mapping[str, str] = field(default_factory=frozen_map)
    """Course -> date of the latest attested completion."""
    roles: frozenset[Role] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialState:
    """The workspace as of some position in its stream."""

    trial_id: str = ""
    title: str = ""
    charter: Charter = DEFAULT_CHARTER
    organizations: Mapping[str, Organization] = field(default_factory=frozen_map)
    members: Mapping[str, Member] = field(default_factory=frozen_map)

    @property
    def exists(self) -> bool:
        return bool(self.trial_id)

    def holders(self, role: Role) -> frozenset[str]:
        """The user ids of the members who hold ``role``."""
        return frozenset(m.user_id for m in self.members.values() if role in m.roles)


NEW_TRIAL = TrialState()
"""The state before the trial's first event."""


def actor_in(state: TrialState, user_id: str) -> Actor:
    """The member ``user_id`` as the actor of a command, with the roles they hold now."""
    member = _member(state, user_id)
    organization = state.organizations[member.organization_id]
    return Actor(
        user_id=member.user_id,
        printed_name=member.printed_name,
        organization_id=organization.organization_id,
        organization_kind=organization.kind,
        roles=member.roles,
    )


# -- decide -----------------------------------------------------------------------------


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
        case AddMember(user_id=user_id, printed_name=printed_name, organization_id=org_id):
            require_text(user_id, "a user id")
            require_text(printed_name, "the member's printed name")
            if org_id not in state.organizations:
                raise OrganizationNotFound(f"organization {org_id} is not admitted to the trial")
            if user_id in state.members:
                raise MemberAlreadyAdded(f"{user_id} is already a member of the trial")
            return [
                MemberAdded(
                    trial_id=state.trial_id,
                    user_id=user_id,
                    printed_name=printed_name,
                    organization_id=org_id,
                    added_by=by,
                )
            ]
        case AttestTraining(user_id=user_id, training=training):
            _member(state, user_id)
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
    member = _member(state, user_id)
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
    member = _member(state, user_id)
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


def _member(state: TrialState, user_id: str) -> Member:
    member = state.members.get(user_id)
    if member is None:
        raise MemberNotFound(f"{user_id} is not a member of the trial")
    return member


# -- evolve -----------------------------------------------------------------------------


def evolve(state: TrialState, event: WorkspaceEvent) -> TrialState:
    """The workspace after ``event``; never fails."""
    match event:
        case TrialCreated(trial_id=trial_id, title=title, charter=charter):
            return replace(state, trial_id=trial_id, title=title, charter=charter)
        case OrganizationAdmitted(organization_id=organization_id, name=name, kind=kind):
            organization = Organization(organization_id=organization_id, name=name, kind=kind)
            organizations = with_entry(state.organizations, organization_id, organization)
            return replace(state, organizations=organizations)
        case MemberAdded(user_id=user_id, printed_name=printed_name, organization_id=org_id):
            member = Member(user_id=user_id, printed_name=printed_name, organization_id=org_id)
            return replace(state, members=with_entry(state.members, user_id, member))
        case TrainingAttested(user_id=user_id, course=course, completed_on=completed_on):
            return _update_member(
                state,
                user_id,
                lambda m: replace(m, training=with_entry(m.training, course, completed_on)),
            )
        case RoleGranted(user_id=user_id, role=role):
            return _update_member(state, user_id, lambda m: replace(m, roles=m.roles | {role}))
        case RoleRevoked(user_id=user_id, role=role):
            return _update_member(state, user_id, lambda m: replace(m, roles=m.roles - {role}))
        case CharterAmended(charter=charter):
            return replace(state, charter=charter)
        case _:
            return ignore_unknown(state, event)


def _update_member(
    state: TrialState, user_id: str, change: Callable[[Member], Member]
) -> TrialState:
    member = state.members.get(user_id)
    if member is None:
        return state
    return replace(state, members=with_entry(state.members, user_id, change(member)))


def fold(events: Iterable[WorkspaceEvent], state: TrialState = NEW_TRIAL) -> TrialState:
    """The workspace after ``events``, starting from ``state``."""
    return fold_events(evolve, state, events)
