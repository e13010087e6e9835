"""The trial workspace as the fold of its events: organizations, members and the charter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from domain.actor import Actor
from domain.charter import DEFAULT_CHARTER, Charter
from domain.errors import MemberNotFound
from domain.event import fold_events, ignore_unknown
from domain.frozen import frozen_map, with_entry
from domain.roles import OrganizationKind, Role
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
    member = member_of(state, user_id)
    organization = state.organizations[member.organization_id]
    return Actor(
        user_id=member.user_id,
        printed_name=member.printed_name,
        organization_id=organization.organization_id,
        organization_kind=organization.kind,
        roles=member.roles,
    )


def member_of(state: TrialState, user_id: str) -> Member:
    """The member ``user_id``, or MemberNotFound."""
    member = state.members.get(user_id)
    if member is None:
        raise MemberNotFound(f"{user_id} is not a member of the trial")
    return member


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
