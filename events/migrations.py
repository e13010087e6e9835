"""Running the alembic revisions in ``migrations/`` from code, inside a running event loop.

This is alembic's connection-sharing recipe: we open the connection (async engine,
``run_sync``) and hand it to ``env.py`` through ``Config.attributes``.

Importing alembic costs a few hundred milliseconds, paid by every command and every
restart. Most starts find the database already at the newest revision, so :func:`upgrade`
first compares the revision the database records with the newest one the revision files
name (read as text, :func:`head_revision`) and imports alembic only when they differ.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, pool, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from events.database_url import async_url

if TYPE_CHECKING:
    from alembic.config import Config

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

VERSION_TABLE = "alembic_version"

_REVISION = re.compile(r"""^revision(?:\s*:\s*str)?\s*=\s*["'](\w+)["']\s*$""", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"""^down_revision(?:\s*:[^=]+)?\s*=\s*(?:["'](\w+)["']|(None))\s*$""", re.MULTILINE
)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision(versions: Path = MIGRATIONS / "versions") -> str | None:
    """The newest revision in ``versions``, read from each file's ``revision`` and
    ``down_revision`` lines; None unless they make one straight chain (a branch, a merge or
    a line written another way: alembic itself decides then)."""
    parents: dict[str, str | None] = {}
    for script in versions.glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revisions, downs = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(revisions) != 1 or len(downs) != 1 or revisions[0] in parents:
            return None
        parents[revisions[0]] = downs[0][0] or None
    children = [parent for parent in parents.values() if parent is not None]
    heads = set(parents) - set(children)
    straight = (
        len(children) == len(set(children))  # no branch
        and set(children) <= set(parents)  # no revision missing
        and len(parents) - len(children) == 1  # one first revision
    )
    return heads.pop() if straight and len(heads) == 1 else None


def _recorded_revisions(connection: Connection) -> set[str]:
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return {
        str(row[0]) for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    }


def _upgrade(connection: Connection, revision: str) -> None:
    head = head_revision() if revision == "head" else None
    if head is not None and _recorded_revisions(connection) == {head}:
        return  # already there: alembic is not even imported
    from alembic import command

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
