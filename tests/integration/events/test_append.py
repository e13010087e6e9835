"""Appending: envelopes, optimistic concurrency, atomicity, idempotency, bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from events import (
    ANY,
    NO_STREAM,
    EventStore,
    IdempotencyKeyReused,
    NewEvent,
    NotCanonicalJson,
    StreamAppend,
    WrongExpectedVersion,
)


def created(title: str = "Trial A") -> NewEvent:
    return NewEvent("TrialCreated", {"title": title})


async def test_appended_events_carry_the_full_envelope(store: EventStore) -> None:
    before = datetime.now(UTC)
    result = await store.append(
        StreamAppend(
            "trial-1",
            [created(), NewEvent("MemberAdded", {"user": "u-7"}, meta={"reason": "onboarding"})],
        ),
        meta={"actor": "u-1", "reason": "setup"},
    )
    assert (result.first_position, result.last_position) == (1, 2)
    assert result.stream_versions == {"trial-1": 2}
    first, second = await store.read_stream("trial-1")
    assert (first.position, first.stream_version, first.type) == (1, 1, "TrialCreated")
    assert first.data == {"title": "Trial A"}
    assert first.meta == {"actor": "u-1", "reason": "setup"}
    assert second.meta == {"actor": "u-1", "reason": "onboarding"}, (
        "event meta wins over append meta"
    )
    assert first.schema_version == 1
    assert first.recorded_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= first.recorded_at <= datetime.now(UTC)
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash


async def test_positions_and_versions_continue_across_streams(store: EventStore) -> None:
    await store.append(StreamAppend("a", [created()]))
    await store.append(StreamAppend("b", [created(), created()]))
    result = await store.append(StreamAppend("a", [created()]))
    assert (result.first_position, result.stream_versions) == (4, {"a": 2})
    assert await store.stream_version("a") == 2
    assert await store.stream_version("missing") == 0
    assert await store.head_position() == 4


async def test_no_stream_expectation_refuses_an_existing_stream(store: EventStore) -> None:
    await store.append(StreamAppend("trial-1", [created()], NO_STREAM))
    with pytest.raises(WrongExpectedVersion) as raised:
        await store.append(StreamAppend("trial-1", [created("again")], NO_STREAM))
    assert (raised.value.stream_id, raised.value.expected, raised.value.actual) == (
        "trial-1",
        NO_STREAM,
        1,
    )
    assert "trial-1" in str(raised.value)
    assert "version 1" in str(raised.value)
    assert await store.head_position() == 1, "a conflict writes nothing"


async def test_stale_exact_version_is_a_conflict_not_an_overwrite(store: EventStore) -> None:
    await store.append(StreamAppend("s", [created()]))
    await store.append(StreamAppend("s", [created("second")], expected_version=1))
    with pytest.raises(WrongExpectedVersion) as raised:
        await store.append(StreamAppend("s", [created("stale")], expected_version=1))
    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert [e.data["title"] for e in await store.read_stream("s")] == ["Trial A", "second"]


async def test_exact_version_zero_means_the_stream_is_new(store: EventStore) -> None:
    await store.append(StreamAppend("s", [created()], expected_version=0))
    with pytest.raises(WrongExpectedVersion):
        await store.append(StreamAppend("s", [created()], expected_version=0))


async def test_any_version_always_appends(store: EventStore) -> None:
    for _ in range(3):
        await store.append(StreamAppend("s", [created()], ANY))
    assert await store.stream_version("s") == 3


async def test_multi_stream_append_is_all_or_nothing(store: EventStore) -> None:
    await store.append(StreamAppend("amendment-1", [created()]))
    with pytest.raises(WrongExpectedVersion) as raised:
        await store.append(
            StreamAppend("protocol-1", [created()], NO_STREAM),
            StreamAppend("amendment-1", [created()], expected_version=5),
        )
    assert raised.value.stream_id == "amendment-1"
    assert await store.stream_version("protocol-1") == 0
    assert await store.head_position() == 1
    result = await store.append(
        StreamAppend("protocol-1", [created()], NO_STREAM),
        StreamAppend("amendment-1", [created()], expected_version=1),
    )
    assert result.stream_versions == {"protocol-1": 1, "amendment-1": 2}
    assert (result.first_position, result.last_position) == (2, 3)


async def test_a_retried_append_with_its_key_returns_the_original_result(store: EventStore) -> None:
    append = StreamAppend("s", [created(), created("two")], NO_STREAM)
    first = await store.append(append, idempotency_key="req-1", meta={"request_id": "a"})
    await store.append(StreamAppend("other", [created()]))
    retry = await store.append(append, idempotency_key="req-1", meta={"request_id": "b"})
    assert retry.replayed
    assert not first.replayed
    assert (retry.first_position, retry.last_position) == (
        first.first_position,
        first.last_position,
    )
    assert retry.stream_versions == first.stream_versions
    assert await store.head_position() == 3, "the retry wrote nothing"


async def test_a_key_reused_for_different_events_is_refused(store: EventStore) -> None:
    await store.append(StreamAppend("s", [created()]), idempotency_key="req-1")
    with pytest.raises(IdempotencyKeyReused):
        await store.append(StreamAppend("s", [created("different")]), idempotency_key="req-1")
    assert await store.head_position() == 1


DIGEST = "a" * 64


async def test_a_request_digest_recognises_a_retry_whose_events_differ(store: EventStore) -> None:
    first = await store.append(
        StreamAppend("s", [created("one")]), idempotency_key="k", request_digest=DIGEST
    )
    # Decided again, the retry chose another value (a new id, a later time): same request.
    retry = await store.append(
        StreamAppend("s", [created("two")]), idempotency_key="k", request_digest=DIGEST
    )
    assert retry.replayed
    assert (retry.first_position, retry.stream_versions) == (first.first_position, {"s": 1})
    assert [e.data["title"] for e in await store.read_stream("s")] == ["one"]


async def test_a_key_with_another_request_digest_is_refused_though_the_events_match(
    store: EventStore,
) -> None:
    await store.append(StreamAppend("s", [created()]), idempotency_key="k", request_digest=DIGEST)
    with pytest.raises(IdempotencyKeyReused):
        await store.append(
            StreamAppend("s", [created()]), idempotency_key="k", request_digest="b" * 64
        )
    assert await store.head_position() == 1


async def test_a_used_key_can_be_looked_up_before_deciding(store: EventStore) -> None:
    assert await store.keyed_append("k") is None
    await store.append(StreamAppend("other", [created()]))
    first = await store.append(
        StreamAppend("s", [created(), created()]), idempotency_key="k", request_digest=DIGEST
    )
    keyed = await store.keyed_append("k")
    assert keyed is not None
    assert keyed.digest == DIGEST
    assert keyed.result.replayed
    assert (keyed.result.first_position, keyed.result.last_position) == (2, 3)
    assert keyed.result.stream_versions == first.stream_versions
    refused = store.queue(StreamAppend("s", [created()], NO_STREAM), idempotency_key="r")
    with pytest.raises(WrongExpectedVersion):
        await refused
    assert await store.keyed_append("r") is None, "a refused append leaves its key unused"


@pytest.mark.parametrize(
    ("key", "digest"), [(None, DIGEST), ("k", "A" * 64), ("k", "a" * 63), ("k", "")]
)
async def test_a_malformed_request_digest_is_refused_before_queueing(
    store: EventStore, key: str | None, digest: str
) -> None:
    with pytest.raises(ValueError, match="digest"):
        store.queue(StreamAppend("s", [created()]), idempotency_key=key, request_digest=digest)
    assert await store.head_position() == 0


async def test_concurrent_retries_with_one_key_write_once(store: EventStore) -> None:
    append = StreamAppend("s", [created()])
    results = await asyncio.gather(*(store.append(append, idempotency_key="k") for _ in range(8)))
    assert {(r.first_position, r.last_position) for r in results} == {(1, 1)}
    assert sum(not r.replayed for r in results) == 1
    assert await store.head_position() == 1


async def test_a_conflict_in_one_caller_does_not_fail_its_neighbours(store: EventStore) -> None:
    await store.append(StreamAppend("s", [created()]))
    outcomes = await asyncio.gather(
        store.append(StreamAppend("x", [created()])),
        store.append(StreamAppend("s", [created()], NO_STREAM)),
        store.append(StreamAppend("y", [created()])),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], WrongExpectedVersion)
    assert not isinstance(outcomes[0], BaseException)
    assert not isinstance(outcomes[2], BaseException)
    assert await store.head_position() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"dose": 2.5}, "floats are not allowed"),
        ({"n": 2**60}, "outside the safe range"),
        ({"when": datetime.now(UTC)}, "not a JSON value"),
        ({1: "x"}, "keys must be strings"),
        ({"text": "\ud800"}, "UTF-8"),
    ],
)
async def test_data_that_is_not_canonical_json_is_refused_before_writing(
    store: EventStore, data: dict[object, object], message: str
) -> None:
    with pytest.raises(NotCanonicalJson, match=message):
        await store.append(StreamAppend("s", [NewEvent("E", data)]))  # type: ignore[arg-type]
    assert await store.head_position() == 0


async def test_malformed_appends_are_refused(store: EventStore) -> None:
    with pytest.raises(ValueError, match="at least one event"):
        StreamAppend("s", [])
    with pytest.raises(ValueError, match="stream id"):
        StreamAppend("", [created()])
    with pytest.raises(ValueError, match="appears twice"):
        await store.append(StreamAppend("s", [created()]), StreamAppend("s", [created()]))
    with pytest.raises(ValueError, match="at least one stream"):
        await store.append()
    assert await store.head_position() == 0


async def test_acknowledged_appends_survive_closing_and_reopening(url: str) -> None:
    from events import open_store

    store = await open_store(url)
    pending = [
        asyncio.ensure_future(store.append(StreamAppend(f"s{i}", [created()]))) for i in range(50)
    ]
    await asyncio.gather(*pending)
    await store.close()
    reopened = await open_store(url)
    try:
        assert await reopened.head_position() == 50
        assert (await reopened.verify()).ok
    finally:
        await reopened.close()
