"""The trial workspace as the fold of its events: organizations, members, invitations and
the charter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from domain.actor import Actor
from domain.charter import DEFAULT_CHARTER, Charter
from domain.errors import MemberNotFound
from domain.event import fold_events, ignore_unknown
from domain.frozen import frozen_map, with_entry, without_entry
from domain.roles import OrganizationKind, Role
from domain.workspace_events import (
    CharterAmended,
    InvitationAccepted,
    InvitationDeclined,
    InvitationWithdrawn,
    MemberAdded,
    MemberInvited,
    OrganizationAdmitted,
    RoleGranted,
    RoleRevoked,
    TrainingAttestationWithdrawn,
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
    """Course -> date of the latest attested completion (a withdrawn attestation no longer
    counts: its course is gone until attested again)."""
    roles: frozenset[Role] = frozenset()


class InvitationStatus(StrEnum):
    """Where an invitation stands: pending until the invitee answers or an admin withdraws it."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True, kw_only=True)
class Invitation:
    """An invitation to join the trial for an admitted organization, addressed to an
    account by its username."""

    invitation_id: str
    username: str
    organization_id: str
    invited_by: str
    invited_at: str
    status: InvitationStatus = InvitationStatus.PENDING
    answered_by: str | None = None
    """The user id of the account that accepted or declined."""
    reason: str = ""
    """Why it was declined or withdrawn, when a reason was given."""

    @property
    def pending(self) -> bool:
        return self.status is InvitationStatus.PENDING


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialState:
    """The workspace as of some position in its stream."""

    trial_id: str = ""
    title: str = ""
    charter: Charter = DEFAULT_CHARTER
    organizations: Mapping[str, Organization] = field(default_factory=frozen_map)
    members: Mapping[str, Member] = field(default_factory=frozen_map)
    invitations: Mapping[str, Invitation] = field(default_factory=frozen_map)

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
        case MemberInvited():
            invitation = Invitation(
                invitation_id=event.invitation_id,
                username=event.username,
                organization_id=event.organization_id,
                invited_by=event.invited_by,
                invited_at=event.invited_at,
            )
            return _with_invitation(state, invitation)
        case InvitationAccepted(invitation_id=invitation_id, user_id=user_id):
            return _answer(state, invitation_id, InvitationStatus.ACCEPTED, user_id, "")
        case InvitationDeclined(invitation_id=invitation_id, user_id=user_id, reason=reason):
            return _answer(state, invitation_id, InvitationStatus.DECLINED, user_id, reason)
        case InvitationWithdrawn(invitation_id=invitation_id, reason=reason):
            return _answer(state, invitation_id, InvitationStatus.WITHDRAWN, None, reason)
        case TrainingAttested(user_id=user_id, course=course, completed_on=completed_on):
            return _update_member(
                state,
                user_id,
                lambda m: replace(m, training=with_entry(m.training, course, completed_on)),
            )
        case TrainingAttestationWithdrawn(user_id=user_id, course=course):
            return _update_member(
                state, user_id, lambda m: replace(m, training=without_entry(m.training, course))
            )
        case RoleGranted(user_id=user_id, role=role):
            return _update_member(state, user_id, lambda m: replace(m, roles=m.roles | {role}))
        case RoleRevoked(user_id=user_id, role=role):
            return _update_member(state, user_id, lambda m: replace(m, roles=m.roles - {role}))
        case CharterAmended(charter=charter):
            return replace(state, charter=charter)
        case _:
            return ignore_unknown(state, event)


def _with_invitation(state: TrialState, invitation: Invitation) -> TrialState:
    invitations = with_entry(state.invitations, invitation.invitation_id, invitation)
    return replace(state, invitations=invitations)


def _answer(
    state: TrialState,
    invitation_id: str,
    status: InvitationStatus,
    answered_by: str | None,
    reason: str,
) -> TrialState:
    invitation = state.invitations.get(invitation_id)
    if invitation is None:
        return state
    answered = replace(invitation, status=status, answered_by=answered_by, reason=reason)
    return _with_invitation(state, answered)


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
