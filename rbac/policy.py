"""The policy as a fold of role events: Casbin's enforcer plus the grants seen so far.

A :class:`Policy` does no I/O. The live :class:`rbac.Authorizer` feeds it the log as it
grows; :func:`rbac.who_can` feeds a fresh one the log up to a past position. Either way
the only input is RoleGranted / RoleRevoked events (and SystemRoleGranted /
SystemRoleRevoked for the system roles), so the policy is never a second source of truth
that could drift from the log. Its :meth:`Policy.snapshot` is the grants
folded up to some position, which :meth:`Policy.restored` reads back (the Authorizer
starts from one and folds the role events after it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec

from domain.account_events import (
    SystemRole,
    SystemRoleGranted,
    SystemRoleRevoked,
    account_stream,
)
from domain.catalog import SchemaVersionMismatch
from domain.codec import DataDoesNotFit
from domain.roles import Role
from domain.streams import trial_stream
from domain.workspace_events import RoleGranted, RoleRevoked
from events import RecordedEvent
from rbac.actions import SYSTEM_DOMAIN, Action, SystemAction
from rbac.model import TrialRoles, new_enforcer

logger = logging.getLogger(__name__)

ROLE_EVENT_TYPES: tuple[str, ...] = (RoleGranted.event_type, RoleRevoked.event_type)
"""The trial role events (each names a trial)."""

SYSTEM_ROLE_EVENT_TYPES: tuple[str, ...] = (
    SystemRoleGranted.event_type,
    SystemRoleRevoked.event_type,
)
"""The system role events (each in the stream of the account it names)."""

POLICY_EVENT_TYPES: tuple[str, ...] = ROLE_EVENT_TYPES + SYSTEM_ROLE_EVENT_TYPES
"""The event types the policy folds; every other event leaves it as it is."""

_ACTIONS = frozenset(action.value for action in Action)
_SYSTEM_ACTIONS = frozenset(action.value for action in SystemAction)
_SCHEMA_VERSIONS = {
    cls.event_type: cls.schema_version
    for cls in (RoleGranted, RoleRevoked, SystemRoleGranted, SystemRoleRevoked)
}
_ROLES = {role.value: role for role in Role}
_SYSTEM_ROLES = {role.value: role for role in SystemRole}

SNAPSHOT_VERSION = 2
"""The format of :meth:`Policy.snapshot`: JSON, trial id -> user id -> the roles held,
the system roles under :data:`rbac.actions.SYSTEM_DOMAIN` (version 1 had no system
roles: such snapshots are ignored, the log read from the start)."""

_Grants = dict[str, dict[str, tuple[str, ...]]]

ENCODE_SLICE = 500
"""Trials a snapshot encodes in one call (about 2 ms at 50 members each): between two,
a thread encoding one lets the event loop's thread have the interpreter."""


def _check_version(event: RecordedEvent) -> None:
    expected = _SCHEMA_VERSIONS[event.type]
    if event.schema_version != expected:
        raise SchemaVersionMismatch(
            f"{event.type} data is version {event.schema_version}; the policy reads version"
            f" {expected}"
        )


def read_role_change(event: RecordedEvent) -> tuple[str, str, Role]:
    """The ``(trial_id, user_id, role)`` a RoleGranted or RoleRevoked names.

    Reads only the three fields the policy needs, with the checks ``domain.catalog.from_data``
    makes of them (schema version, text, a known role): decoding the whole event through
    the domain's codec costs about ten times more, which would be most of the time to load
    half a million grants.
    """
    _check_version(event)
    data = event.data
    trial_id, user_id, role = data.get("trial_id"), data.get("user_id"), data.get("role")
    if not isinstance(trial_id, str) or not isinstance(user_id, str):
        raise DataDoesNotFit(
            f"{event.type}: trial_id and user_id must be text, got {trial_id!r} and {user_id!r}"
        )
    known = _ROLES.get(role) if isinstance(role, str) else None
    if known is None:
        raise DataDoesNotFit(f"{event.type}.role: {role!r} is not a Role")
    return trial_id, user_id, known


def read_system_role_change(event: RecordedEvent) -> tuple[str, SystemRole]:
    """The ``(user_id, role)`` a SystemRoleGranted or SystemRoleRevoked names (the two
    fields the policy needs, checked as :func:`read_role_change` checks its three)."""
    _check_version(event)
    user_id, role = event.data.get("user_id"), event.data.get("role")
    if not isinstance(user_id, str):
        raise DataDoesNotFit(f"{event.type}: user_id must be text, got {user_id!r}")
    known = _SYSTEM_ROLES.get(role) if isinstance(role, str) else None
    if known is None:
        raise DataDoesNotFit(f"{event.type}.role: {role!r} is not a SystemRole")
    return user_id, known


class Policy:
    """Who holds which role in which trial, and Casbin deciding what that allows."""

    def __init__(self) -> None:
        self._roles = TrialRoles()
        self._enforcer: Any = new_enforcer(self._roles)
        self._enforce = self._enforcer.enforce

    @classmethod
    def restored(cls, snapshot: bytes) -> Policy:
        """The policy a :meth:`snapshot` was taken of. ValueError (or msgspec's
        DecodeError) if the bytes are not one: not that JSON, an unknown role, a role
        held twice."""
        trials = msgspec.json.decode(snapshot, type=_Grants)
        for domain, members in trials.items():
            known = _SYSTEM_ROLES if domain == SYSTEM_DOMAIN else _ROLES
            held = {role for roles in members.values() for role in roles}
            unknown = held - known.keys()
            if unknown:
                raise ValueError(f"unknown roles {sorted(unknown)} in {domain!r}")
        policy = cls()
        policy._roles.load(trials)
        return policy

    def snapshot(self) -> PolicySnapshot:
        """The grants in force now, to encode later in any thread (later grants and
        revokes do not change it; taking it costs one entry per trial)."""
        return PolicySnapshot(self._roles.frozen())

    @property
    def grants(self) -> int:
        """How many (user, role, trial) grants are in force (the ``g`` lines), system
        roles included."""
        return self._roles.links

    def apply(self, event: RecordedEvent) -> tuple[str, str] | None:
        """Fold one event of the log. Returns ``(trial_id, user_id)`` when that member's
        roles changed (``(SYSTEM_DOMAIN, user_id)`` for their system roles), None otherwise
        (another type of event, a grant already in force, a revoke of a role not held).

        Only the trial's own stream ``trial/{trial_id}`` speaks for it: a role event whose
        data names another trial than its stream is ignored, as the workspace ignores it.
        Likewise only the account's own stream ``system/account/{user_id}`` speaks for its
        system roles. Data that does not decode (unknown role, unexpected schema version)
        raises: the policy must not skip a revoke it cannot read.
        """
        if event.type in SYSTEM_ROLE_EVENT_TYPES:
            return self._apply_system(event)
        if event.type not in ROLE_EVENT_TYPES:
            return None
        trial_id, user_id, role = read_role_change(event)
        if event.stream_id != trial_stream(trial_id) or trial_id == SYSTEM_DOMAIN:
            logger.warning(
                "ignoring %s at position %d: it names trial %r but is in stream %r",
                event.type, event.position, trial_id, event.stream_id,
            )  # fmt: skip
            return None
        if event.type == RoleGranted.event_type:
            changed = self.grant(trial_id, user_id, role)
        else:
            changed = self.revoke(trial_id, user_id, role)
        return (trial_id, user_id) if changed else None

    def _apply_system(self, event: RecordedEvent) -> tuple[str, str] | None:
        user_id, role = read_system_role_change(event)
        if event.stream_id != account_stream(user_id):
            logger.warning(
                "ignoring %s at position %d: it names account %r but is in stream %r",
                event.type, event.position, user_id, event.stream_id,
            )  # fmt: skip
            return None
        if event.type == SystemRoleGranted.event_type:
            changed = self.grant_system(user_id, role)
        else:
            changed = self.revoke_system(user_id, role)
        return (SYSTEM_DOMAIN, user_id) if changed else None

    def grant(self, trial_id: str, user_id: str, role: Role) -> bool:
        """Add the line ``g, user_id, role, trial_id``; False if it was already there."""
        if self._roles.has_link(user_id, role.value, trial_id):
            return False
        self._roles.add_link(user_id, role.value, trial_id)
        return True

    def revoke(self, trial_id: str, user_id: str, role: Role) -> bool:
        """Remove the line ``g, user_id, role, trial_id``; False if it was not there."""
        if not self._roles.has_link(user_id, role.value, trial_id):
            return False
        self._roles.delete_link(user_id, role.value, trial_id)
        return True

    def grant_system(self, user_id: str, role: SystemRole) -> bool:
        """Add the line ``g, user_id, role, @system``; False if it was already there."""
        if self._roles.has_link(user_id, role.value, SYSTEM_DOMAIN):
            return False
        self._roles.add_link(user_id, role.value, SYSTEM_DOMAIN)
        return True

    def revoke_system(self, user_id: str, role: SystemRole) -> bool:
        """Remove the line ``g, user_id, role, @system``; False if it was not there."""
        if not self._roles.has_link(user_id, role.value, SYSTEM_DOMAIN):
            return False
        self._roles.delete_link(user_id, role.value, SYSTEM_DOMAIN)
        return True

    def enforce(self, user_id: str, trial_id: str, action: Action) -> bool:
        """Casbin's decision: may ``user_id`` attempt ``action`` in ``trial_id``? Anything
        that is not an :class:`Action` is denied."""
        if action not in _ACTIONS:
            return False
        return self._enforce(user_id, trial_id, str(action)) is True

    def enforce_system(self, user_id: str, action: SystemAction) -> bool:
        """Casbin's decision: may ``user_id`` attempt ``action``, which concerns no trial?
        Anything that is not a :class:`SystemAction` is denied."""
        if action not in _SYSTEM_ACTIONS:
            return False
        return self._enforce(user_id, SYSTEM_DOMAIN, str(action)) is True

    def system_roles_of(self, user_id: str) -> frozenset[SystemRole]:
        """The system roles ``user_id`` holds."""
        return frozenset(SystemRole(role) for role in self._roles.roles(user_id, SYSTEM_DOMAIN))

    def who_can_system(self, action: SystemAction) -> frozenset[str]:
        """The users Casbin allows to attempt ``action`` (which concerns no trial)."""
        return frozenset(
            user for user in self._roles.members(SYSTEM_DOMAIN) if self.enforce_system(user, action)
        )

    def roles_of(self, user_id: str, trial_id: str) -> frozenset[Role]:
        """The roles ``user_id`` holds in ``trial_id`` (none in :data:`SYSTEM_DOMAIN`,
        which holds system roles: :meth:`system_roles_of`)."""
        if trial_id == SYSTEM_DOMAIN:
            return frozenset()
        return frozenset(Role(role) for role in self._roles.roles(user_id, trial_id))

    def members(self, trial_id: str) -> frozenset[str]:
        """Everyone holding at least one role in ``trial_id``."""
        return frozenset(self._roles.members(trial_id))

    def who_can(self, trial_id: str, action: Action) -> frozenset[str]:
        """The users Casbin allows to attempt ``action`` in ``trial_id``."""
        return frozenset(
            user for user in self._roles.members(trial_id) if self.enforce(user, trial_id, action)
        )


class PolicySnapshot:
    """The grants in force at one moment (:meth:`Policy.snapshot`)."""

    def __init__(self, grants: Mapping[str, Mapping[str, tuple[str, ...]]]) -> None:
        self._grants = grants

    def encode(self) -> bytes:
        """The grants as :meth:`Policy.restored` reads them (format
        :data:`SNAPSHOT_VERSION`), encoded :data:`ENCODE_SLICE` trials at a time."""
        trials = list(self._grants.items())
        slices = (
            msgspec.json.encode(dict(trials[start : start + ENCODE_SLICE]))[1:-1]
            for start in range(0, len(trials), ENCODE_SLICE)
        )
        return b"{" + b",".join(slices) + b"}"
