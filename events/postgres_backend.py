"""PostgreSQL: asyncpg through SQLAlchemy's async engine; a writer task group-commits.

Positions are gap-free and in commit order because every append transaction first takes
``LOCK TABLE events IN EXCLUSIVE MODE`` (see docs/event-store.md for why this and not a
sequence with a transaction-id horizon). Readers are never blocked by that lock. The
writer decides each batch on the head and stream versions it last saw and sends it in
one call of the server-side function ``concord_append`` (migration 0005), which takes the
lock and writes only if the head has not moved since: one round trip per group commit
while this process is the only writer.
Subscribers are woken by LISTEN/NOTIFY used as a payload-free doorbell, with a bounded
poll as the fallback when the listening connection is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from events.appending import (
    EMPTY_LOG,
    AppendRequest,
    LogHead,
    Outcome,
    record_written,
    stored_append,
    write_appends,
)
from events.canonical import GENESIS_HASH
from events.database_url import async_url
from events.doorbell import Doorbell
from events.envelope import AppendResult
from events.sql_store import Backend

T = TypeVar("T")

CHANNEL = "concord_events"
MAX_BATCH_REQUESTS = 1000
MAX_BATCH_EVENTS = 20_000
LISTENER_RETRY_SECONDS = 1.0
OPTIMISTIC_ATTEMPTS = 2
"""Calls of ``concord_append`` on a remembered state before a batch is decided under the
lock (another process kept moving the head)."""
MAX_CACHED_STREAMS = 100_000

_LOG_STATE = "SELECT concord_log_state($1, $2)"
_APPEND = f"SELECT concord_append({', '.join(f'${n}' for n in range(1, 20))})"

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
        self._log = _RememberedLog()
        self._writer: asyncio.Task[None] | None = None
        self._writer_connection: tuple[AsyncConnection, Any] | None = None
        self._writer_pid: int | None = None
        """The writer connection's server process: its notifications are not rung again."""
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

        def on_notify(_connection: Any, pid: int, *_: Any) -> None:
            # The writer rings for its own commits once this process's subscribers can
            # take them from memory; ringing on its NOTIFY too, which can arrive first,
            # would send them to read the database for what is about to be in memory.
            if pid != self._writer_pid:
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
        try:
            driver = await self._writer_driver()
            outcomes, rows = await self._write(driver, requests)
            committed.extend(rows)
        except Exception as error:
            self._log.forget()  # the write may or may not have committed
            await self._drop_broken_writer_connection()
            if len(requests) > 1:
                return [(await self._commit([request], committed))[0] for request in requests]
            outcomes = [error]
        record_written(requests, outcomes)
        return outcomes

    async def _writer_driver(self) -> Any:
        """The writer's own asyncpg connection, kept between batches."""
        if self._writer_connection is None:
            connection = await self._engine.connect()
            self._writer_connection = (connection, await _asyncpg_connection(connection))
            self._writer_pid = self._writer_connection[1].get_server_pid()
        return self._writer_connection[1]

    async def _drop_broken_writer_connection(self) -> None:
        if self._writer_connection is None:
            return
        connection, driver = self._writer_connection
        if driver.is_closed() or driver.is_in_transaction():
            self._writer_connection = self._writer_pid = None
            # Whatever failed here must not stop the writer: the next batch reconnects.
            with contextlib.suppress(Exception):
                await connection.invalidate()
                await connection.close()

    async def _write(
        self, driver: Any, requests: list[AppendRequest]
    ) -> tuple[list[Outcome | BaseException], list[tuple[Any, ...]]]:
        """Decide the batch on the log as this process last saw it and write it with one
        ``concord_append`` call, which refuses (writing nothing) if the head has moved or
        an idempotency key thought unused was used meanwhile, and returns the log's state
        instead. After two refusals, decide it inside a transaction holding the lock."""
        stream_ids = {s.stream_id for r in requests for s in r.streams}
        keys = {r.idempotency_key for r in requests if r.idempotency_key is not None}
        known: dict[str, tuple[str, AppendResult]] = {}
        if not self._log.covers(stream_ids):
            state = await driver.fetchval(_LOG_STATE, list(stream_ids), list(keys))
            known.update(self._log.load(state, stream_ids))
        for _ in range(OPTIMISTIC_ATTEMPTS):
            staged = self._log.stage(known)
            outcomes: list[Outcome | BaseException] = list(
                write_appends(staged, requests, self._clock)
            )
            state = await driver.fetchval(
                _APPEND, *staged.arguments(stream_ids, keys - known.keys())
            )
            if state is None:
                self._log.written(staged)
                return outcomes, staged.event_rows
            known.update(self._log.load(state, stream_ids))
        async with driver.transaction():
            # Under the lock until commit: the state read here cannot move.
            state = await driver.fetchval(_APPEND, *_Staged.lock_only(stream_ids, keys))
            known.update(self._log.load(state, stream_ids))
            staged = self._log.stage(known)
            outcomes = list(write_appends(staged, requests, self._clock))
            state = await driver.fetchval(_APPEND, *staged.arguments(stream_ids, set()))
            if state is not None:
                raise RuntimeError("the log moved while this writer held its lock")
        self._log.written(staged)
        return outcomes, staged.event_rows

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:  # let everything queued commit, then stop
            self._queue.put_nowait(None)
            await self._writer
        if self._writer_connection is not None:
            await self._writer_connection[0].close()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._engine.dispose()


async def _asyncpg_connection(conn: AsyncConnection) -> Any:
    raw = await conn.get_raw_connection()
    return raw.driver_connection


@dataclass(slots=True)
class _Staged:
    """:class:`events.appending.LogAccess` for one attempt at a batch: the state it is
    decided on, from memory, and the rows it would write."""

    log_head: LogHead
    versions: dict[str, int]
    """Read only: the versions of every stream in the batch (and maybe others)."""
    known: dict[str, tuple[str, AppendResult]]
    event_rows: list[tuple[Any, ...]] = field(default_factory=list)
    append_rows: list[tuple[Any, ...]] = field(default_factory=list)

    def head(self) -> LogHead:
        return self.log_head

    def stream_versions(self, stream_ids: set[str]) -> dict[str, int]:
        return {stream_id: self.versions[stream_id] for stream_id in stream_ids}

    def stored_appends(self, keys: set[str]) -> dict[str, tuple[str, AppendResult]]:
        return {key: self.known[key] for key in keys if key in self.known}

    def insert(self, event_rows: list[tuple[Any, ...]], append_rows: list[tuple[Any, ...]]) -> None:
        self.event_rows, self.append_rows = event_rows, append_rows

    def arguments(self, stream_ids: set[str], unused_keys: set[str]) -> list[Any]:
        """``concord_append``'s arguments: the head this was decided on, what to report if
        it moved, the keys believed unused, then the rows column by column."""
        return [
            self.log_head.position,
            self.log_head.hash,
            list(stream_ids),
            list(unused_keys),
            *_columns(self.event_rows, 10),
            *_columns(self.append_rows, 5),
        ]

    @staticmethod
    def lock_only(stream_ids: set[str], keys: set[str]) -> list[Any]:
        """Arguments that take the lock and return the state (no head is at -1)."""
        return [-1, GENESIS_HASH, list(stream_ids), list(keys), *_columns([], 15)]


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


class _RememberedLog:
    """The head and stream versions as this process last saw them.

    Never trusted on its own: every write is checked by ``concord_append``, under the
    lock, against the head it was decided on. Positions are gap-free and the log is
    append-only, so an unmoved head means no stream has changed either.
    """

    def __init__(self) -> None:
        self._head: LogHead | None = None
        self._versions: dict[str, int] = {}

    def covers(self, stream_ids: set[str]) -> bool:
        return self._head is not None and stream_ids <= self._versions.keys()

    def load(
        self, state: dict[str, Any], stream_ids: set[str]
    ) -> dict[str, tuple[str, AppendResult]]:
        """Take the state ``concord_log_state`` returned (one snapshot; SQLAlchemy's
        asyncpg dialect decodes jsonb) and return the stored appends it names."""
        head = EMPTY_LOG if state["head"] is None else LogHead(*state["head"])
        if head != self._head or len(self._versions) > MAX_CACHED_STREAMS:
            self._versions.clear()
        self._head = head
        versions: dict[str, int] = state["versions"]
        self._versions.update({stream_id: versions.get(stream_id, 0) for stream_id in stream_ids})
        return {row[0]: stored_append(row) for row in state["appends"]}

    def stage(self, known: dict[str, tuple[str, AppendResult]]) -> _Staged:
        if self._head is None:
            raise RuntimeError("the log's state was not loaded")
        return _Staged(self._head, self._versions, known)

    def written(self, staged: _Staged) -> None:
        """Move to the state the committed batch left."""
        if staged.event_rows:
            # Column order is EVENT_COLUMNS: position 0, stream 1, version 2, time 7, hash 9.
            last = staged.event_rows[-1]
            self._head = LogHead(last[0], last[9], last[7])
            self._versions.update({row[1]: row[2] for row in staged.event_rows})

    def forget(self) -> None:
        self._head = None
        self._versions.clear()
