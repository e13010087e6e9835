"""The event store's contract. Every backend passes the same contract tests
(``tests/integration/events``)."""

from __future__ import annotations

import abc
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events.envelope import AppendResult, RecordedEvent, StreamAppend
from events.paging import paged
from events.personal_data import PersonalKeys
from events.queueing import QueuedAppend
from events.verification import ChainVerifier, StoredEnvelope, VerificationReport

VERIFY_PAGE = 5000


@dataclass(frozen=True, slots=True)
class KeyedAppend:
    """What an idempotency key was first used for."""

    digest: str
    """The request digest given with it, else the SHA-256 of the appended content."""
    result: AppendResult
    """Where that append landed (``replayed=True``)."""


class EventStore(abc.ABC):
    """An append-only log of events in streams, with global positions and a hash chain."""

    @property
    @abc.abstractmethod
    def personal_data(self) -> PersonalKeys:
        """The keys personal data is sealed under (:mod:`events.personal_data`): the
        store reveals sealed values when it decodes events, and erasing a subject's keys
        makes them read as erased."""

    async def append(
        self,
        *streams: StreamAppend,
        meta: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        request_digest: str | None = None,
    ) -> AppendResult:
        """Append events to one or more streams atomically.

        Either every event is written or none is. Each stream's ``expected_version`` is
        checked against its current version at commit time; if any does not hold, nothing
        is written and :class:`events.errors.WrongExpectedVersion` names the stream, the
        expected and the actual version. ``meta`` is merged under each event's own meta.

        Positions are global, gap-free and in commit order; ``recorded_at`` is the server's
        UTC clock at commit, never earlier than the previous event's. Once this returns,
        the events are durable.

        With an ``idempotency_key``, a retry of the same append (same streams, types and
        data) returns the original result with ``replayed=True`` and writes nothing; reusing
        the key for different content raises :class:`events.errors.IdempotencyKeyReused`.
        A caller that decides its events again on each attempt (new ids, new times) gives
        ``request_digest`` (64 lowercase hex digits: a SHA-256 of its request), which then
        recognises the retry instead of the content: same key and digest replay whatever
        the events, a different digest raises ``IdempotencyKeyReused``. The replay is
        decided in the writer's transaction, so concurrent retries write once. Only a
        written append uses its key: one refused (for any reason) leaves it unused.
        Data and meta must be canonical JSON (:class:`events.canonical.NotCanonicalJson`
        otherwise); a malformed append raises ValueError before anything is queued.
        Personal fields are sealed first (:attr:`personal_data`'s policy); :meth:`queue`
        takes events as they are (its caller seals them).
        """
        sealed = await self.personal_data.sealed(*streams)
        return await self.queue(
            *sealed, meta=meta, idempotency_key=idempotency_key, request_digest=request_digest
        )

    @abc.abstractmethod
    def queue(
        self,
        *streams: StreamAppend,
        meta: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        after: Iterable[QueuedAppend] = (),
        request_digest: str | None = None,
    ) -> QueuedAppend:
        """Put an append in the writer's queue now and return without waiting; awaiting
        the :class:`events.queueing.QueuedAppend` gives what :meth:`append` returns (or
        raises). Appends are written in the order they were queued on this store.

        ``after`` names appends queued earlier on this store: this one is written only if
        each of them was, else it fails with :class:`events.errors.EarlierAppendFailed`
        (a :class:`events.errors.WrongExpectedVersion`) and nothing of it is written. So a
        caller may decide an append on the state an earlier queued one will produce,
        expecting the version that one will leave, before it commits: if the earlier one
        is refused, the later one never lands on a state it was not decided on. A replayed
        earlier append (``replayed=True``) counts as not written: it wrote nothing now,
        so what was decided on its events never came to be either. Validation errors raise
        here, before anything is queued. Call it from the event loop.
        """

    @abc.abstractmethod
    async def keyed_append(self, idempotency_key: str) -> KeyedAppend | None:
        """The append written with ``idempotency_key`` (its digest and its result, with
        ``replayed=True``), or None while the key is unused. A caller can answer a retry
        from it without deciding again; the writer's own check still settles a race."""

    @abc.abstractmethod
    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        """Events of one stream in version order, from ``from_version`` on (upcast)."""

    @abc.abstractmethod
    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version: its event count, 0 if it does not exist."""

    @abc.abstractmethod
    async def read_all(
        self,
        *,
        after: int = 0,
        until: int | None = None,
        limit: int = 1000,
        types: Iterable[str] | None = None,
        under: str | None = None,
    ) -> list[RecordedEvent]:
        """Up to ``limit`` events with position greater than ``after`` (and at most
        ``until``, if given), in position order, optionally only of the given ``types``
        and of the stream ``under`` and the streams below it: a stream id matches when it
        equals ``under`` or continues it with ``/`` (``trial/t1`` matches
        ``trial/t1/protocol``, not ``trial/t10``). Events are upcast."""

    async def pages(
        self,
        *,
        after: int = 0,
        until: int | None = None,
        page_size: int = 1000,
        types: Iterable[str] | None = None,
        under: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncGenerator[list[RecordedEvent], None]:
        """The log after ``after`` up to and including ``until`` (default: the head when
        iteration starts), filtered as in :meth:`read_all`, in pages of at most
        ``page_size`` events, never an empty one. With ``read_ahead`` the next page is
        read while the caller works on this one; close the iterator (``contextlib.aclosing``)
        when stopping early, so that read is dropped."""
        end = await self.head_position() if until is None else until
        wanted = frozenset(types) if types is not None else None

        def read(start: int) -> Awaitable[list[RecordedEvent]]:
            return self.read_all(after=start, until=end, limit=page_size, types=wanted, under=under)

        reading = paged(read, after=after, until=end, page_size=page_size, read_ahead=read_ahead)
        async with aclosing(reading):
            async for page in reading:
                yield page

    @abc.abstractmethod
    async def head_position(self) -> int:
        """The position of the last committed event, 0 for an empty log."""

    @abc.abstractmethod
    async def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before ``moment`` (0 if none was)."""

    @abc.abstractmethod
    def subscribe(
        self,
        *,
        after: int = 0,
        types: Iterable[str] | None = None,
        under: str | None = None,
    ) -> AsyncGenerator[RecordedEvent, None]:
        """Every event after ``after`` (filtered as in :meth:`read_all`): first those
        already in the log, then each new one as it commits, forever.

        Each event is yielded exactly once and in position order, including events whose
        transaction began before a later one but committed after it. A subscriber that
        falls behind simply catches up; it holds no resources in the writer's path.
        """

    @abc.abstractmethod
    async def read_stored(
        self, *, after: int = 0, until: int | None = None, limit: int = 1000
    ) -> list[StoredEnvelope]:
        """Rows exactly as stored (no decoding, no upcasting), for verification and export:
        up to ``limit`` after ``after`` (and at most ``until``, if given)."""

    async def stored_pages(
        self, *, after: int = 0, until: int | None = None, page_size: int = 5000
    ) -> AsyncGenerator[list[StoredEnvelope], None]:
        """The rows after ``after`` up to and including ``until`` (default: the head when
        iteration starts) exactly as stored, a page at a time, as :meth:`pages` reads
        events."""
        end = await self.head_position() if until is None else until

        def read(start: int) -> Awaitable[list[StoredEnvelope]]:
            return self.read_stored(after=start, until=end, limit=page_size)

        reading = paged(read, after=after, until=end, page_size=page_size, read_ahead=False)
        async with aclosing(reading):
            async for page in reading:
                yield page

    async def verify(
        self, *, progress: Callable[[int, int], None] | None = None
    ) -> VerificationReport:
        """Recompute the hash chain up to the head; the report names the first position
        that does not match (None if the chain holds). ``progress(checked, head)`` is
        called after each page."""
        verifier = ChainVerifier()
        head = await self.head_position()
        async with aclosing(self.stored_pages(until=head, page_size=VERIFY_PAGE)) as pages:
            async for page in pages:
                for envelope in page:
                    if not verifier.feed(envelope):
                        return verifier.report()
                if progress is not None:
                    progress(page[-1].position, head)
        return verifier.report()

    def forget_recent(self) -> None:
        """Drop what the store keeps in memory of the events it committed last (the
        decoded batches a resuming subscriber reads instead of the database): after a
        personal data erasure they may hold names decoded before it. Nothing by default."""
        return

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop the writer after it has committed what it was given, and release connections."""

    async def __aenter__(self) -> EventStore:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
