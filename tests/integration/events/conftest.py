"""The contract suite runs every test against each backend: ``url`` and ``store`` come
from ``tests/integration/conftest.py``."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from sqlalchemy.engine import make_url

RawSql = Callable[..., Awaitable[None]]


@pytest.fixture
def raw_sql(url: str) -> RawSql:
    """``await raw_sql(statement, ...)`` runs SQL straight on the test's database, around
    the store, as an attacker or a careless DBA would."""

    async def run(*statements: str) -> None:
        await execute_raw(url, *statements)

    return run


@pytest.fixture
def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


async def execute_raw(url: str, *statements: str) -> None:
    """Run SQL straight on the database, around the store, as an attacker or a DBA would."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(parsed.database), isolation_level=None)
        try:
            for statement in statements:
                connection.execute(statement)
        finally:
            connection.close()
        return
    driver = await asyncpg.connect(parsed.set(drivername="postgresql").render_as_string(False))
    try:
        for statement in statements:
            await driver.execute(statement)
    finally:
        await driver.close()
