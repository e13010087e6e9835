"""The authorizer starts from a snapshot of the policy and reads only the role events
after it: it answers as one that folded the whole log, a role revoked after the snapshot
included; a snapshot that does not check out is ignored and the log is folded instead."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from itertools import product

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.roles import Role
from events import EventStore
from events.snapshots import ProjectionSnapshots, digest, projection_snapshots
from rbac import Action, Authorizer
from rbac.authorizer import SNAPSHOT_NAME
from rbac.policy import SNAPSHOT_VERSION
from server.database import create_engine_for
from tests.integration.rbac.conftest import RoleChange

GrantAll = Callable[[list[tuple[str, str, Role]]], Awaitable[int]]

TRIALS = ("t1", "t2", "t3")
USERS = ("ada", "bo", "cy", "di")
ACTIONS = (Action.READ, Action.EDIT_PROTOCOL, Action.ADMINISTER, Action.AUDIT)


@pytest.fixture
async def engine(store: EventStore, url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def snapshots(engine: AsyncEngine) -> AsyncIterator[ProjectionSnapshots]:
    snapshots = ProjectionSnapshots(engine, every=10)
    yield snapshots
    await snapshots.close()


@pytest.fixture
async def snapshotted(
    store: EventStore, snapshots: ProjectionSnapshots, grant_all: GrantAll
) -> int:
    """Twelve grants in the log, and the policy's snapshot at their head (saved by the
    first authorizer to catch up over them); the head."""
    head = await grant_all(
        [
            (trial, user, role)
            for trial in TRIALS
            for user, role in zip(
                USERS,
                (Role.TRIAL_ADMIN, Role.INVESTIGATOR, Role.SITE_STAFF, Role.AUDITOR),
                strict=True,
            )
        ]
    )
    async with await Authorizer.start(store, snapshots=snapshots):
        pass
    await snapshots.close()
    assert await snapshots.newest(SNAPSHOT_NAME, SNAPSHOT_VERSION) is not None
    return head


async def answers(authorizer: Authorizer) -> dict[tuple[str, str, Action], bool]:
    return {
        (user, trial, action): authorizer.allows(user, trial, action)
        for user, trial, action in product(USERS, TRIALS, ACTIONS)
    }


async def test_a_restart_from_the_snapshot_answers_as_the_whole_log_does(
    store: EventStore,
    snapshots: ProjectionSnapshots,
    snapshotted: int,
    grant: RoleChange,
    revoke: RoleChange,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await revoke("t1", "bo", Role.INVESTIGATOR)
    await revoke("t2", "ada", Role.TRIAL_ADMIN)
    await grant("t3", "cy", Role.TRIAL_ADMIN)

    with caplog.at_level(logging.INFO, logger="events.snapshots"):
        restarted = await Authorizer.start(store, snapshots=snapshots)
    async with restarted, await Authorizer.start(store) as folded:
        assert (
            f"starting from the authorization-policy snapshot at position {snapshotted}"
            in caplog.messages
        )
        assert await answers(restarted) == await answers(folded)
        # the revokes after the snapshot are honoured
        assert not restarted.allows("bo", "t1", Action.EDIT_PROTOCOL)
        assert restarted.roles_of("bo", "t1") == frozenset()
        assert not restarted.allows("ada", "t2", Action.ADMINISTER)
        assert restarted.allows("ada", "t1", Action.ADMINISTER)
        assert restarted.allows("cy", "t3", Action.ADMINISTER)
        assert restarted.grants == folded.grants == 12 - 2 + 1
        assert restarted.position == folded.position == snapshotted + 3


async def test_a_revoke_while_following_is_honoured_after_a_restart_from_a_later_snapshot(
    store: EventStore,
    snapshots: ProjectionSnapshots,
    snapshotted: int,
    grant: RoleChange,
    revoke: RoleChange,
) -> None:
    async with await Authorizer.start(store, snapshots=snapshots) as following:
        await revoke("t1", "ada", Role.TRIAL_ADMIN)
        for n in range(10):  # enough positions for the next snapshot, saved while following
            position = await grant("t1", f"new-{n}", Role.SITE_STAFF)
        await following.wait_for(position)
    await snapshots.close()
    newest = await snapshots.newest(SNAPSHOT_NAME, SNAPSHOT_VERSION)
    assert newest is not None
    assert newest.position > snapshotted + 1

    async with await Authorizer.start(store, snapshots=snapshots) as restarted:
        assert not restarted.allows("ada", "t1", Action.ADMINISTER)
        assert restarted.allows("new-9", "t1", Action.READ)


@pytest.mark.parametrize(
    "damage",
    [
        {"data": b'{"t1":{"mallory":["trial_admin"]}}'},
        {"schema_version": 99},
        {"log_hash": "f" * 64},
    ],
    ids=["bytes changed", "other schema version", "another log"],
)
async def test_a_damaged_snapshot_is_ignored_and_the_log_folded_instead(
    store: EventStore,
    engine: AsyncEngine,
    snapshots: ProjectionSnapshots,
    snapshotted: int,
    revoke: RoleChange,
    damage: dict[str, object],
) -> None:
    await revoke("t1", "bo", Role.INVESTIGATOR)
    async with engine.begin() as conn:
        await conn.execute(update(projection_snapshots).values(**damage))

    async with (
        await Authorizer.start(store, snapshots=snapshots) as restarted,
        await Authorizer.start(store) as folded,
    ):
        assert await answers(restarted) == await answers(folded)
        assert not restarted.allows("mallory", "t1", Action.ADMINISTER)
        assert not restarted.allows("bo", "t1", Action.EDIT_PROTOCOL)


async def test_a_snapshot_whose_data_cannot_be_read_is_ignored(
    store: EventStore,
    engine: AsyncEngine,
    snapshots: ProjectionSnapshots,
    snapshotted: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the digest matches, but the bytes are not a policy (an unknown role)
    data = b'{"t1":{"mallory":["emperor"]}}'
    async with engine.begin() as conn:
        await conn.execute(update(projection_snapshots).values(data=data, digest=digest(data)))

    with caplog.at_level(logging.WARNING, logger="events.snapshots"):
        restarted = await Authorizer.start(store, snapshots=snapshots)
    async with restarted, await Authorizer.start(store) as folded:
        assert await answers(restarted) == await answers(folded)
        assert restarted.grants == 12
    assert any("its data cannot be read" in message for message in caplog.messages)


async def test_the_policys_snapshots_are_pruned_as_it_follows_the_log(
    store: EventStore, engine: AsyncEngine, snapshots: ProjectionSnapshots, grant: RoleChange
) -> None:
    async with await Authorizer.start(store, snapshots=snapshots) as following:
        for n in range(60):
            position = await grant("t1", f"user-{n}", Role.SITE_STAFF)
        await following.wait_for(position)
    await snapshots.close()

    async with engine.connect() as conn:
        table = projection_snapshots
        saved = await conn.scalar(select(func.count()).where(table.c.name == SNAPSHOT_NAME))
    assert saved == 3  # of the six taken (every 10 positions)
    newest = await snapshots.newest(SNAPSHOT_NAME, SNAPSHOT_VERSION)
    assert newest is not None
    assert newest.position == 60
