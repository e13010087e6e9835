"""The SQLAlchemy event store: one implementation of the contract for SQLite and PostgreSQL.

What differs between the two databases (how the write lock is taken, where statements
run, what rings the doorbell) lives in a :class:`Backend`; every query is shared.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from events import reading
from events.appending import AppendRequest, prepare_append, stored_append
from events.doorbell import Doorbell
from events.envelope import AppendResult, RecordedEvent, StreamAppend
from events.personal_data import PersonalKeys
from events.queueing import QueuedAppend
from events.recent import RecentEvents
from events.schema import appends
from events.store import EventStore, KeyedAppend
from events.upcasting import Upcasters
from events.verification import StoredEnvelope

T = TypeVar("T")

SUBSCRIPTION_PAGE = 500


class Backend(abc.ABC):
    """Where the shared queries run, and how appends are group-committed."""

    doorbell: Doorbell
    poll_interval: float
    """Longest a subscriber waits before re-reading when no ring comes (the fallback)."""
    committed: Callable[[list[tuple[Any, ...]]], None] | None = None
    """Called by the writer with the event rows (``EVENT_COLUMNS`` order) of each batch
    once it has committed, before the doorbell rings; set by the store."""

    @abc.abstractmethod
    def enqueue(self, request: AppendRequest) -> asyncio.Future[AppendResult]:
        """Queue the request for the next group commit, now; the future settles with its
        outcome once durable. Requests are written in the order they were queued."""

    @abc.abstractmethod
    async def run(self, query: Callable[[Connection], T]) -> T:
        """Run a read-only query function on a connection."""

    @abc.abstractmethod
    async def close(self) -> None: ...


class SqlEventStore(EventStore):
    def __init__(self, backend: Backend, upcasters: Upcasters | None = None) -> None:
        self._backend = backend
        self._upcasters = upcasters or Upcasters()
        self._personal = PersonalKeys(backend.run)
        decode = partial(reading.decode, upcasters=self._upcasters, personal=self._personal)
        self._recent = RecentEvents(decode)
        backend.committed = self._recent.publish
        self._byte_order: bool | None = None
        """Whether the database compares stream ids byte by byte (asked once)."""

    @property
    def personal_data(self) -> PersonalKeys:
        return self._personal

    def queue(
        self,
        *streams: StreamAppend,
        meta: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        after: Iterable[QueuedAppend] = (),
        request_digest: str | None = None,
    ) -> QueuedAppend:
        tickets = [queued.ticket for queued in after]
        request = prepare_append(streams, meta, idempotency_key, tickets, request_digest)
        return QueuedAppend(request.ticket, self._backend.enqueue(request))

    async def keyed_append(self, idempotency_key: str) -> KeyedAppend | None:
        def query(conn: Connection) -> KeyedAppend | None:
            row = conn.execute(
                select(appends).where(appends.c.idempotency_key == idempotency_key)
            ).first()
            return None if row is None else KeyedAppend(*stored_append(row))

        return await self._backend.run(query)

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        return await self._backend.run(
            partial(
                reading.read_stream,
                stream_id=stream_id,
                from_version=from_version,
                limit=limit,
                upcasters=self._upcasters,
                personal=self._personal,
            )
        )

    async def stream_version(self, stream_id: str) -> int:
        return await self._backend.run(partial(reading.stream_version, stream_id=stream_id))

    async def read_all(
        self,
        *,
        after: int = 0,
        until: int | None = None,
        limit: int = 1000,
        types: Iterable[str] | None = None,
        under: str | None = None,
    ) -> list[RecordedEvent]:
        log_filter = reading.LogFilter.of(types, under)
        return await self._read_filtered(after, until, limit, log_filter)

    async def _read_filtered(
        self, after: int, until: int | None, limit: int, log_filter: reading.LogFilter
    ) -> list[RecordedEvent]:
        byte_order = log_filter.under is not None and await self._ids_in_byte_order()
        return await self._backend.run(
            partial(
                reading.read_all,
                after=after,
                until=until,
                limit=limit,
                log_filter=log_filter,
                upcasters=self._upcasters,
                byte_order=byte_order,
                personal=self._personal,
            )
        )

    async def _ids_in_byte_order(self) -> bool:
        if self._byte_order is None:
            self._byte_order = await self._backend.run(reading.ids_in_byte_order)
        return self._byte_order

    async def head_position(self) -> int:
        return await self._backend.run(reading.head_position)

    async def position_at(self, moment: datetime) -> int:
        return await self._backend.run(partial(reading.position_at, moment=moment))

    async def read_stored(
        self, *, after: int = 0, until: int | None = None, limit: int = 1000
    ) -> list[StoredEnvelope]:
        return await self._backend.run(
            partial(reading.read_stored, after=after, until=until, limit=limit)
        )

    async def subscribe(
        self,
        *,
        after: int = 0,
        types: Iterable[str] | None = None,
        under: str | None = None,
    ) -> AsyncGenerator[RecordedEvent, None]:
        # Positions become visible strictly in order (the writer holds the log's lock
        # from assigning a position until commit), so reading "after the last one seen"
        # can neither skip nor repeat. The doorbell only shortens the wait. What this
        # process committed last is taken from memory (events/recent.py): the same events.
        log_filter = reading.LogFilter.of(types, under)
        doorbell = self._backend.doorbell
        position = after
        while True:
            ticket = doorbell.ticket()
            recent = self._recent.after(position, SUBSCRIPTION_PAGE)
            if recent is not None:
                for event in recent:
                    if log_filter.matches(event):
                        yield event
                position = recent[-1].position
                full = len(recent) == SUBSCRIPTION_PAGE
            else:
                page = await self._read_filtered(position, None, SUBSCRIPTION_PAGE, log_filter)
                for event in page:
                    yield event
                if page:
                    position = page[-1].position
                full = len(page) == SUBSCRIPTION_PAGE
            if not full:
                await doorbell.wait(ticket, self._backend.poll_interval)

    def forget_recent(self) -> None:
        self._recent.clear()

    async def close(self) -> None:
        await self._backend.close()
