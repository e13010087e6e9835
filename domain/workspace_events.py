"""What happens in a trial workspace: the events of its stream (one stream per trial)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.charter import Charter
from domain.event import Event
from domain.roles import OrganizationKind, Role


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialCreated(Event):
    """A trial was created with its governance charter."""

    trial_id: str
    title: str
    charter: Charter
    created_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationAdmitted(Event):
    """An organization of some kind joined the trial."""

    trial_id: str
    organization_id: str
    name: str
    kind: OrganizationKind
    admitted_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberAdded(Event):
    """A person from an admitted organization joined the trial: the founder when the trial
    is created, anyone else when they accept an invitation (``added_by`` is who invited
    them). Older logs hold ones an admin added directly, before invitations existed."""

    trial_id: str
    user_id: str
    printed_name: str
    organization_id: str
    added_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberInvited(Event):
    """The person with account ``username`` was invited to join for an admitted
    organization; nothing about their account is known to the trial until they answer."""

    trial_id: str
    invitation_id: str
    username: str
    organization_id: str
    invited_by: str
    invited_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationWithdrawn(Event):
    """A pending invitation was withdrawn; ``reason`` may say why."""

    trial_id: str
    invitation_id: str
    reason: str
    withdrawn_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationAccepted(Event):
    """The invitee accepted; ``MemberAdded`` follows in the same decision."""

    trial_id: str
    invitation_id: str
    user_id: str
    printed_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationDeclined(Event):
    """The invitee declined; ``reason`` may say why."""

    trial_id: str
    invitation_id: str
    user_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingAttested(Event):
    """A member completed a course on ``completed_on``; ``attested_by`` vouches for it
    (at founding: whoever attested the founder's training at system level; older logs hold
    founders' own attestations, from before that rule)."""

    trial_id: str
    user_id: str
    course: str
    completed_on: str
    attested_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingAttestationWithdrawn(Event):
    """The attestation of a member's course was withdrawn as mistaken; ``reason`` says why
    and ``completed_on`` is the date the withdrawn attestation gave. The attestation stays
    in the log; the member no longer counts as trained in the course."""

    trial_id: str
    user_id: str
    course: str
    completed_on: str
    reason: str
    withdrawn_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleGranted(Event):
    """A member received a role; ``reason`` says why."""

    trial_id: str
    user_id: str
    role: Role
    reason: str
    granted_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleRevoked(Event):
    """A member lost a role; ``reason`` says why."""

    trial_id: str
    user_id: str
    role: Role
    reason: str
    revoked_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CharterAmended(Event):
    """The governance charter was replaced; ``reason`` says why."""

    trial_id: str
    charter: Charter
    reason: str
    amended_by: str


WorkspaceEvent = (
    TrialCreated
    | OrganizationAdmitted
    | MemberAdded
    | MemberInvited
    | InvitationWithdrawn
    | InvitationAccepted
    | InvitationDeclined
    | TrainingAttested
    | TrainingAttestationWithdrawn
    | RoleGranted
    | RoleRevoked
    | CharterAmended
)
