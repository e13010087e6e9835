"""Integration tests run against each backend: ``url`` is parametrized over SQLite and
PostgreSQL, and ``store`` is an open event store on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from events import EventStore, open_store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    value: str = request.getfixturevalue(fixture)
    return value


@pytest.fixture
async def store(url: str) -> AsyncIterator[EventStore]:
    opened = await open_store(url)
    yield opened
    await opened.close()
