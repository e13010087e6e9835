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


class EarlierAppendFailed(WrongExpectedVersion):
    """An append queued ``after`` another was not written because that one was not: what it
    was decided on never came to be. Nothing was written; decide again on the log."""

    def __init__(self, stream_id: str, expected: ExpectedVersion, actual: int) -> None:
        super().__init__(stream_id, expected, actual)
        self.args = (
            f"an append queued before this one on {stream_id!r} was not written,"
            f" so this one was not either (the stream is at version {actual})",
        )


class IdempotencyKeyReused(EventStoreError):
    """An idempotency key came back with different events than its first use."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used for a different append")
