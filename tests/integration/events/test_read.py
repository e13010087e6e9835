"""Reading the log: by stream, by position with filters, by time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events import EventStore, NewEvent, StreamAppend


async def _seed(store: EventStore) -> None:
    await store.append(
        StreamAppend("trial-1/protocol", [NewEvent("Revised", {"n": i}) for i in range(5)])
    )
    await store.append(StreamAppend("trial-2/protocol", [NewEvent("Revised", {"n": 9})]))
    await store.append(StreamAppend("trial-1/amendment-1", [NewEvent("Opened", {})]))


async def test_read_stream_from_a_version_with_a_limit(store: EventStore) -> None:
    await _seed(store)
    events = await store.read_stream("trial-1/protocol", from_version=2, limit=2)
    assert [(e.stream_version, e.data["n"]) for e in events] == [(2, 1), (3, 2)]
    assert await store.read_stream("nobody") == []


async def test_read_all_pages_by_position(store: EventStore) -> None:
    await _seed(store)
    first = await store.read_all(limit=4)
    rest = await store.read_all(after=first[-1].position, limit=100)
    assert [e.position for e in first + rest] == list(range(1, 8))


async def test_read_all_filters_by_type_and_stream_prefix(store: EventStore) -> None:
    await _seed(store)
    opened = await store.read_all(types=["Opened"])
    assert [e.stream_id for e in opened] == ["trial-1/amendment-1"]
    trial_one = await store.read_all(stream_prefix="trial-1/")
    assert {e.stream_id for e in trial_one} == {"trial-1/protocol", "trial-1/amendment-1"}


async def test_stream_prefix_is_literal_not_a_pattern(store: EventStore) -> None:
    await store.append(StreamAppend("a_b", [NewEvent("E", {})]))
    await store.append(StreamAppend("axb", [NewEvent("E", {})]))
    await store.append(StreamAppend("100%", [NewEvent("E", {})]))
    await store.append(StreamAppend("1000", [NewEvent("E", {})]))
    assert [e.stream_id for e in await store.read_all(stream_prefix="a_")] == ["a_b"]
    assert [e.stream_id for e in await store.read_all(stream_prefix="100%")] == ["100%"]


async def test_position_at_a_time(store: EventStore) -> None:
    assert await store.position_at(datetime.now(UTC)) == 0
    await _seed(store)
    (last,) = await store.read_all(after=6)
    assert await store.position_at(last.recorded_at) == 7
    assert await store.position_at(last.recorded_at + timedelta(days=1)) == 7
    first = (await store.read_all(limit=1))[0]
    assert await store.position_at(first.recorded_at - timedelta(microseconds=1)) == 0


async def test_recorded_times_never_run_backwards(store: EventStore) -> None:
    for i in range(20):
        await store.append(StreamAppend("s", [NewEvent("E", {"i": i})]))
    times = [e.recorded_at for e in await store.read_all()]
    assert times == sorted(times)
