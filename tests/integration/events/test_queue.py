"""Queued appends: written in the order queued; one queued ``after`` another is written
only if that one was, whether they share a group commit or not."""

from __future__ import annotations

import pytest

from events import (
    EarlierAppendFailed,
    EventStore,
    NewEvent,
    StreamAppend,
    WrongExpectedVersion,
    open_store,
)


def revised(n: int) -> NewEvent:
    return NewEvent("SectionRevised", {"n": n})


async def test_appends_decided_on_queued_ones_are_written_in_order(store: EventStore) -> None:
    first = store.queue(StreamAppend("s", [revised(1)], expected_version=0))
    second = store.queue(StreamAppend("s", [revised(2)], expected_version=1), after=[first])
    third = store.queue(StreamAppend("s", [revised(3)], expected_version=2), after=[second])
    results = [await queued for queued in (first, second, third)]
    assert [r.stream_versions["s"] for r in results] == [1, 2, 3]
    assert [e.data["n"] for e in await store.read_stream("s")] == [1, 2, 3]


async def test_an_append_queued_after_a_refused_one_is_refused_though_its_version_holds(
    url: str, store: EventStore
) -> None:
    async with await open_store(url) as elsewhere:  # another process moves the stream
        await elsewhere.append(StreamAppend("s", [revised(0)]))
    stale = store.queue(StreamAppend("s", [revised(1)], expected_version=0))
    # Decided on the state `stale` would have made: version 1, which the log now has.
    dependent = store.queue(StreamAppend("s", [revised(2)], expected_version=1), after=[stale])
    chained = store.queue(StreamAppend("s", [revised(3)], expected_version=2), after=[dependent])
    with pytest.raises(WrongExpectedVersion) as refused:
        await stale
    assert not isinstance(refused.value, EarlierAppendFailed)
    for queued in (dependent, chained):
        with pytest.raises(EarlierAppendFailed) as followed:
            await queued
        assert followed.value.actual == 1
    # Queued once the refusal is known, in a later group commit: refused all the same.
    late = store.queue(StreamAppend("s", [revised(4)], expected_version=1), after=[stale])
    with pytest.raises(EarlierAppendFailed):
        await late
    assert [e.data["n"] for e in await store.read_stream("s")] == [0]


async def test_an_append_after_a_written_one_in_an_earlier_commit_is_written(
    store: EventStore,
) -> None:
    first = store.queue(StreamAppend("s", [revised(1)]))
    await first
    second = store.queue(StreamAppend("s", [revised(2)], expected_version=1), after=[first])
    assert (await second).stream_versions == {"s": 2}


async def test_an_append_queued_after_a_replayed_one_is_refused(store: EventStore) -> None:
    await store.append(StreamAppend("s", [revised(1)], expected_version=0), idempotency_key="k")
    await store.append(StreamAppend("s", [revised(2)]))  # someone else moves the stream on
    # A retry decided on the log it loaded (version 1, its own first attempt included) and,
    # before it is settled, a dependent append decided on the state the retry would leave:
    # version 2, which the log has by chance, though not with the retry's events.
    retry = store.queue(StreamAppend("s", [revised(1)], expected_version=1), idempotency_key="k")
    dependent = store.queue(StreamAppend("s", [revised(3)], expected_version=2), after=[retry])
    assert (await retry).replayed
    with pytest.raises(EarlierAppendFailed):
        await dependent
    # Queued once the replay is known, in a later group commit: refused all the same.
    late = store.queue(StreamAppend("s", [revised(4)], expected_version=2), after=[retry])
    with pytest.raises(EarlierAppendFailed):
        await late
    assert [e.data["n"] for e in await store.read_stream("s")] == [1, 2]
