"""The directory starts from its snapshot and folds only the log after it, answering as
one folded from the start; a snapshot that does not check out is ignored. A server opened
on a log with snapshots of the directory and the policy starts from both."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.roles import Role
from domain.workspace_commands import InviteMember, RevokeRole
from events.snapshots import ProjectionSnapshots, digest, projection_snapshots
from rbac import Action, Authorizer
from server.bootstrap import open_services
from server.commands.directory import SNAPSHOT_NAME, SNAPSHOT_VERSION, Directory
from server.commands.targets import workspace_target
from server.database import create_engine_for
from server.demo import DEMO_TRIAL, DRAFT_TRIAL, DemoPerson, load_draft_trial
from server.services import Services, Settings

NOBODY_YET = ("zed", "yan")
"""Usernames invited and never answering (no account needed)."""


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def snapshots(engine: AsyncEngine) -> AsyncIterator[ProjectionSnapshots]:
    snapshots = ProjectionSnapshots(engine, every=1)
    yield snapshots
    await snapshots.close()


async def invite(services: Services, demo: dict[str, DemoPerson], username: str) -> None:
    alex = demo["alex"]
    await services.commands.execute(
        workspace_target(DEMO_TRIAL),
        alex.user_id,
        lambda actor: InviteMember(
            actor=actor,
            invitation_id=f"invite-{username}",
            username=username,
            organization_id=alex.organization_id,
            invited_at=services.clock(),
        ),
    )


async def snapshot_the_directory(services: Services, snapshots: ProjectionSnapshots) -> int:
    """Save the directory's snapshot at the head (as a process catching up over the log
    would); the head."""
    head = await services.store.head_position()
    await Directory(services.store, snapshots=snapshots).catch_up(head)
    await snapshots.close()
    saved = await snapshots.newest(SNAPSHOT_NAME, SNAPSHOT_VERSION)
    assert saved is not None
    assert saved.position == head
    return head


async def caught_up(services: Services, snapshots: ProjectionSnapshots | None) -> Directory:
    directory = Directory(services.store, snapshots=snapshots)
    await directory.catch_up(await services.store.head_position())
    return directory


def assert_same_answers(
    restarted: Directory, folded: Directory, demo: dict[str, DemoPerson]
) -> None:
    for trial in (DEMO_TRIAL, DRAFT_TRIAL):
        assert restarted.trial(trial) == folded.trial(trial)
    for person in demo.values():
        assert restarted.trials_of(person.user_id) == folded.trials_of(person.user_id)
    for username in NOBODY_YET:
        assert restarted.invitations_of(username) == folded.invitations_of(username)


async def test_a_directory_restarted_from_its_snapshot_answers_as_one_folded_from_the_start(
    services: Services,
    demo: dict[str, DemoPerson],
    snapshots: ProjectionSnapshots,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await invite(services, demo, "zed")
    snapshotted = await snapshot_the_directory(services, snapshots)
    # after the snapshot: a second trial, and another pending invitation
    await load_draft_trial(services, list(demo.values()))
    await invite(services, demo, "yan")

    with caplog.at_level(logging.INFO, logger="events.snapshots"):
        restarted = await caught_up(services, snapshots)
    assert f"starting from the directory snapshot at position {snapshotted}" in caplog.messages
    folded = await caught_up(services, None)

    assert_same_answers(restarted, folded, demo)
    ivy = demo["ivy"].user_id
    assert [entry.trial_id for entry in restarted.trials_of(ivy)] == [DEMO_TRIAL, DRAFT_TRIAL]
    assert [i.invitation_id for i in restarted.invitations_of("ZED")] == ["invite-zed"]
    assert [i.invitation_id for i in restarted.invitations_of("yan")] == ["invite-yan"]
    demo_trial = restarted.trial(DEMO_TRIAL)
    assert demo_trial is not None
    assert "A-1" in demo_trial.open_amendments
    # Pat's comment on A-1 awaits a disposition; she wrote in that thread (the inbox's index)
    assert list(demo_trial.awaiting) == [("amendment", "A-1")]
    assert ("amendment", "A-1") in demo_trial.commented[demo["pat"].user_id]


@pytest.mark.parametrize(
    "damage",
    [
        {"data": b'{"trials":[],"invitations":[]}'},
        {"data": b'{"trials":5}', "digest": digest(b'{"trials":5}')},
        {"schema_version": 2},
        {"log_hash": "a" * 64},
    ],
    ids=["bytes changed", "unreadable", "other schema version", "another log"],
)
async def test_a_damaged_directory_snapshot_is_ignored_and_the_log_folded_instead(
    services: Services,
    demo: dict[str, DemoPerson],
    engine: AsyncEngine,
    snapshots: ProjectionSnapshots,
    caplog: pytest.LogCaptureFixture,
    damage: dict[str, object],
) -> None:
    await invite(services, demo, "zed")
    snapshotted = await snapshot_the_directory(services, snapshots)
    async with engine.begin() as conn:
        await conn.execute(update(projection_snapshots).values(**damage))

    with caplog.at_level(logging.WARNING, logger="events.snapshots"):
        restarted = await caught_up(services, snapshots)
    assert any(
        message.startswith(f"ignoring the directory snapshot at position {snapshotted}")
        for message in caplog.messages
    )
    assert_same_answers(restarted, await caught_up(services, None), demo)
    assert restarted.trial(DEMO_TRIAL) is not None
    assert restarted.invitations_of("zed")


async def test_a_server_opened_on_snapshots_starts_from_them_and_honours_what_came_after(
    url: str,
    settings: Settings,
    services: Services,
    demo: dict[str, DemoPerson],
    snapshots: ProjectionSnapshots,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await snapshot_the_directory(services, snapshots)
    async with await Authorizer.start(services.store, snapshots=snapshots):
        pass
    await snapshots.close()
    # after the snapshots: a second trial, and the sponsor lead loses their role
    await load_draft_trial(services, list(demo.values()))
    lead, alex = demo["sam"], demo["alex"]
    await services.commands.execute(
        workspace_target(DEMO_TRIAL),
        alex.user_id,
        lambda actor: RevokeRole(
            actor=actor, user_id=lead.user_id, role=Role.SPONSOR_LEAD, reason="left the sponsor"
        ),
    )

    with caplog.at_level(logging.INFO, logger="events.snapshots"):
        async with open_services(url, settings=settings) as restarted:
            assert restarted.directory.trial(DRAFT_TRIAL) is not None
            ivy = demo["ivy"].user_id
            assert restarted.authorizer.allows(ivy, DRAFT_TRIAL, Action.EDIT_PROTOCOL)
            assert not restarted.authorizer.allows(lead.user_id, DEMO_TRIAL, Action.READ)
            assert restarted.authorizer.roles_of(lead.user_id, DEMO_TRIAL) == frozenset()
    started_from = [m for m in caplog.messages if m.startswith("starting from the")]
    assert [m.split(" snapshot")[0] for m in started_from] == [
        "starting from the authorization-policy",
        "starting from the directory",
    ]
