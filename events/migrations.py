"""Running the alembic revisions in ``migrations/`` from code, inside a running event loop.

This is alembic's connection-sharing recipe: we open the connection (async engine,
``run_sync``) and hand it to ``env.py`` through ``Config.attributes``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, pool
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from events.database_url import async_url

_HERE = Path(__file__).resolve().parent
MIGRATIONS = next(
    (
        folder
        for folder in (_HERE / "alembic_scripts", _HERE.parent / "migrations")
        if folder.is_dir()
    ),
    _HERE.parent / "migrations",
)
"""``events/alembic_scripts/`` in an installed wheel (pyproject.toml puts ``migrations/``
there), else ``migrations/`` at the top of the source tree (an editable install, alembic's
own command line, the tests)."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (default: the newest)."""
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()
