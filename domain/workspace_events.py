"""What happens in a trial workspace: the events of its stream (one stream per trial)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.charter import Charter
from domain.event import Event
from domain.roles import OrganizationKind, Role


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialCreated(Event):
    trial_id: str
    title: str
    charter: Charter
    created_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationAdmitted(Event):
    trial_id: str
    organization_id: str
    name: str
    kind: OrganizationKind
    admitted_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberAdded(Event):
    trial_id: str
    user_id: str
    printed_name: str
    organization_id: str
    added_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingAttested(Event):
    trial_id: str
    user_id: str
    course: str
    completed_on: str
    attested_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleGranted(Event):
    trial_id: str
    user_id: str
    role: Role
    reason: str
    granted_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleRevoked(Event):
    trial_id: str
    user_id: str
    role: Role
    reason: str
    revoked_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CharterAmended(Event):
    trial_id: str
    charter: Charter
    reason: str
    amended_by: str


WorkspaceEvent = (
    TrialCreated
    | OrganizationAdmitted
    | MemberAdded
    | TrainingAttested
    | RoleGranted
    | RoleRevoked
    | CharterAmended
)
