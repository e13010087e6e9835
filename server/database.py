"""One way to open the application's own async engine on Concord's database.

The event store manages its own connections (``events/``); the server's tables (accounts,
sessions, API tokens, login throttle, ...) go through the :class:`AsyncEngine` made here,
on the same database URL. :func:`create_engine_for` accepts the URL forms the rest of
Concord accepts (``sqlite:///path``, ``postgresql://...``, with or without an async
driver named) and picks the asyncio driver (aiosqlite or asyncpg).

On SQLite the file is shared with the event store's writer thread, so every connection
waits for the write lock (``busy_timeout``) instead of failing with "database is locked",
runs in WAL mode (readers never block the writer), commits durably (``synchronous=FULL``)
and enforces foreign keys.

:func:`create_sqlite_file` makes a new SQLite database file readable by its owner only,
before SQLite opens it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events.database_url import async_url, backend_name

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Each aiosqlite connection is a thread with a file handle: cheap to keep, dear to open
# (a thread and four PRAGMAs). Sized so that a server under a few dozen concurrent
# requests reuses its connections instead of opening overflow ones per request.
SQLITE_POOL_SIZE = 20
SQLITE_MAX_OVERFLOW = 20
POSTGRES_POOL_SIZE = 5
POSTGRES_MAX_OVERFLOW = 10


def create_engine_for(url: str | URL) -> AsyncEngine:
    """An :class:`AsyncEngine` on the SQLite file or PostgreSQL database named by ``url``.

    Raises :class:`ValueError` for other backends and for an in-memory SQLite database
    (each connection would see its own empty database). The caller owns the engine and
    ends it with ``await engine.dispose()``. The schema is not created here: run the
    migrations (``events.upgrade``) first.
    """
    driver_url = async_url(url)
    if backend_name(driver_url) == "sqlite":
        return _sqlite_engine(driver_url)
    # No pool_pre_ping: it would add a round trip to every request. After a server restart
    # the pool is invalidated by the first failing statement instead.
    return create_async_engine(
        driver_url, pool_size=POSTGRES_POOL_SIZE, max_overflow=POSTGRES_MAX_OVERFLOW
    )


def _sqlite_engine(url: URL) -> AsyncEngine:
    if url.database in (None, "", ":memory:"):
        raise ValueError("Concord's SQLite database must be a file, not :memory:")
    engine = create_async_engine(
        url,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_MAX_OVERFLOW,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        # Persistent in the file and a no-op once set (the event store sets it too). It
        # cannot switch while another connection has the file open in another mode; the
        # busy timeout still makes that case correct, only less concurrent.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def create_sqlite_file(url: str | URL) -> Path | None:
    """Create the SQLite file ``url`` names, if it does not exist yet, with mode 0600 (and
    its folder, if missing, 0700): it holds password hashes and every trial's data, like
    the signing key beside it. SQLite gives the ``-wal`` and ``-shm`` files it makes later
    the database file's mode. The file's path, or None for PostgreSQL.

    An empty file is an empty SQLite database; the migrations (``events.upgrade``) fill it.
    A file that exists keeps its mode.
    """
    parsed = make_url(url)
    if backend_name(parsed) != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # two processes starting at once
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path
