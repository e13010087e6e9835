"""Reading the log: by stream, by position with filters, by time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from events import EventStore, NewEvent, StreamAppend, open_store


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


async def test_read_all_filters_by_type_and_stream(store: EventStore) -> None:
    await _seed(store)
    opened = await store.read_all(types=["Opened"])
    assert [e.stream_id for e in opened] == ["trial-1/amendment-1"]
    trial_one = await store.read_all(under="trial-1")
    assert {e.stream_id for e in trial_one} == {"trial-1/protocol", "trial-1/amendment-1"}


NEIGHBOURS = ["trial/t1", "trial/t10", "trial/t1/protocol", "trial/t10/protocol", "trial/t1-x",
              "trial/t1.x/y", "trial/T1", "trial/T1/x", "trial/t", "trial"]  # fmt: skip
"""Streams near ``trial/t1`` in every order a database might sort them in."""


async def _under_t1(store: EventStore) -> None:
    for stream in NEIGHBOURS:
        await store.append(StreamAppend(stream, [NewEvent("E", {})]))
    under_t1 = await store.read_all(under="trial/t1")
    assert [e.stream_id for e in under_t1] == ["trial/t1", "trial/t1/protocol"]
    under_protocol = await store.read_all(under="trial/t1/protocol")
    assert [e.stream_id for e in under_protocol] == ["trial/t1/protocol"]
    assert [e.stream_id for e in await store.read_all(under="trial/t")] == ["trial/t"]
    assert [e.stream_id for e in await store.read_all(under="trial/T1")] == NEIGHBOURS[6:8]
    assert await store.read_all(under="trial/t2") == []


async def test_under_is_a_whole_stream_not_a_prefix(store: EventStore) -> None:
    await _under_t1(store)


@pytest.mark.postgres
async def test_under_holds_where_the_database_sorts_text_by_language(postgres_url: str) -> None:
    # An ICU collation (en-US) sorts trial/T1/x between trial/t1/ and trial/t10: there a
    # range of the stream index would not select the streams below a stream.
    admin = await asyncpg.connect(
        make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    )
    name = f"{make_url(postgres_url).database}_icu"
    try:
        if admin.get_server_version().major < 15:
            pytest.skip("LOCALE_PROVIDER needs PostgreSQL 15")
        await admin.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu"
            " ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
        async with await open_store(make_url(postgres_url).set(database=name)) as store:
            await _under_t1(store)
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def test_under_is_literal_not_a_pattern(store: EventStore) -> None:
    for stream in ["a_/1", "ax/1", "100%/1", "1000/1", "a\\/1", "a/1"]:
        await store.append(StreamAppend(stream, [NewEvent("E", {})]))
    assert [e.stream_id for e in await store.read_all(under="a_")] == ["a_/1"]
    assert [e.stream_id for e in await store.read_all(under="100%")] == ["100%/1"]
    assert [e.stream_id for e in await store.read_all(under="a\\")] == ["a\\/1"]


async def test_under_names_a_stream(store: EventStore) -> None:
    for malformed in ["", "trial/"]:
        with pytest.raises(ValueError, match="under names a stream id"):
            await store.read_all(under=malformed)


async def test_read_all_stops_at_until(store: EventStore) -> None:
    await _seed(store)
    assert [e.position for e in await store.read_all(after=2, until=5)] == [3, 4, 5]
    assert [e.position for e in await store.read_all(after=2, until=5, limit=2)] == [3, 4]
    assert await store.read_all(after=5, until=5) == []
    assert [s.position for s in await store.read_stored(after=5, until=6)] == [6]


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
