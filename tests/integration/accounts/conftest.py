"""Accounts, sessions, API tokens and the login throttle on a real database: every test
runs on SQLite and on PostgreSQL (``url`` is parametrized), with a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from events import upgrade
from server.accounts.sessions import Sessions
from server.accounts.tokens import ApiTokens
from server.accounts.users import Accounts, User
from server.database import create_engine_for

PASSWORD = "correct horse battery"


class FakeClock:
    """A clock that stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **amount: float) -> None:
        self.now += timedelta(**amount)


class CountingHasher(PasswordHasher):
    """A cheap argon2id hasher (fast tests) that counts its verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    value: str = request.getfixturevalue(fixture)
    return value


@pytest.fixture
def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade(url)  # the PostgreSQL template is migrated already; SQLite files are new
    made = create_engine_for(url)
    yield made
    await made.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def accounts(engine: AsyncEngine, clock: FakeClock, hasher: CountingHasher) -> Accounts:
    return Accounts(engine, now=clock, hasher=hasher)


@pytest.fixture
def sessions(engine: AsyncEngine, clock: FakeClock) -> Sessions:
    return Sessions(engine, now=clock)


@pytest.fixture
def tokens(engine: AsyncEngine, clock: FakeClock) -> ApiTokens:
    return ApiTokens(engine, now=clock)


@pytest.fixture
async def alice(accounts: Accounts) -> User:
    return await accounts.create_user("alice", "Alice Martin, MD", PASSWORD)


async def table_text(engine: AsyncEngine, table: str) -> str:
    """Every row of ``table`` as text, read straight from the database."""
    async with engine.connect() as conn:
        rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
    return "\n".join(" | ".join(str(value) for value in row) for row in rows)


async def column(engine: AsyncEngine, table: str, name: str, where: str = "1=1") -> list[Any]:
    """The values of one column, read straight from the database."""
    async with engine.connect() as conn:
        result = await conn.execute(text(f"SELECT {name} FROM {table} WHERE {where}"))
        return list(result.scalars())
