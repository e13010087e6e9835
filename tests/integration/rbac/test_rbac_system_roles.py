"""System roles in a real log (SQLite and PostgreSQL): recorded through the account log,
folded by the live authorizer at once, kept in its snapshots, replayed to past positions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.account_events import SystemRole, SystemRoleGranted, SystemRoleRevoked
from domain.roles import Role
from events import EventStore
from events.snapshots import ProjectionSnapshot, ProjectionSnapshots
from rbac import Action, Authorizer, SystemAction, system_policy_at, who_could_system
from rbac.authorizer import SNAPSHOT_NAME
from rbac.policy import SNAPSHOT_VERSION
from server.accounts.account_log import AccountLog, operator_actor
from server.database import create_engine_for
from tests.integration.rbac.conftest import RoleChange

META = {"actor": operator_actor("tests"), "via": "cli"}


async def give(log: AccountLog, user: str, role: SystemRole) -> int:
    event = SystemRoleGranted(user_id=user, role=role, reason="needed", granted_by="operator:t")
    return (await log.record(user, event, meta=META)).last_position


async def take(log: AccountLog, user: str, role: SystemRole) -> int:
    event = SystemRoleRevoked(user_id=user, role=role, reason="moved on", revoked_by="u-admin")
    return (await log.record(user, event, meta=META)).last_position


@pytest.fixture
def log(store: EventStore) -> AccountLog:
    return AccountLog(store)


async def test_catch_up_and_following_fold_the_system_roles(
    store: EventStore, log: AccountLog, grant: RoleChange
) -> None:
    await give(log, "ada", SystemRole.SYSTEM_ADMIN)
    await grant("t1", "ada", Role.AUDITOR)
    async with await Authorizer.start(store) as authorizer:
        assert authorizer.allows_system("ada", SystemAction.ADMINISTER_ACCOUNTS)
        assert authorizer.allows_system("ada", SystemAction.READ_ACCOUNT_TRAILS)
        assert not authorizer.allows_system("ada", SystemAction.FOUND_TRIAL)
        assert not authorizer.allows_system("tom", SystemAction.FOUND_TRIAL)  # cached: no
        assert authorizer.allows("ada", "t1", Action.AUDIT)
        assert not authorizer.allows("ada", "t1", Action.ADMINISTER)

        await authorizer.wait_for(await give(log, "tom", SystemRole.TRIAL_CREATOR))
        assert authorizer.allows_system("tom", SystemAction.FOUND_TRIAL)
        assert authorizer.system_roles_of("tom") == {SystemRole.TRIAL_CREATOR}

        await authorizer.wait_for(await take(log, "ada", SystemRole.SYSTEM_ADMIN))
        assert not authorizer.allows_system("ada", SystemAction.ADMINISTER_ACCOUNTS)
        assert authorizer.system_roles_of("ada") == frozenset()
        assert authorizer.allows("ada", "t1", Action.AUDIT)  # her trial role stays
        assert authorizer.who_can_system(SystemAction.FOUND_TRIAL) == {"tom"}


@pytest.fixture
async def engine(store: EventStore, url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(url)
    yield engine
    await engine.dispose()


async def test_a_snapshot_keeps_system_roles_and_one_of_the_old_format_is_ignored(
    store: EventStore, log: AccountLog, engine: AsyncEngine
) -> None:
    head = await give(log, "ada", SystemRole.SYSTEM_ADMIN)
    old = ProjectionSnapshots(engine, every=1)
    # A snapshot of the first format at the head, claiming a grant the log never made:
    # it cannot hold system roles, so it is passed over and the log folded instead.
    forged = b'{"t1":{"mallory":["trial_admin"]}}'
    await old.save(ProjectionSnapshot(SNAPSHOT_NAME, head, 1, forged))
    await old.close()
    snapshots = ProjectionSnapshots(engine, every=1)
    async with await Authorizer.start(store, snapshots=snapshots) as first:
        assert first.allows_system("ada", SystemAction.ADMINISTER_ACCOUNTS)
        assert not first.allows("mallory", "t1", Action.READ)
    await snapshots.close()
    saved = await snapshots.newest(SNAPSHOT_NAME, SNAPSHOT_VERSION)
    assert saved is not None
    assert b"@system" in saved.data

    again = ProjectionSnapshots(engine, every=1)
    async with await Authorizer.start(store, snapshots=again) as restarted:
        assert restarted.system_roles_of("ada") == {SystemRole.SYSTEM_ADMIN}
        assert restarted.allows_system("ada", SystemAction.READ_ACCOUNT_TRAILS)
    await again.close()


async def test_who_could_at_a_past_position(store: EventStore, log: AccountLog) -> None:
    first = await give(log, "ada", SystemRole.SYSTEM_ADMIN)
    second = await give(log, "aud", SystemRole.ACCOUNT_AUDITOR)
    third = await take(log, "ada", SystemRole.SYSTEM_ADMIN)
    trails = SystemAction.READ_ACCOUNT_TRAILS
    assert await who_could_system(store, trails, at=first - 1) == frozenset()
    assert await who_could_system(store, trails, at=first) == {"ada"}
    assert await who_could_system(store, trails, at=second) == {"ada", "aud"}
    assert await who_could_system(store, trails, at=third) == {"aud"}
    past = await system_policy_at(store, at=second)
    assert past.system_roles_of("ada") == {SystemRole.SYSTEM_ADMIN}
    with pytest.raises(ValueError, match="0 or more"):
        await system_policy_at(store, at=-1)
