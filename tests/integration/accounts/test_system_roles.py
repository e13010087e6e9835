"""System roles and system-level training as the command line and the administration API
record them: each change one event of the account's stream, refused with a message for
people (and nothing recorded) when it makes no sense. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.account_events import SystemRole
from events import EventStore
from server.accounts.account_log import AccountLog, operator_actor
from server.accounts.account_training import (
    AccountTraining,
    CompletionInFuture,
    NoSuchAttestation,
    SelfAttestation,
    TrainingRefused,
    founder_training,
)
from server.accounts.system_roles import (
    AccountIsDisabled,
    LastSystemAdmin,
    ReasonRequired,
    SystemRoleAlreadyHeld,
    SystemRoleNotHeld,
    SystemRoles,
    UnknownAccount,
)
from server.accounts.users import Accounts, User

from .conftest import FakeClock

OPERATOR = {"actor": operator_actor("root"), "via": "cli"}


@pytest.fixture
def log(store: EventStore) -> AccountLog:
    return AccountLog(store)


@pytest.fixture
def roles(log: AccountLog, accounts: Accounts) -> SystemRoles:
    return SystemRoles(log, accounts)


@pytest.fixture
def training(log: AccountLog, accounts: Accounts, clock: FakeClock) -> AccountTraining:
    return AccountTraining(log, accounts, clock=clock)


@pytest.fixture
async def bob(accounts: Accounts) -> User:
    return await accounts.create_user("bob", "Bob Stone", "bobs own password")


async def test_a_grant_and_a_revoke_are_events_of_the_accounts_stream(
    roles: SystemRoles, log: AccountLog, alice: User
) -> None:
    await roles.grant(alice.user_id, SystemRole.TRIAL_CREATOR, reason="founds", meta=OPERATOR)
    assert await roles.held(alice.user_id) == {SystemRole.TRIAL_CREATOR}
    await roles.revoke(alice.user_id, SystemRole.TRIAL_CREATOR, reason="done", meta=OPERATOR)
    assert await roles.held(alice.user_id) == frozenset()
    trail = await log.trail(alice.user_id)
    assert [(e.type, e.data["role"], e.data["reason"]) for e in trail] == [
        ("SystemRoleGranted", "trial_creator", "founds"),
        ("SystemRoleRevoked", "trial_creator", "done"),
    ]
    assert trail[0].data["granted_by"] == "operator:root"
    assert trail[0].meta["via"] == "cli"


async def test_changes_that_make_no_sense_are_refused_and_record_nothing(
    roles: SystemRoles, store: EventStore, accounts: Accounts, alice: User, bob: User
) -> None:
    admin = SystemRole.SYSTEM_ADMIN
    await roles.grant(alice.user_id, admin, reason="runs it", meta=OPERATOR)
    head = await store.head_position()
    with pytest.raises(UnknownAccount, match="there is no account 'u-nobody'"):
        await roles.grant("u-nobody", admin, reason="x", meta=OPERATOR)
    with pytest.raises(SystemRoleAlreadyHeld, match="'alice' already holds system_admin"):
        await roles.grant(alice.user_id, admin, reason="again", meta=OPERATOR)
    with pytest.raises(SystemRoleNotHeld, match="'bob' does not hold account_auditor"):
        await roles.revoke(bob.user_id, SystemRole.ACCOUNT_AUDITOR, reason="x", meta=OPERATOR)
    with pytest.raises(ReasonRequired, match="reason must not be empty"):
        await roles.grant(bob.user_id, admin, reason="  ", meta=OPERATOR)
    with pytest.raises(LastSystemAdmin, match="grant system_admin to someone else first"):
        await roles.revoke(alice.user_id, admin, reason="leaving", meta=OPERATOR)
    await accounts.disable(bob.user_id, reason="left")
    with pytest.raises(AccountIsDisabled, match="enable it before granting"):
        await roles.grant(bob.user_id, admin, reason="x", meta=OPERATOR)
    assert await store.head_position() == head


async def test_the_last_enabled_system_admin_may_go_once_another_holds_it(
    roles: SystemRoles, accounts: Accounts, alice: User, bob: User
) -> None:
    admin = SystemRole.SYSTEM_ADMIN
    await roles.grant(alice.user_id, admin, reason="runs it", meta=OPERATOR)
    await roles.grant(bob.user_id, admin, reason="deputy", meta=OPERATOR)
    await accounts.disable(bob.user_id, reason="on leave")
    with pytest.raises(LastSystemAdmin):  # a disabled holder administers nothing
        await roles.revoke(alice.user_id, admin, reason="leaving", meta=OPERATOR)
    await accounts.enable(bob.user_id, reason="back")
    await roles.revoke(alice.user_id, admin, reason="leaving", meta=OPERATOR)
    assert await roles.held(alice.user_id) == frozenset()


async def test_training_is_attested_by_someone_else_and_never_in_the_future(
    training: AccountTraining, log: AccountLog, store: EventStore, alice: User, clock: FakeClock
) -> None:
    today = clock.now.date()
    head = await store.head_position()
    with pytest.raises(SelfAttestation, match="your own training"):
        await training.attest(alice.user_id, "GCP", today, meta={"actor": alice.user_id})
    with pytest.raises(CompletionInFuture, match="lies in the future"):
        await training.attest(alice.user_id, "GCP", today + timedelta(days=2), meta=OPERATOR)
    with pytest.raises(TrainingRefused, match="course must not be empty"):
        await training.attest(alice.user_id, " ", today, meta=OPERATOR)
    with pytest.raises(UnknownAccount):
        await training.attest("u-nobody", "GCP", today, meta=OPERATOR)
    with pytest.raises(NoSuchAttestation):
        await training.withdraw(alice.user_id, "GCP", reason="mistaken", meta=OPERATOR)
    assert await store.head_position() == head

    # At noon UTC, tomorrow is already today on the Line Islands (UTC+14): not refused.
    clock.advance(hours=3)
    await training.attest(alice.user_id, "GCP", today + timedelta(days=1), meta=OPERATOR)
    await training.attest(alice.user_id, "Ethics", date(2025, 3, 1), meta=OPERATOR)
    account = await log.state(alice.user_id)
    brought = {(t.course, t.attested_by) for t in founder_training(alice.user_id, account)}
    assert brought == {("GCP", "operator:root"), ("Ethics", "operator:root")}
    await training.withdraw(alice.user_id, "GCP", reason="wrong person", meta=OPERATOR)
    account = await log.state(alice.user_id)
    assert [t.course for t in founder_training(alice.user_id, account)] == ["Ethics"]
