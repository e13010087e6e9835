"""System roles in the policy: folded from the accounts' own streams, decided by Casbin in
the ``@system`` domain, apart from every trial."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from domain.account_events import (
    AccountDisabled,
    SystemRole,
    SystemRoleGranted,
    SystemRoleRevoked,
    account_stream,
)
from domain.catalog import SchemaVersionMismatch, to_data
from domain.codec import DataDoesNotFit
from domain.roles import Role
from domain.workspace_events import RoleGranted
from events import RecordedEvent
from rbac import SYSTEM_DOMAIN, SYSTEM_PERMISSIONS, Action, Policy, SystemAction
from server.http.identifiers import ID_PATTERN

_positions = itertools.count(1)


def recorded(
    event: Any, *, stream: str | None = None, data: dict[str, Any] | None = None
) -> RecordedEvent:
    """The event as the log would hand it back (in the account's stream unless told)."""
    return RecordedEvent(
        position=next(_positions),
        stream_id=stream or account_stream(event.user_id),
        stream_version=1,
        type=event.event_type,
        schema_version=event.schema_version,
        data=data if data is not None else to_data(event),
        meta={},
        recorded_at=datetime(2026, 3, 2, tzinfo=UTC),
        prev_hash="",
        hash="",
    )


def granted(user: str, role: SystemRole) -> SystemRoleGranted:
    return SystemRoleGranted(user_id=user, role=role, reason="needed", granted_by="operator:root")


def revoked(user: str, role: SystemRole) -> SystemRoleRevoked:
    return SystemRoleRevoked(user_id=user, role=role, reason="left", revoked_by="u-admin")


def test_no_trial_id_can_be_the_system_domain() -> None:
    assert not ID_PATTERN.fullmatch(SYSTEM_DOMAIN)


def test_nobody_holds_a_system_role_in_an_empty_policy() -> None:
    policy = Policy()
    assert not any(policy.enforce_system("ada", action) for action in SystemAction)
    assert policy.system_roles_of("ada") == frozenset()


@pytest.mark.parametrize("role", list(SystemRole))
def test_each_system_role_may_attempt_exactly_its_actions(role: SystemRole) -> None:
    policy = Policy()
    assert policy.apply(recorded(granted("holder", role))) == (SYSTEM_DOMAIN, "holder")
    allowed = {action for action in SystemAction if policy.enforce_system("holder", action)}
    assert allowed == SYSTEM_PERMISSIONS[role]
    assert policy.system_roles_of("holder") == {role}
    assert not policy.enforce_system("someone-else", next(iter(allowed)))


@pytest.mark.parametrize("role", list(SystemRole))
def test_a_system_role_allows_nothing_in_any_trial(role: SystemRole) -> None:
    policy = Policy()
    policy.apply(recorded(granted("ada", role)))
    for trial in ("t1", SYSTEM_DOMAIN, "*"):
        assert not any(policy.enforce("ada", trial, action) for action in Action)
    assert policy.roles_of("ada", SYSTEM_DOMAIN) == frozenset()
    assert policy.members("t1") == frozenset()


@pytest.mark.parametrize("role", list(Role))
def test_a_trial_role_allows_nothing_outside_its_trial(role: Role) -> None:
    policy = Policy()
    policy.grant("t1", "ada", role)
    assert not any(policy.enforce_system("ada", action) for action in SystemAction)


def test_a_trial_role_event_naming_the_system_domain_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = Policy()
    event = RoleGranted(
        trial_id=SYSTEM_DOMAIN, user_id="mallory", role=Role.TRIAL_ADMIN, reason="x", granted_by="m"
    )
    with caplog.at_level(logging.WARNING, logger="rbac.policy"):
        assert policy.apply(recorded(event, stream=f"trial/{SYSTEM_DOMAIN}")) is None
    assert policy.grants == 0


def test_revoking_takes_back_only_that_system_role() -> None:
    policy = Policy()
    policy.apply(recorded(granted("ada", SystemRole.SYSTEM_ADMIN)))
    policy.apply(recorded(granted("ada", SystemRole.TRIAL_CREATOR)))
    assert policy.apply(recorded(revoked("ada", SystemRole.SYSTEM_ADMIN))) == (SYSTEM_DOMAIN, "ada")
    assert policy.apply(recorded(revoked("ada", SystemRole.SYSTEM_ADMIN))) is None
    assert policy.system_roles_of("ada") == {SystemRole.TRIAL_CREATOR}
    assert policy.enforce_system("ada", SystemAction.FOUND_TRIAL)
    assert not policy.enforce_system("ada", SystemAction.ADMINISTER_ACCOUNTS)


def test_who_can_lists_the_holders_casbin_allows() -> None:
    policy = Policy()
    policy.apply(recorded(granted("ada", SystemRole.SYSTEM_ADMIN)))
    policy.apply(recorded(granted("aud", SystemRole.ACCOUNT_AUDITOR)))
    policy.apply(recorded(granted("tc", SystemRole.TRIAL_CREATOR)))
    assert policy.who_can_system(SystemAction.READ_ACCOUNT_TRAILS) == {"ada", "aud"}
    assert policy.who_can_system(SystemAction.ADMINISTER_ACCOUNTS) == {"ada"}
    assert policy.who_can_system(SystemAction.FOUND_TRIAL) == {"tc"}


def test_only_the_accounts_own_stream_speaks_for_it(caplog: pytest.LogCaptureFixture) -> None:
    policy = Policy()
    with caplog.at_level(logging.WARNING, logger="rbac.policy"):
        for stream in (account_stream("mallory"), "trial/t1", "system/sign-ins"):
            assert (
                policy.apply(recorded(granted("ada", SystemRole.SYSTEM_ADMIN), stream=stream))
                is None
            )
    assert policy.system_roles_of("ada") == frozenset()
    assert "names account 'ada' but is in stream 'system/account/mallory'" in caplog.text


def test_other_account_events_leave_the_policy_as_it_is() -> None:
    policy = Policy()
    disabled = AccountDisabled(user_id="ada", reason="left", disabled_by="u-admin")
    assert policy.apply(recorded(disabled)) is None
    assert policy.grants == 0


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"role": "trial_admin"}, "'trial_admin' is not a SystemRole"),
        ({"role": None}, "is not a SystemRole"),
        ({"user_id": 7}, "must be text"),
    ],
)
def test_data_that_does_not_decode_stops_the_fold(change: dict[str, Any], error: str) -> None:
    event = revoked("ada", SystemRole.SYSTEM_ADMIN)
    with pytest.raises(DataDoesNotFit, match=error):
        Policy().apply(recorded(event, data=to_data(event) | change))


def test_another_schema_version_stops_the_fold() -> None:
    record = recorded(granted("ada", SystemRole.SYSTEM_ADMIN))._replace(schema_version=2)
    with pytest.raises(SchemaVersionMismatch, match="version 2"):
        Policy().apply(record)


def test_a_snapshot_keeps_the_system_roles_apart_from_the_trials() -> None:
    policy = Policy()
    policy.grant("t1", "ada", Role.TRIAL_ADMIN)
    policy.apply(recorded(granted("ada", SystemRole.SYSTEM_ADMIN)))
    policy.apply(recorded(granted("tc", SystemRole.TRIAL_CREATOR)))
    restored = Policy.restored(policy.snapshot().encode())
    assert restored.system_roles_of("ada") == {SystemRole.SYSTEM_ADMIN}
    assert restored.system_roles_of("tc") == {SystemRole.TRIAL_CREATOR}
    assert restored.roles_of("ada", "t1") == {Role.TRIAL_ADMIN}
    assert restored.enforce_system("tc", SystemAction.FOUND_TRIAL)
    assert restored.grants == 3


@pytest.mark.parametrize(
    "data",
    [
        b'{"@system":{"ada":["trial_admin"]}}',
        b'{"t1":{"ada":["system_admin"]}}',
    ],
    ids=["a trial role held system-wide", "a system role held in a trial"],
)
def test_a_snapshot_with_roles_in_the_wrong_domain_is_refused(data: bytes) -> None:
    with pytest.raises((ValueError, msgspec.DecodeError)):
        Policy.restored(data)
