"""What people ask of the trial workspace: admit, invite (and answer invitations), attest
and withdraw training, grant, revoke, amend the charter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.charter import DEFAULT_CHARTER, Charter
from domain.event import Command
from domain.roles import OrganizationKind, Role


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingRecord:
    """A course someone completed, when, and who attests it.

    ``attested_by`` is the user id of the person vouching for the record: never the person
    trained. Founding a trial requires it (the server copies the founder's system-level
    attestations, see ``domain.account_events.AttestedTraining``); when a member attests
    someone's training in the trial the attester is the actor, and the field may stay
    blank (if given, it must name the actor)."""

    course: str
    completed_on: date
    attested_by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTrial(Command):
    """Create a trial; the actor's organization is admitted and the actor, trained as the
    charter requires for trial admins, becomes the first trial admin.

    Each of ``founder_training`` names who attested it (someone other than the founder) and
    no completion date is later than ``founded_at`` (the server's clock) allows."""

    trial_id: str
    title: str
    organization_name: str
    founder_training: tuple[TrainingRecord, ...]
    founded_at: datetime
    charter: Charter = DEFAULT_CHARTER


@dataclass(frozen=True, slots=True, kw_only=True)
class AdmitOrganization(Command):
    """Admit an organization of some kind to the trial."""

    organization_id: str
    name: str
    kind: OrganizationKind


@dataclass(frozen=True, slots=True, kw_only=True)
class InviteMember(Command):
    """Invite the person with account ``username`` to join for an admitted organization;
    they become a member only when they accept."""

    invitation_id: str
    username: str
    organization_id: str
    invited_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawInvitation(Command):
    """Withdraw a pending invitation (an optional reason says why)."""

    invitation_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptInvitation(Command):
    """The invitee accepts: they join the trial with their account's printed name.

    ``username`` is the actor's account's username, as the server authenticated it (the
    actor is not a member yet; see ``domain.workspace.invitee_actor``)."""

    invitation_id: str
    username: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclineInvitation(Command):
    """The invitee declines (an optional reason says why); ``username`` as for accepting."""

    invitation_id: str
    username: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AttestTraining(Command):
    """Record that a member completed a course (again, for a refresher).

    The actor attests it: never for themself, and never with a completion date later than
    ``attested_at`` (the server's clock) allows."""

    user_id: str
    training: TrainingRecord
    attested_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawTraining(Command):
    """Withdraw a mistaken attestation of a member's course, with a reason; refused while
    the member holds a role the charter ties to that course."""

    user_id: str
    course: str
    reason: str


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
    | InviteMember
    | WithdrawInvitation
    | AcceptInvitation
    | DeclineInvitation
    | AttestTraining
    | WithdrawTraining
    | GrantRole
    | RevokeRole
    | AmendCharter
)
