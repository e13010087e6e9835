"""Another process appending between two of this process's group commits.

Each writer remembers the log's head and stream versions between commits (SQLite checks
``PRAGMA data_version``, PostgreSQL checks the head under the lock): what the other one
wrote in between must be seen, never overwritten or forked from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from events import (
    EventStore,
    IdempotencyKeyReused,
    NewEvent,
    StreamAppend,
    WrongExpectedVersion,
    open_store,
)


def edited(by: str) -> NewEvent:
    return NewEvent("Edited", {"by": by})


@pytest.fixture
async def two_stores(url: str) -> AsyncIterator[tuple[EventStore, EventStore]]:
    first, second = await open_store(url), await open_store(url)
    yield first, second
    await first.close()
    await second.close()


async def test_a_writer_continues_the_log_another_one_extended(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    mine, theirs = two_stores
    await mine.append(StreamAppend("protocol", [edited("me")], 0))
    await theirs.append(StreamAppend("protocol", [edited("them")], 1))
    await theirs.append(StreamAppend("elsewhere", [edited("them")]))
    result = await mine.append(StreamAppend("protocol", [edited("me")], 2))
    assert (result.first_position, result.stream_versions) == (4, {"protocol": 3})
    log = await mine.read_all()
    assert [(e.position, e.stream_id, e.stream_version) for e in log] == [
        (1, "protocol", 1),
        (2, "protocol", 2),
        (3, "elsewhere", 1),
        (4, "protocol", 3),
    ]
    assert (await theirs.verify()).ok, "the chain runs through both writers' events"


async def test_a_writer_refuses_a_version_another_one_has_moved_past(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    mine, theirs = two_stores
    await mine.append(StreamAppend("protocol", [edited("me")], 0))
    await theirs.append(StreamAppend("protocol", [edited("them")], 1))
    with pytest.raises(WrongExpectedVersion) as refused:
        await mine.append(StreamAppend("protocol", [edited("me")], 1))
    assert refused.value.actual == 2
    assert await mine.head_position() == 2


async def test_an_idempotency_key_another_writer_used_meanwhile_is_honoured(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    mine, theirs = two_stores
    await mine.append(StreamAppend("protocol", [edited("me")]))
    stored = await theirs.append(StreamAppend("protocol", [edited("them")]), idempotency_key="k")
    replayed = await mine.append(StreamAppend("protocol", [edited("them")]), idempotency_key="k")
    assert replayed.replayed
    assert (replayed.first_position, replayed.stream_versions) == (2, {"protocol": 2})
    assert stored.first_position == replayed.first_position
    with pytest.raises(IdempotencyKeyReused):
        await mine.append(StreamAppend("protocol", [edited("me")]), idempotency_key="k")
    assert await mine.head_position() == 2
