"""What people ask of the trial workspace: admit, add, train, grant, revoke, amend the charter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.charter import DEFAULT_CHARTER, Charter
from domain.event import Command
from domain.roles import OrganizationKind, Role


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
