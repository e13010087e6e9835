"""Database URLs: which backend a URL names, and its async-driver form."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def backend_name(url: str | URL) -> str:
    """``"sqlite"`` or ``"postgresql"``; anything else is refused."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise ValueError(f"Concord stores events in SQLite or PostgreSQL, not {name!r}")
    return name


def async_url(url: str | URL) -> URL:
    """The same database through its asyncio driver (aiosqlite or asyncpg)."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
    return parsed.set(drivername=driver[backend_name(parsed)])
