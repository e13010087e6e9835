"""Concurrent writers, including separate store instances racing on one database."""

from __future__ import annotations

import asyncio

from events import EventStore, NewEvent, StreamAppend, WrongExpectedVersion, open_store

WRITERS = 16
APPENDS_EACH = 25


async def _write_own_stream(store: EventStore, writer: int) -> None:
    for version in range(APPENDS_EACH):
        await store.append(
            StreamAppend(f"writer-{writer}", [NewEvent("Wrote", {"n": version})], version),
            StreamAppend("shared", [NewEvent("Touched", {"by": writer})]),
        )


async def test_sixteen_concurrent_writers_leave_gap_free_positions(url: str) -> None:
    # Four store instances, like four server processes: they contend in the database.
    stores = [await open_store(url) for _ in range(4)]
    try:
        await asyncio.gather(
            *(_write_own_stream(stores[w % len(stores)], w) for w in range(WRITERS))
        )
        reader = stores[0]
        log = await reader.read_all(limit=10_000)
        assert [e.position for e in log] == list(range(1, 2 * WRITERS * APPENDS_EACH + 1))
        for writer in range(WRITERS):
            stream = await reader.read_stream(f"writer-{writer}")
            assert [e.data["n"] for e in stream] == list(range(APPENDS_EACH))
        shared = await reader.read_stream("shared")
        assert [e.stream_version for e in shared] == list(range(1, WRITERS * APPENDS_EACH + 1))
        assert (await reader.verify()).ok
    finally:
        for store in stores:
            await store.close()


async def test_racing_writers_on_one_version_have_exactly_one_winner(url: str) -> None:
    stores = [await open_store(url) for _ in range(2)]
    try:
        await stores[0].append(StreamAppend("amendment", [NewEvent("Opened", {})]))
        outcomes = await asyncio.gather(
            *(
                stores[i % 2].append(StreamAppend("amendment", [NewEvent("Edited", {"by": i})], 1))
                for i in range(WRITERS)
            ),
            return_exceptions=True,
        )
        winners = [o for o in outcomes if not isinstance(o, BaseException)]
        losers = [o for o in outcomes if isinstance(o, WrongExpectedVersion)]
        assert len(winners) == 1
        assert len(losers) == WRITERS - 1
        assert all(loser.actual == 2 for loser in losers)
        assert await stores[1].stream_version("amendment") == 2
    finally:
        for store in stores:
            await store.close()
