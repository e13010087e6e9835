"""PostgreSQL: asyncpg through SQLAlchemy's async engine; a writer task group-commits.

Positions are gap-free and in commit order because every append transaction first takes
``LOCK TABLE events IN EXCLUSIVE MODE`` (see docs/event-store.md for why this and not a
sequence with a transaction-id horizon). Readers are never blocked by that lock.
Subscribers are woken by LISTEN/NOTIFY used as a payload-free doorbell, with a bounded
poll as the fallback when the listening connection is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from events.appending import (
    AppendRequest,
    CoreLogAccess,
    Outcome,
    record_written,
    write_appends,
)
from events.database_url import async_url
from events.doorbell import Doorbell
from events.envelope import AppendResult
from events.sql_store import Backend

T = TypeVar("T")

CHANNEL = "concord_events"
MAX_BATCH_REQUESTS = 1000
MAX_BATCH_EVENTS = 20_000
LISTENER_RETRY_SECONDS = 1.0

log = logging.getLogger(__name__)

_Pending = tuple[AppendRequest, "asyncio.Future[AppendResult]"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PostgresBackend(Backend):
    poll_interval = 1.0

    def __init__(
        self, url: str | URL, *, pool_size: int = 10, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self.doorbell = Doorbell()
        self._clock = clock
        self._engine: AsyncEngine = create_async_engine(
            async_url(url), pool_size=pool_size, max_overflow=pool_size
        )
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._closed = False

    def enqueue(self, request: AppendRequest) -> asyncio.Future[AppendResult]:
        if self._closed:
            raise RuntimeError("the event store is closed")
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_forever(), name="concord-write")
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((request, future))
        return future

    async def run(self, query: Callable[[Connection], T]) -> T:
        self._ensure_listener()
        async with self._engine.connect() as conn:
            return await conn.run_sync(query)

    def _ensure_listener(self) -> None:
        if self._listener is None and not self._closed:
            self._listener = asyncio.create_task(self._listen_forever(), name="concord-listen")

    async def _listen_forever(self) -> None:
        """Keep one connection LISTENing; ring the doorbell on every notification.

        When the connection drops, ring once (something may have been missed) and retry;
        meanwhile subscribers fall back to polling.
        """

        def on_notify(*_: Any) -> None:
            self.doorbell.ring()

        while True:
            try:
                async with self._engine.connect() as conn:
                    driver = await _asyncpg_connection(conn)
                    await driver.add_listener(CHANNEL, on_notify)
                    closed = asyncio.Event()
                    driver.add_termination_listener(lambda *_, done=closed: done.set())
                    self.doorbell.ring()
                    await closed.wait()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be restarting; polling covers the gap
                log.warning("event doorbell connection lost; retrying", exc_info=True)
            self.doorbell.ring()
            await asyncio.sleep(LISTENER_RETRY_SECONDS)

    async def _next_batch(self) -> list[_Pending] | None:
        first = await self._queue.get()
        if first is None:
            return None
        batch, events = [first], first[0].event_count
        while len(batch) < MAX_BATCH_REQUESTS and events < MAX_BATCH_EVENTS:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if item is None:  # close() was called: finish this batch, then stop
                self._queue.put_nowait(None)
                break
            batch.append(item)
            events += item[0].event_count
        return batch

    async def _write_forever(self) -> None:
        while (batch := await self._next_batch()) is not None:
            committed: list[tuple[Any, ...]] = []
            outcomes = await self._commit([request for request, _ in batch], committed)
            if committed and self.committed is not None:
                self.committed(committed)
            self.doorbell.ring()
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def _commit(
        self, requests: list[AppendRequest], committed: list[tuple[Any, ...]]
    ) -> list[Outcome | BaseException]:
        """Commit the batch, adding the event rows written to ``committed``; if the
        transaction fails, retry one by one so a single bad request cannot fail its
        neighbours."""
        accesses: list[CoreLogAccess] = []

        def write(sync: Connection) -> list[Outcome]:
            accesses.append(CoreLogAccess(sync))
            return write_appends(accesses[-1], requests, self._clock)

        try:
            async with self._engine.begin() as conn:
                await conn.exec_driver_sql("LOCK TABLE events IN EXCLUSIVE MODE")
                outcomes: list[Outcome | BaseException] = list(await conn.run_sync(write))
                await conn.exec_driver_sql(f"SELECT pg_notify('{CHANNEL}', '')")
            committed.extend(accesses[-1].inserted)
        except Exception as error:
            if len(requests) > 1:
                return [(await self._commit([request], committed))[0] for request in requests]
            outcomes = [error]
        record_written(requests, outcomes)
        return outcomes

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:  # let everything queued commit, then stop
            self._queue.put_nowait(None)
            await self._writer
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._engine.dispose()


async def _asyncpg_connection(conn: AsyncConnection) -> Any:
    raw = await conn.get_raw_connection()
    return raw.driver_connection
