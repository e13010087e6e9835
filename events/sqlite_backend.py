"""SQLite: one writer thread that group-commits, reads on a small thread pool.

Sending each statement through an async driver costs a thread hop per statement
(aiosqlite managed 865 commits/s here against 7,234/s for raw sqlite3), so the write path
is one thread that owns one synchronous SQLAlchemy connection, drains everything queued,
and commits it as one durable transaction. The API stays async: callers await a future
the writer settles after the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import QueuePool

from events.appending import (
    APPEND_COLUMNS,
    EMPTY_LOG,
    EVENT_COLUMNS,
    AppendRequest,
    LogHead,
    Outcome,
    record_written,
    stored_append,
    write_appends,
)
from events.doorbell import Doorbell
from events.envelope import AppendResult
from events.loop_waker import LoopWaker
from events.sql_store import Backend

T = TypeVar("T")

MAX_BATCH_REQUESTS = 1000
MAX_BATCH_EVENTS = 20_000
READER_THREADS = 4
MAX_CACHED_STREAMS = 100_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


def sqlite_engine(url: str | URL, *, pool_size: int) -> Engine:
    """A synchronous engine with durable commits (synchronous=FULL), in the driver's
    autocommit mode: reads are single statements, and the writer issues its own
    ``BEGIN IMMEDIATE`` so the write lock is taken before the log's head is read."""
    sync_url = make_url(url).set(drivername="sqlite")
    if sync_url.database in (None, "", ":memory:"):
        raise ValueError("the SQLite event store needs a database file, not :memory:")
    engine = create_engine(
        sync_url,
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=0,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # isolation_level=None stops pysqlite's own implicit BEGINs (see the docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


def use_write_ahead_log(engine: Engine) -> None:
    """Switch the file to WAL (persistent in the file). Done once, before the pools open:
    the switch needs the database to itself and does not wait for a busy one."""
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
    if mode != "wal":
        raise RuntimeError(f"could not switch the SQLite database to WAL mode (got {mode!r})")


_INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
)
_INSERT_APPEND = (
    f"INSERT INTO appends ({', '.join(APPEND_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(APPEND_COLUMNS))})"
)


class SqliteLogAccess:
    """:class:`events.appending.LogAccess` on the writer's raw sqlite3 connection.

    The writer's statements are few and fixed, and with one caller each append waits for
    its own commit, so SQLAlchemy's per-statement cost (~30 µs) would be a fifth of the
    budget; they go straight to the driver. All other queries use SQLAlchemy Core.

    The head and stream versions are cached between transactions and trusted only while
    ``PRAGMA data_version`` is unchanged, i.e. while no other connection has committed.
    """

    def __init__(self, dbapi_connection: sqlite3.Connection) -> None:
        self._db = dbapi_connection
        self._data_version: int | None = None
        self._head: LogHead | None = None
        self._versions: dict[str, int] = {}
        self._written: tuple[LogHead, dict[str, int]] | None = None
        self._inserted: list[tuple[Any, ...]] = []
        self._committed: list[tuple[Any, ...]] = []

    def take_committed(self) -> list[tuple[Any, ...]]:
        """The event rows committed since the last call, in position order."""
        committed, self._committed = self._committed, []
        return committed

    def begin(self) -> None:
        """Start a write transaction and take the write lock before anything is read."""
        self._db.execute("BEGIN IMMEDIATE")
        (data_version,) = self._db.execute("PRAGMA data_version").fetchone()
        if data_version != self._data_version or len(self._versions) > MAX_CACHED_STREAMS:
            self._forget(data_version)

    def commit(self) -> None:
        self._db.execute("COMMIT")
        self._committed.extend(self._inserted)
        self._inserted = []
        if self._written is not None:
            self._head, written_versions = self._written
            self._versions.update(written_versions)
            self._written = None

    def rollback(self) -> None:
        self._db.execute("ROLLBACK")
        self._inserted = []
        self._forget(None)

    def _forget(self, data_version: int | None) -> None:
        self._data_version, self._head, self._written = data_version, None, None
        self._versions.clear()

    def head(self) -> LogHead:
        if self._head is None:
            row = self._db.execute(
                "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1"
            ).fetchone()
            self._head = EMPTY_LOG if row is None else LogHead(*row)
        return self._head

    def stream_versions(self, stream_ids: set[str]) -> dict[str, int]:
        for stream_id in stream_ids - self._versions.keys():
            (version,) = self._db.execute(
                "SELECT max(stream_version) FROM events WHERE stream_id = ?", (stream_id,)
            ).fetchone()
            self._versions[stream_id] = version or 0
        return {stream_id: self._versions[stream_id] for stream_id in stream_ids}

    def stored_appends(self, keys: set[str]) -> dict[str, tuple[str, AppendResult]]:
        found = {}
        for key in keys:
            row = self._db.execute(
                f"SELECT {', '.join(APPEND_COLUMNS)} FROM appends WHERE idempotency_key = ?",
                (key,),
            ).fetchone()
            if row is not None:
                found[key] = stored_append(row)
        return found

    def insert(self, event_rows: list[tuple[Any, ...]], append_rows: list[tuple[Any, ...]]) -> None:
        if event_rows:
            self._db.executemany(_INSERT_EVENT, event_rows)
            self._inserted = event_rows
            last = event_rows[-1]
            # Column order is EVENT_COLUMNS: position 0, stream 1, version 2, time 7, hash 9.
            self._written = (
                LogHead(last[0], last[9], last[7]),
                {row[1]: row[2] for row in event_rows},
            )
        if append_rows:
            self._db.executemany(_INSERT_APPEND, append_rows)


def _yield_to_wakers() -> None:
    """Let the thread that wakes this one keep its CPU until it blocks (Linux only).

    An event loop wakes the writer while it still holds the GIL. A woken thread may take
    the CPU at once when they share one (``concord serve`` keeps them on one: see
    server/affinity.py), and the writer would then only wait for the GIL: two context
    switches per append for nothing. The batch policy asks the scheduler not to preempt
    on wake-up; the writer runs when the loop blocks, and it mostly sleeps anyway (on the
    queue, on the disk), so it never runs behind for long. About 7% more single-caller
    appends per second on one CPU (docs/benchmarks.md, "The event store")."""
    batch_policy = getattr(os, "SCHED_BATCH", None)
    if batch_policy is not None:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, batch_policy, os.sched_param(0))


@dataclass(slots=True)
class _Waiter:
    request: AppendRequest
    waker: LoopWaker
    future: asyncio.Future[AppendResult]


_Settlement = list[tuple[asyncio.Future[AppendResult], Outcome | BaseException]]


def _settle_batch(batch: list[_Waiter], outcomes: list[Outcome | BaseException]) -> None:
    """Hand each waiter its outcome on its own event loop: one wake-up per loop."""
    by_loop: dict[LoopWaker, _Settlement] = {}
    for waiter, outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(waiter.waker, []).append((waiter.future, outcome))
    for waker, settlement in by_loop.items():
        if not waker.loop.is_closed():
            waker.call_soon(partial(_settle, settlement))


def _settle(settlement: _Settlement) -> None:
    for future, outcome in settlement:
        if future.done():  # the caller gave up waiting; the outcome stands in the log
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class SqliteBackend(Backend):
    poll_interval = 1.0

    def __init__(self, url: str | URL, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.doorbell = Doorbell()
        self._clock = clock
        self._writer_engine = sqlite_engine(url, pool_size=1)
        use_write_ahead_log(self._writer_engine)
        # Connect here, not in the thread, so a database that cannot be opened fails open_store.
        self._writer_connection = self._writer_engine.raw_connection()
        self._reader_engine = sqlite_engine(url, pool_size=READER_THREADS)
        self._readers = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="concord-read")
        self._queue: queue.SimpleQueue[_Waiter | None] = queue.SimpleQueue()
        self._writer = threading.Thread(
            target=self._write_forever, name="concord-write", daemon=True
        )
        self._wakers: dict[asyncio.AbstractEventLoop, LoopWaker] = {}
        """One per event loop that appended; closed only after the writer has stopped, so
        the writer never writes to a pipe whose number the process has given out again."""
        self._writer.start()
        self._closed = False

    def enqueue(self, request: AppendRequest) -> asyncio.Future[AppendResult]:
        if self._closed:
            raise RuntimeError("the event store is closed")
        loop = asyncio.get_running_loop()
        waker = self._wakers.get(loop)
        if waker is None:
            waker = self._wakers[loop] = LoopWaker(loop)
        future: asyncio.Future[AppendResult] = loop.create_future()
        self._queue.put(_Waiter(request, waker, future))
        return future

    async def run(self, query: Callable[[Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._readers, self._run_query, query
        )

    def _run_query(self, query: Callable[[Connection], T]) -> T:
        with self._reader_engine.connect() as conn:
            return query(conn)

    def _next_batch(self) -> list[_Waiter] | None:
        first = self._queue.get()
        if first is None:
            return None
        batch, events = [first], first.request.event_count
        while len(batch) < MAX_BATCH_REQUESTS and events < MAX_BATCH_EVENTS:
            try:
                waiter = self._queue.get_nowait()
            except queue.Empty:
                break
            if waiter is None:  # close() was called: finish this batch, then stop
                self._queue.put(None)
                break
            batch.append(waiter)
            events += waiter.request.event_count
        return batch

    def _write_forever(self) -> None:
        _yield_to_wakers()
        db = self._writer_connection.driver_connection
        assert isinstance(db, sqlite3.Connection)
        log = SqliteLogAccess(db)
        try:
            while (batch := self._next_batch()) is not None:
                outcomes = self._commit(log, [waiter.request for waiter in batch])
                committed = log.take_committed()
                if committed and self.committed is not None:
                    self.committed(committed)
                self.doorbell.ring()
                # The callers last, so that this thread no longer holds the GIL (it goes
                # back to wait on the queue) when their event loops wake up to take it.
                _settle_batch(batch, outcomes)
        finally:
            self._writer_connection.close()

    def _commit(
        self, log: SqliteLogAccess, requests: list[AppendRequest]
    ) -> list[Outcome | BaseException]:
        """Commit the batch; if the transaction fails, retry one by one so a single bad
        request cannot fail its neighbours."""
        try:
            log.begin()
            try:
                outcomes: list[Outcome | BaseException] = list(
                    write_appends(log, requests, self._clock)
                )
                log.commit()
            except BaseException:
                log.rollback()
                raise
        except Exception as error:
            if len(requests) > 1:
                return [self._commit(log, [request])[0] for request in requests]
            outcomes = [error]
        record_written(requests, outcomes)
        return outcomes

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        await asyncio.get_running_loop().run_in_executor(None, self._writer.join)
        current = asyncio.get_running_loop()
        for loop, waker in self._wakers.items():
            if loop is current or loop.is_closed():
                waker.close()
            else:
                loop.call_soon_threadsafe(waker.close)
        self._readers.shutdown(wait=True)
        self._writer_engine.dispose()
        self._reader_engine.dispose()
