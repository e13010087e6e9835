"""Reading a stretch of the log a page at a time: ``pages`` and ``stored_pages``."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from events import EventStore, NewEvent, StreamAppend


async def _append(store: EventStore, stream: str, count: int, type_: str = "E") -> int:
    result = await store.append(StreamAppend(stream, [NewEvent(type_, {}) for _ in range(count)]))
    return result.last_position


async def _positions(store: EventStore, **options: object) -> list[list[int]]:
    pages = store.pages(**options)  # type: ignore[arg-type]
    return [[event.position for event in page] async for page in pages]


@pytest.mark.parametrize("read_ahead", [False, True])
async def test_pages_cover_the_log_to_the_head(store: EventStore, read_ahead: bool) -> None:
    await _append(store, "s", 7)
    pages = await _positions(store, page_size=3, read_ahead=read_ahead)
    assert pages == [[1, 2, 3], [4, 5, 6], [7]]


async def test_a_last_full_page_is_not_followed_by_an_empty_one(store: EventStore) -> None:
    await _append(store, "s", 6)
    assert await _positions(store, page_size=3) == [[1, 2, 3], [4, 5, 6]]
    assert await _positions(store, after=6) == []


async def test_an_empty_log_has_no_pages(store: EventStore) -> None:
    assert await _positions(store) == []
    assert [page async for page in store.stored_pages()] == []


async def test_pages_stop_at_the_head_as_it_was_when_iteration_began(store: EventStore) -> None:
    await _append(store, "s", 4)
    seen = []
    async for page in store.pages(page_size=2):
        seen.append([event.position for event in page])
        await _append(store, "s", 2)  # later than the head the reading stops at
    assert seen == [[1, 2], [3, 4]]


async def test_pages_read_from_after_up_to_and_including_until(store: EventStore) -> None:
    await _append(store, "s", 10)
    assert await _positions(store, after=2, until=8, page_size=4) == [[3, 4, 5, 6], [7, 8]]
    assert await _positions(store, after=2, until=6, page_size=4) == [[3, 4, 5, 6]]
    assert await _positions(store, after=5, until=5) == []
    assert await _positions(store, after=8, until=100) == [[9, 10]]


async def test_pages_filter_by_stream_and_type(store: EventStore) -> None:
    await _append(store, "trial/t1", 2)  # 1, 2
    await _append(store, "trial/t10", 2)  # 3, 4
    await _append(store, "trial/t1/protocol", 2, "Revised")  # 5, 6
    await _append(store, "trial/t10/protocol", 1, "Revised")  # 7
    await _append(store, "trial/t1/amendment/A-1", 3)  # 8, 9, 10
    assert await _positions(store, under="trial/t1", page_size=3) == [[1, 2, 5], [6, 8, 9], [10]]
    assert await _positions(store, under="trial/t10") == [[3, 4, 7]]
    assert await _positions(store, under="trial/t1", until=8) == [[1, 2, 5, 6, 8]]
    assert await _positions(store, types=["Revised"], under="trial/t1") == [[5, 6]]
    assert await _positions(store, under="trial/t1", after=6, until=7) == []


async def test_a_reader_that_stops_early_leaves_no_read_behind(store: EventStore) -> None:
    await _append(store, "s", 10)
    await store.head_position()  # a first read starts what a store keeps running
    before = asyncio.all_tasks()
    async with aclosing(store.pages(page_size=2, read_ahead=True)) as pages:
        async for page in pages:
            assert [event.position for event in page] == [1, 2]
            break
    assert asyncio.all_tasks() - before == set()


async def test_stored_pages_hold_the_rows_as_stored(store: EventStore) -> None:
    await _append(store, "s", 5)
    events = [event async for page in store.pages() for event in page]
    stored = [page async for page in store.stored_pages(after=1, until=4, page_size=2)]
    assert [[row.position for row in page] for page in stored] == [[2, 3], [4]]
    assert [row.hash for page in stored for row in page] == [e.hash for e in events[1:4]]
    assert stored[0][0].data_json == "{}"
