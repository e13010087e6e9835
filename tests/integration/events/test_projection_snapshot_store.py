"""The projection snapshot store: the newest snapshot that checks out against the log is
handed back, one that does not (bytes changed, another schema version, another log) is
passed over, and each name keeps only its newest few."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from events import EventStore, NewEvent, StreamAppend
from events.snapshots import ProjectionSnapshot, ProjectionSnapshots, projection_snapshots
from server.database import create_engine_for


@pytest.fixture
async def engine(store: EventStore, url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def log(store: EventStore) -> int:
    """Ten events in the log; the head."""
    events = [NewEvent("Noted", {"n": n}) for n in range(10)]
    return (await store.append(StreamAppend("notes/1", events))).last_position


def snapshot(position: int, data: bytes = b'{"count":1}', version: int = 1) -> ProjectionSnapshot:
    return ProjectionSnapshot("tally", position, version, data)


async def test_the_newest_snapshot_at_or_before_a_position_comes_back(
    engine: AsyncEngine, log: int
) -> None:
    snapshots = ProjectionSnapshots(engine)
    await snapshots.save(snapshot(4, b"four"))
    await snapshots.save(snapshot(8, b"eight"))

    assert await snapshots.newest("tally", 1) == snapshot(8, b"eight")
    assert await snapshots.newest("tally", 1, at_most=7) == snapshot(4, b"four")
    assert await snapshots.newest("tally", 1, at_most=3) is None
    assert await snapshots.newest("another", 1) is None


async def test_a_snapshot_needs_an_event_at_its_position(engine: AsyncEngine, log: int) -> None:
    snapshots = ProjectionSnapshots(engine)
    with pytest.raises(ValueError, match="no event at position 11"):
        await snapshots.save(snapshot(log + 1))
    assert await snapshots.newest("tally", 1) is None


async def test_saving_the_same_position_again_replaces_what_was_there(
    engine: AsyncEngine, log: int
) -> None:
    """A damaged snapshot at the head is mended by the next save, not kept forever."""
    snapshots = ProjectionSnapshots(engine)
    await snapshots.save(snapshot(5, b"first"))
    await snapshots.save(snapshot(5, b"second"))
    assert await snapshots.newest("tally", 1) == snapshot(5, b"second")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ({"data": b"eight, edited"}, "its digest does not match its bytes"),
        ({"schema_version": 2}, "schema version 2, not 1"),
        ({"log_hash": "0" * 64}, "the log's event at its position has another hash"),
    ],
    ids=["bytes changed", "other schema version", "another log"],
)
async def test_a_snapshot_that_does_not_check_out_is_passed_over_for_an_older_one(
    engine: AsyncEngine,
    log: int,
    caplog: pytest.LogCaptureFixture,
    damage: dict[str, object],
    reason: str,
) -> None:
    snapshots = ProjectionSnapshots(engine)
    await snapshots.save(snapshot(4, b"four"))
    await snapshots.save(snapshot(8, b"eight"))
    async with engine.begin() as conn:
        table = projection_snapshots
        await conn.execute(update(table).where(table.c.position == 8).values(**damage))

    with caplog.at_level(logging.WARNING, logger="events.snapshots"):
        assert await snapshots.newest("tally", 1) == snapshot(4, b"four")
    assert f"ignoring the tally snapshot at position 8: {reason}" in caplog.messages


async def test_a_snapshot_of_a_newer_schema_is_not_read_by_an_older_one(
    engine: AsyncEngine, log: int
) -> None:
    snapshots = ProjectionSnapshots(engine)
    await snapshots.save(snapshot(4, version=1))
    await snapshots.save(snapshot(8, version=2))
    assert await snapshots.newest("tally", 1) == snapshot(4, version=1)
    assert await snapshots.newest("tally", 2) == snapshot(8, version=2)


async def test_each_name_keeps_only_its_newest_snapshots(engine: AsyncEngine, log: int) -> None:
    snapshots = ProjectionSnapshots(engine, keep=3)
    for position in range(1, 7):
        await snapshots.save(snapshot(position))
    await snapshots.save(ProjectionSnapshot("other", 2, 1, b"kept"))

    async with engine.connect() as conn:
        table = projection_snapshots
        kept = (await conn.execute(select(table.c.name, table.c.position))).all()
    assert sorted(kept) == [("other", 2), ("tally", 4), ("tally", 5), ("tally", 6)]


async def test_saves_in_the_background_are_done_once_closed(engine: AsyncEngine, log: int) -> None:
    snapshots = ProjectionSnapshots(engine)
    snapshots.save_later("tally", 3, 1, lambda: b"three")
    snapshots.save_later("tally", log + 5, 1, lambda: b"nowhere")  # fails, and is logged
    await snapshots.close()
    assert await snapshots.newest("tally", 1) == snapshot(3, b"three")
