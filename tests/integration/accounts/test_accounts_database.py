"""The account tables' database: the engine helper, migration 0002 both ways, and sharing
the SQLite file with the event store's writer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, pool
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events import NewEvent, StreamAppend, open_store, upgrade
from events.database_url import async_url
from events.migrations import alembic_config
from server.accounts.sessions import Sessions
from server.accounts.users import Accounts
from server.database import create_engine_for

from .conftest import PASSWORD, CountingHasher, FakeClock

ACCOUNT_TABLES = {"users", "user_sessions", "api_tokens", "login_throttle"}


async def test_sqlite_connections_wait_for_the_lock_and_use_wal(sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url)
    try:
        async with engine.connect() as conn:
            settings = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            ]
    finally:
        await engine.dispose()
    assert settings == ["wal", 30000, 1, 2]


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "mysql://db/concord"])
def test_unsupported_databases_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"not :memory:|SQLite or PostgreSQL"):
        create_engine_for(url)


async def test_urls_with_or_without_a_driver_name_work(url: str, engine: AsyncEngine) -> None:
    for form in (url, async_url(url).render_as_string(hide_password=False)):
        other = create_engine_for(form)
        try:
            async with other.connect() as conn:
                assert (await conn.exec_driver_sql("SELECT count(*) FROM users")).scalar() == 0
        finally:
            await other.dispose()


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_migration_0002_adds_and_removes_only_the_account_tables(
    url: str, engine: AsyncEngine
) -> None:
    assert await _tables(engine) >= ACCOUNT_TABLES

    migrator = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        async with migrator.begin() as conn:
            await conn.run_sync(_downgrade, "0001")
    finally:
        await migrator.dispose()
    remaining = await _tables(engine)
    assert not ACCOUNT_TABLES & remaining
    assert {"events", "appends"} <= remaining

    await upgrade(url)
    assert await _tables(engine) >= ACCOUNT_TABLES


async def test_accounts_and_the_event_store_share_an_sqlite_file(
    tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    store = await open_store(url)
    engine = create_engine_for(url)
    try:
        accounts = Accounts(engine, now=clock, hasher=CountingHasher())
        sessions = Sessions(engine, now=clock)

        async def append(i: int) -> None:
            await store.append(StreamAppend(f"trial-{i % 3}", [NewEvent("Noted", {"i": i})]))

        async def sign_up_and_in(i: int) -> None:
            user = await accounts.create_user(f"user{i}", f"User {i}", PASSWORD)
            await accounts.authenticate(f"user{i}", PASSWORD, client=f"10.0.0.{i}")
            opened = await sessions.open(user.user_id)
            clock.advance(seconds=61)
            assert await sessions.resolve(opened.token) is not None

        await asyncio.gather(
            *(append(i) for i in range(60)), *(sign_up_and_in(i) for i in range(12))
        )

        assert len(await accounts.list_users()) == 12
        assert len(await store.read_all()) == 60
        assert (await store.verify()).ok
    finally:
        await engine.dispose()
        await store.close()
