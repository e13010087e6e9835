"""Shared fixtures: real databases for the tests that need one.

PostgreSQL tests use the server named by CONCORD_TEST_POSTGRES_URL (default: the local
server as ``postgres`` on database ``test``). Each test gets a fresh database cloned from
a template that alembic migrated once. Without a reachable server the tests skip with the
reason; under CI (CI=true) they fail instead, so a missing database cannot pass silently.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from events.migrations import upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "CONCORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
_names = itertools.count()


def _dsn(database: str | None = None) -> str:
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


async def _admin(*statements: str) -> None:
    connection = await asyncpg.connect(_dsn(), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """Name of a migrated template database (created once per test session)."""
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        reason = f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    template = f"concord_template_{os.getpid()}"
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {template}", f"CREATE DATABASE {template}"))
    asyncio.run(upgrade(_dsn(template)))
    yield template
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)"))


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    name = f"concord_test_{os.getpid()}_{next(_names)}"
    asyncio.run(_admin(f"CREATE DATABASE {name} TEMPLATE {postgres_template}"))
    yield _dsn(name)
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new SQLite database file for one test (the store migrates it when opened)."""
    return f"sqlite:///{tmp_path / 'concord.sqlite'}"
