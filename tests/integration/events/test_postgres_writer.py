"""The PostgreSQL writer's own parts: ``concord_append`` writes only on the head a batch
was decided on, the fallback that decides a batch under the lock, and the writer's own
connection."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from events import (
    EventStore,
    IdempotencyKeyReused,
    NewEvent,
    StreamAppend,
    open_store,
    postgres_backend,
)

from .conftest import execute_raw

pytestmark = pytest.mark.postgres


async def _call_append(
    url: str, head: tuple[int, str], position: int, unused_keys: list[str]
) -> object:
    """Call concord_append as a writer would that decided, on ``head`` (position, hash),
    one event at ``position`` of the log and of stream ``s``."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    driver = await asyncpg.connect(dsn)
    row = (position, "s", position, "Edited", 1, "{}", "{}", "2026-11-21T10:00:00.000000Z",
           head[1], "f" * 64)  # fmt: skip
    try:
        columns = [[value] for value in row]
        return await driver.fetchval(
            f"SELECT concord_append({', '.join(f'${n}' for n in range(1, 20))})",
            *head, ["s"], unused_keys, *columns, [], [], [], [], [],
        )  # fmt: skip
    finally:
        await driver.close()


async def test_the_function_writes_nothing_on_a_head_that_moved(postgres_url: str) -> None:
    async with await open_store(postgres_url) as store:
        await store.append(StreamAppend("s", [NewEvent("Edited", {})]))
        await store.append(StreamAppend("s", [NewEvent("Edited", {})]))
        first, second = await store.read_stored()
        # Decided on head 1; it would fit in the table at position 3 and version 3.
        state = await _call_append(postgres_url, (1, first.hash), 3, [])
        assert state is not None
        assert await store.head_position() == 2
        assert [e.hash for e in await store.read_stored()] == [first.hash, second.hash]
        assert (await store.verify()).ok


async def test_the_function_writes_nothing_when_a_key_thought_unused_was_used(
    postgres_url: str,
) -> None:
    async with await open_store(postgres_url) as store:
        await store.append(StreamAppend("s", [NewEvent("Edited", {})]), idempotency_key="k")
        (first,) = await store.read_stored()
        state = await _call_append(postgres_url, (1, first.hash), 2, ["k"])
        assert state is not None
        assert await store.head_position() == 1


async def test_batches_decided_under_the_lock_keep_the_contract(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No optimistic attempt: every batch is decided in a transaction holding the lock,
    # the path a writer takes when other processes keep moving the head.
    monkeypatch.setattr(postgres_backend, "OPTIMISTIC_ATTEMPTS", 0)
    stores: list[EventStore] = [await open_store(postgres_url) for _ in range(2)]
    try:
        mine, theirs = stores
        await mine.append(StreamAppend("s", [NewEvent("Edited", {"by": "me"})], 0))
        await theirs.append(StreamAppend("s", [NewEvent("Edited", {"by": "them"})], 1))
        result = await mine.append(
            StreamAppend("s", [NewEvent("Edited", {"by": "me"})], 2),
            StreamAppend("t", [NewEvent("Edited", {"by": "me"})], 0),
            idempotency_key="k",
        )
        assert (result.first_position, result.last_position) == (3, 4)
        replayed = await theirs.append(
            StreamAppend("s", [NewEvent("Edited", {"by": "me"})], 2),
            StreamAppend("t", [NewEvent("Edited", {"by": "me"})], 0),
            idempotency_key="k",
        )
        assert replayed.replayed
        assert replayed.first_position == 3
        with pytest.raises(IdempotencyKeyReused):
            await theirs.append(StreamAppend("s", [NewEvent("Other", {})]), idempotency_key="k")
        assert await mine.head_position() == 4
        assert (await mine.verify()).ok
    finally:
        for store in stores:
            await store.close()


async def test_the_writer_reconnects_when_its_connection_is_killed(postgres_url: str) -> None:
    async with await open_store(postgres_url) as store:
        await store.append(StreamAppend("s", [NewEvent("Edited", {})]))
        # Every other connection to the database, the writer's among them; with a timeout,
        # pg_terminate_backend waits until each is gone.
        await execute_raw(
            postgres_url,
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        with pytest.raises(Exception, match=r"terminat|closed|lost"):
            await store.append(StreamAppend("s", [NewEvent("Edited", {})]))
        result = await store.append(StreamAppend("s", [NewEvent("Edited", {})], 1))
        assert result.first_position == 2
        assert (await store.verify()).ok
