"""Alembic environment: offline SQL, a shared connection, or a URL (sync or async driver).

Concord migrates itself at start through ``events.migrations.upgrade``, which hands a live
connection in ``config.attributes["connection"]`` (alembic's connection-sharing recipe),
so migrations also run inside a running event loop.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.ext.asyncio import create_async_engine

from events.schema import metadata

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("CONCORD_DATABASE_URL")
    if not url:
        raise SystemExit("set CONCORD_DATABASE_URL (or sqlalchemy.url) to the database to migrate")
    return url


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_migrate)
    await engine.dispose()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    shared = config.attributes.get("connection")
    if shared is not None:
        _migrate(shared)
        return
    url = _url()
    if url.startswith(("sqlite+aiosqlite", "postgresql+asyncpg")):
        asyncio.run(_migrate_async(url))
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _migrate(connection)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
