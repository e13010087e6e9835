"""One group commit: many callers' appends checked and written in one transaction.

The caller side (:func:`prepare_append`) validates and encodes in the caller's task, so a
bad event fails there and never reaches the writer. The writer side
(:func:`write_appends`) decides a batch on what a :class:`LogAccess` reads and hands it
the rows to insert. The SQLite writer thread runs it inside a transaction holding the
write lock; the PostgreSQL writer runs it on the state it remembers, without I/O, then
sends the rows in one call that writes them only if that state still holds under the lock.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from events.canonical import (
    GENESIS_HASH,
    canonical_json,
    envelope_hash,
    format_timestamp,
)
from events.envelope import AppendResult, ExpectedVersion, StreamAppend, StreamState
from events.errors import (
    EarlierAppendFailed,
    EventStoreError,
    IdempotencyKeyReused,
    WrongExpectedVersion,
)
from events.queueing import AppendTicket

MAX_IDEMPOTENCY_KEY_LENGTH = 200
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    type: str
    schema_version: int
    data_json: str
    meta_json: str


@dataclass(frozen=True, slots=True)
class PreparedStream:
    stream_id: str
    expected_version: ExpectedVersion
    events: tuple[PreparedEvent, ...]


@dataclass(frozen=True, slots=True)
class AppendRequest:
    """A validated, encoded append, ready for the writer."""

    streams: tuple[PreparedStream, ...]
    idempotency_key: str | None
    digest: str
    """With a key: what recognises a faithful retry, the caller's request digest if it gave
    one, else SHA-256 of the appended content (not the meta). Empty without a key."""
    after: tuple[AppendTicket, ...] = ()
    """Earlier appends this one may only be written after (each must have been written)."""
    ticket: AppendTicket = field(default_factory=AppendTicket)
    """Where the writer records whether this append was written."""

    @property
    def event_count(self) -> int:
        return sum(len(stream.events) for stream in self.streams)


def prepare_append(
    streams: Sequence[StreamAppend],
    meta: Mapping[str, Any] | None,
    idempotency_key: str | None,
    after: Sequence[AppendTicket] = (),
    request_digest: str | None = None,
) -> AppendRequest:
    """Validate and canonically encode an append; raises ValueError for a malformed one.

    ``request_digest`` (64 lowercase hex digits, a SHA-256) replaces the content digest as
    what recognises a retry of ``idempotency_key``: for a caller that decides the events
    again on each attempt, so that a retry's events may differ from the first's."""
    if not streams:
        raise ValueError("an append needs at least one stream")
    seen: set[str] = set()
    prepared: list[PreparedStream] = []
    for stream in streams:
        if stream.stream_id in seen:
            raise ValueError(f"stream {stream.stream_id!r} appears twice in one append")
        seen.add(stream.stream_id)
        prepared_events = []
        for event in stream.events:
            event_meta = {**meta, **event.meta} if meta else event.meta
            prepared_events.append(
                PreparedEvent(
                    type=event.type,
                    schema_version=event.schema_version,
                    data_json=canonical_json(event.data, what=f"{event.type}.data"),
                    meta_json=canonical_json(event_meta, what=f"{event.type}.meta"),
                )
            )
        prepared.append(
            PreparedStream(stream.stream_id, stream.expected_version, tuple(prepared_events))
        )
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValueError(f"an idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters")
    if request_digest is not None:
        if idempotency_key is None:
            raise ValueError("a request digest needs an idempotency key")
        if not _SHA256_HEX.fullmatch(request_digest):
            raise ValueError("a request digest must be 64 lowercase hex digits (a SHA-256)")
    digest = ""
    if request_digest is not None:
        digest = request_digest
    elif idempotency_key is not None:
        content = [
            [s.stream_id, [[e.type, e.schema_version, e.data_json] for e in s.events]]
            for s in prepared
        ]
        digest = hashlib.sha256(canonical_json(content).encode()).hexdigest()
    return AppendRequest(tuple(prepared), idempotency_key, digest, tuple(after))


Outcome = AppendResult | EventStoreError

EVENT_COLUMNS = (
    "position", "stream_id", "stream_version", "type", "schema_version",
    "data", "meta", "recorded_at", "prev_hash", "hash",
)  # fmt: skip
APPEND_COLUMNS = (
    "idempotency_key", "request_digest", "first_position", "last_position", "stream_versions",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LogHead:
    position: int
    hash: str
    recorded_at: str


EMPTY_LOG = LogHead(0, GENESIS_HASH, "")


class LogAccess(Protocol):
    """What a group commit reads and writes, on a state no other writer can change before
    the rows are written (the write lock is held, or is checked before writing).

    Rows are tuples in the order of ``EVENT_COLUMNS`` and ``APPEND_COLUMNS``.
    """

    def head(self) -> LogHead: ...

    def stream_versions(self, stream_ids: set[str]) -> dict[str, int]:
        """Current version of each named stream that exists."""
        ...

    def stored_appends(self, keys: set[str]) -> dict[str, tuple[str, AppendResult]]:
        """Digest and replayed result of each idempotency key already used."""
        ...

    def insert(
        self, event_rows: list[tuple[Any, ...]], append_rows: list[tuple[Any, ...]]
    ) -> None: ...


def stored_append(row: Sequence[Any]) -> tuple[str, AppendResult]:
    """Decode an ``appends`` row (APPEND_COLUMNS order) into (digest, replayed result)."""
    _, digest, first, last, versions = row
    return digest, AppendResult(first, last, json.loads(versions), replayed=True)


def _expectation_met(expected: ExpectedVersion, actual: int) -> bool:
    if expected is StreamState.ANY:
        return True
    if expected is StreamState.NO_STREAM:
        return actual == 0
    return expected == actual


def write_appends(
    log: LogAccess, requests: Sequence[AppendRequest], now: Callable[[], datetime]
) -> list[Outcome]:
    """Write every request whose expectations hold; return one outcome per request.

    Precondition: ``log`` is in a transaction holding the log's write lock, so no other
    writer can assign positions until it commits. Requests are decided in order, each
    seeing the ones before it, exactly as if they had been appended one by one. A request
    whose ``after`` names an append that was not written (in this batch or an earlier
    one) is refused with :class:`EarlierAppendFailed`; so is one whose ``after`` names a
    replayed append, which wrote nothing now (see :func:`was_written`).
    """
    head = log.head()
    versions = log.stream_versions({s.stream_id for r in requests for s in r.streams})
    keys = {r.idempotency_key for r in requests if r.idempotency_key is not None}
    known_keys = log.stored_appends(keys) if keys else {}
    # Time never runs backwards in the log, so "the last position at time T" is well defined.
    recorded_at = max(format_timestamp(now()), head.recorded_at)
    position, prev_hash = head.position, head.hash
    event_rows: list[tuple[Any, ...]] = []
    append_rows: list[tuple[Any, ...]] = []
    outcomes: list[Outcome] = []
    written_here: dict[AppendTicket, bool] = {}
    for index, request in enumerate(requests):
        if index:  # the previous request's fate, for those queued after it
            written_here[requests[index - 1].ticket] = was_written(outcomes[-1])
        if not all(written_here.get(earlier, earlier.written) for earlier in request.after):
            first = request.streams[0]
            actual = versions.get(first.stream_id, 0)
            outcomes.append(EarlierAppendFailed(first.stream_id, first.expected_version, actual))
            continue
        key = request.idempotency_key
        if key is not None and key in known_keys:
            digest, result = known_keys[key]
            outcomes.append(result if digest == request.digest else IdempotencyKeyReused(key))
            continue
        conflict = next(
            (
                WrongExpectedVersion(s.stream_id, s.expected_version, versions.get(s.stream_id, 0))
                for s in request.streams
                if not _expectation_met(s.expected_version, versions.get(s.stream_id, 0))
            ),
            None,
        )
        if conflict is not None:
            outcomes.append(conflict)
            continue
        first_position = position + 1
        for stream in request.streams:
            version = versions.get(stream.stream_id, 0)
            for event in stream.events:
                version += 1
                position += 1
                digest_hex = envelope_hash(
                    position=position,
                    stream_id=stream.stream_id,
                    stream_version=version,
                    type=event.type,
                    schema_version=event.schema_version,
                    data_json=event.data_json,
                    meta_json=event.meta_json,
                    recorded_at=recorded_at,
                    prev_hash=prev_hash,
                )
                event_rows.append((
                    position, stream.stream_id, version, event.type, event.schema_version,
                    event.data_json, event.meta_json, recorded_at, prev_hash, digest_hex,
                ))  # fmt: skip
                prev_hash = digest_hex
            versions[stream.stream_id] = version
        result = AppendResult(
            first_position, position, {s.stream_id: versions[s.stream_id] for s in request.streams}
        )
        outcomes.append(result)
        if key is not None:
            known_keys[key] = (
                request.digest,
                AppendResult(
                    result.first_position,
                    result.last_position,
                    result.stream_versions,
                    replayed=True,
                ),
            )
            append_rows.append((
                key, request.digest, result.first_position, result.last_position,
                canonical_json(dict(result.stream_versions)),
            ))  # fmt: skip
    log.insert(event_rows, append_rows)
    return outcomes


def record_written(
    requests: Sequence[AppendRequest], outcomes: Sequence[Outcome | BaseException]
) -> None:
    """Mark each request's ticket once its outcome is final (its transaction committed, or
    it failed), so that appends queued after it can be decided."""
    for request, outcome in zip(requests, outcomes, strict=True):
        request.ticket.written = was_written(outcome)


def was_written(outcome: Outcome | BaseException) -> bool:
    """Whether an append's own events were written by it. A replay (the key's earlier
    result) wrote nothing: what was queued after it was decided on events this attempt
    would have written, and their state never came to be (the log holds the earlier
    attempt's events, and perhaps more after them)."""
    return isinstance(outcome, AppendResult) and not outcome.replayed
