"""Errors the event store raises for a caller's mistake or a lost race."""

from __future__ import annotations

from events.envelope import ExpectedVersion, StreamState


class EventStoreError(Exception):
    """Base of the store's own errors."""


def _describe(expected: ExpectedVersion) -> str:
    if isinstance(expected, StreamState):
        return "no stream" if expected is StreamState.NO_STREAM else "any version"
    return f"version {expected}"


class WrongExpectedVersion(EventStoreError):
    """A stream was not at the version the caller expected; nothing was written."""

    def __init__(self, stream_id: str, expected: ExpectedVersion, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, expected {_describe(expected)}"
        )


class IdempotencyKeyReused(EventStoreError):
    """An idempotency key came back with different events than its first use."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used for a different append")
