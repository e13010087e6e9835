"""Subscriptions: catch up, then live; exactly once and in order, even while writers race."""

from __future__ import annotations

import asyncio

from events import EventStore, NewEvent, RecordedEvent, StreamAppend, open_store

DONE = "WritersDone"


async def _collect_until(
    store: EventStore, event_type: str, **filters: object
) -> list[RecordedEvent]:
    seen: list[RecordedEvent] = []
    async with asyncio.timeout(60):
        async for event in store.subscribe(**filters):  # type: ignore[arg-type]
            seen.append(event)
            if event.type == event_type:
                return seen
    raise AssertionError("unreachable: a subscription never ends by itself")


async def test_subscriber_catches_up_then_receives_live_events(store: EventStore) -> None:
    await store.append(StreamAppend("s", [NewEvent("Before", {"n": i}) for i in range(3)]))
    collector = asyncio.create_task(_collect_until(store, DONE, after=1))
    await store.append(StreamAppend("s", [NewEvent("After", {})]))
    await store.append(StreamAppend("s", [NewEvent(DONE, {})]))
    seen = await collector
    assert [e.position for e in seen] == [2, 3, 4, 5]
    assert [e.type for e in seen] == ["Before", "Before", "After", DONE]


async def test_tailing_subscriber_sees_exactly_the_final_log_while_writers_race(url: str) -> None:
    writers = [await open_store(url) for _ in range(4)]
    tail = await open_store(url)  # another instance: woken by the database, not in-process
    try:
        collector = asyncio.create_task(_collect_until(tail, DONE))

        async def write(writer: int) -> None:
            store = writers[writer % len(writers)]
            for n in range(30):
                events = [NewEvent("Wrote", {"n": n, "k": k}) for k in range(1 + n % 3)]
                await store.append(StreamAppend(f"w-{writer}", events))

        await asyncio.gather(*(write(w) for w in range(16)))
        await writers[0].append(StreamAppend("control", [NewEvent(DONE, {})]))
        seen = await collector
        final = await tail.read_all(limit=100_000)
        assert [(e.position, e.hash) for e in seen] == [(e.position, e.hash) for e in final]
    finally:
        for store in [*writers, tail]:
            await store.close()


async def test_a_subscriber_beside_its_writer_sees_the_log_as_stored_while_others_write(
    url: str,
) -> None:
    # The subscriber's own store commits too, so it takes those events from memory; the
    # others' commits break its run of positions and send it back to the database.
    own, *others = [await open_store(url) for _ in range(3)]
    try:
        collector = asyncio.create_task(_collect_until(own, DONE))

        async def write(writer: int) -> None:
            store = [own, *others][writer % 3]
            for n in range(20):
                events = [NewEvent("Wrote", {"n": n, "k": k}) for k in range(1 + n % 2)]
                await store.append(StreamAppend(f"w-{writer}", events), meta={"w": writer})

        await asyncio.gather(*(write(w) for w in range(9)))
        await own.append(StreamAppend("control", [NewEvent(DONE, {})]))
        seen = await collector
        async with await open_store(url) as reader:
            assert seen == await reader.read_all(limit=100_000)
    finally:
        for store in [own, *others]:
            await store.close()


async def test_subscriber_filters_by_type_and_stream(store: EventStore) -> None:
    collector = asyncio.create_task(
        _collect_until(store, DONE, types=["Revised", DONE], under="trial-1")
    )
    await store.append(StreamAppend("trial-1/protocol", [NewEvent("Revised", {"n": 1})]))
    await store.append(StreamAppend("trial-10/protocol", [NewEvent("Revised", {"n": 2})]))
    await store.append(StreamAppend("trial-1/protocol", [NewEvent("Commented", {"n": 3})]))
    await store.append(StreamAppend("trial-1/control", [NewEvent(DONE, {})]))
    seen = await collector
    assert [(e.stream_id, e.type) for e in seen] == [
        ("trial-1/protocol", "Revised"),
        ("trial-1/control", DONE),
    ]


async def test_a_subscriber_reading_the_database_takes_whole_streams(url: str) -> None:
    # Another store's commits are read from the database, not from memory.
    async with await open_store(url) as writer, await open_store(url) as reader:
        for stream in ["trial/t1", "trial/t10", "trial/t1/protocol", "trial/t1-x"]:
            await writer.append(StreamAppend(stream, [NewEvent("Wrote", {})]))
        await writer.append(StreamAppend("trial/t1/control", [NewEvent(DONE, {})]))
        seen = await _collect_until(reader, DONE, under="trial/t1")
    assert [e.stream_id for e in seen] == ["trial/t1", "trial/t1/protocol", "trial/t1/control"]
