"""The values that go into the log and come out of it."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from events.canonical import ensure_utf8

MAX_NAME_LENGTH = 200


class StreamState(enum.Enum):
    """Expectations about a stream that are not an exact version."""

    ANY = "any"
    """Append whatever the stream's version is."""
    NO_STREAM = "no_stream"
    """The stream must not exist yet (same as the exact version 0)."""


ANY = StreamState.ANY
NO_STREAM = StreamState.NO_STREAM

ExpectedVersion = int | StreamState
"""``ANY``, ``NO_STREAM`` or the exact current version (0 for an empty stream)."""


def _check_name(value: str, what: str) -> None:
    if not value or len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"{what} must be 1 to {MAX_NAME_LENGTH} characters, got {value!r}")
    ensure_utf8(value, what=what)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: the caller's part of the envelope."""

    type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_name(self.type, "event type")
        if self.schema_version < 1:
            raise ValueError(f"schema_version must be at least 1, got {self.schema_version}")


@dataclass(frozen=True, slots=True)
class StreamAppend:
    """Events for one stream, with what the caller expects the stream's version to be."""

    stream_id: str
    events: Sequence[NewEvent]
    expected_version: ExpectedVersion = ANY

    def __post_init__(self) -> None:
        _check_name(self.stream_id, "stream id")
        if not self.events:
            raise ValueError(f"an append to {self.stream_id!r} needs at least one event")
        if isinstance(self.expected_version, int) and self.expected_version < 0:
            raise ValueError(f"expected version must be 0 or more, got {self.expected_version}")


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append landed; a retried idempotent append returns the original result."""

    first_position: int
    last_position: int
    stream_versions: Mapping[str, int]
    """The version of each appended stream after the append."""
    replayed: bool = False
    """True when this is the stored result of an earlier append with the same key."""


class RecordedEvent(NamedTuple):
    """An event as the log holds it (after upcasting to its newest shape).

    A named tuple rather than a frozen dataclass: reading the log builds one per event,
    and a frozen dataclass's constructor (one ``object.__setattr__`` per field) was half
    of the cost of decoding an event."""

    position: int
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    meta: dict[str, Any]
    recorded_at: datetime
    prev_hash: str
    hash: str
