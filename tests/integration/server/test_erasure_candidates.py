"""The accounts that may hold a pending erasure request: a process starts from the newest
saved snapshot of them and reads only the requests logged after it; a snapshot that does
not check out is ignored and the log read instead."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.account_events import account_stream
from domain.catalog import to_data
from domain.erasure_requests import PersonalDataErasureRequested
from events import EventStore, NewEvent, StreamAppend
from events.snapshots import ProjectionSnapshot, ProjectionSnapshots, projection_snapshots
from server.database import create_engine_for
from server.erasure_candidates import SCHEMA_VERSION, SNAPSHOT_NAME, ErasureCandidates


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


async def request_erasure(store: EventStore, user_id: str) -> int:
    requested = PersonalDataErasureRequested(
        user_id=user_id, reason="asked by the person", requested_by="u-admin", trials=()
    )
    new = NewEvent(requested.event_type, to_data(requested), requested.schema_version)
    result = await store.append(StreamAppend(account_stream(user_id), [new]))
    return result.last_position


async def test_a_new_process_starts_from_the_saved_candidates_and_reads_what_came_after(
    store: EventStore, snapshots: ProjectionSnapshots
) -> None:
    position = await request_erasure(store, "u-first")
    assert await ErasureCandidates().look(store, snapshots) == ["u-first"]
    saved = await snapshots.newest(SNAPSHOT_NAME, SCHEMA_VERSION)
    assert saved is not None
    assert saved.position == position
    # What the snapshot says stands for the log up to it: replace it with another
    # account, as if the first one's request had been found there.
    data = msgspec.json.encode(["u-from-snapshot"])
    await snapshots.save(ProjectionSnapshot(SNAPSHOT_NAME, position, SCHEMA_VERSION, data))
    await request_erasure(store, "u-later")

    restarted = await ErasureCandidates().look(store, snapshots)

    # The requests after the snapshot (and the margin before it) are read: u-first is
    # within the margin, so found again.
    assert restarted == ["u-first", "u-from-snapshot", "u-later"]


async def test_a_snapshot_that_does_not_check_out_is_ignored(
    store: EventStore, snapshots: ProjectionSnapshots, engine: AsyncEngine
) -> None:
    await request_erasure(store, "u-first")
    assert await ErasureCandidates().look(store, snapshots) == ["u-first"]
    async with engine.begin() as conn:
        await conn.execute(
            update(projection_snapshots)
            .where(projection_snapshots.c.name == SNAPSHOT_NAME)
            .values(data=msgspec.json.encode(["u-forged"]))
        )

    assert await ErasureCandidates().look(store, snapshots) == ["u-first"]


async def test_a_settled_account_is_looked_at_again_once_it_has_a_new_request(
    store: EventStore, snapshots: ProjectionSnapshots
) -> None:
    candidates = ErasureCandidates()
    await request_erasure(store, "u-first")
    assert await candidates.look(store, snapshots) == ["u-first"]
    candidates.settled("u-first")
    await request_erasure(store, "u-second")
    # u-first's request is within the positions read again (concurrent commits).
    assert await candidates.look(store, snapshots) == ["u-first", "u-second"]
