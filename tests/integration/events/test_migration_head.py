"""A database already at the newest revision opens without alembic; one behind is migrated.

:func:`events.migrations.upgrade` reads the newest revision from the revision files' text
and compares it with the one the database records, importing alembic only to migrate.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, pool
from sqlalchemy.ext.asyncio import create_async_engine

from events.database_url import async_url
from events.migrations import alembic_config, head_revision, upgrade
from server.database import create_engine_for

ROOT = Path(__file__).resolve().parents[3]


def test_the_newest_revision_read_from_the_files_is_alembics_head() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def _revision_file(folder: Path, revision: str, down: str | None) -> None:
    parent = f'"{down}"' if down else "None"
    (folder / f"{revision}.py").write_text(
        f'revision: str = "{revision}"\ndown_revision: str | None = {parent}\n'
    )


def test_a_branch_or_a_missing_revision_leaves_the_decision_to_alembic(tmp_path: Path) -> None:
    _revision_file(tmp_path, "0001", None)
    _revision_file(tmp_path, "0002", "0001")
    assert head_revision(tmp_path) == "0002"
    _revision_file(tmp_path, "0003", "0001")  # a second child of 0001: two heads
    assert head_revision(tmp_path) is None
    (tmp_path / "0003.py").unlink()
    _revision_file(tmp_path, "0004", "0009")  # its parent is nowhere
    assert head_revision(tmp_path) is None


def _modules_after_upgrade(url: str) -> set[str]:
    """The modules a fresh interpreter holds after ``upgrade(url)``."""
    script = (
        "import asyncio, sys\n"
        "from events.migrations import upgrade\n"
        f"asyncio.run(upgrade({url!r}))\n"
        "print(' '.join(sys.modules))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(ran.stdout.split())


def _downgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def _downgrade(url: str, revision: str) -> None:
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to, revision)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def _recorded_revision(url: str) -> str:
    engine = create_engine_for(url)
    try:
        async with engine.connect() as connection:
            found = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            return str(found.scalar_one())
    finally:
        await engine.dispose()


def test_a_new_database_is_migrated_and_then_opened_without_alembic(sqlite_url: str) -> None:
    assert "alembic" in _modules_after_upgrade(sqlite_url)  # a new file: every revision runs
    assert "alembic" not in _modules_after_upgrade(sqlite_url)  # at the head: nothing to run


async def test_a_database_one_revision_behind_is_brought_to_the_head(url: str) -> None:
    head = head_revision()
    assert head is not None
    await upgrade(url)
    await _downgrade(url, "0013")  # the revision before 0014 added the notification tables
    assert "notification_items" not in await _tables(url)
    await upgrade(url)
    assert await _recorded_revision(url) == head
    assert "notification_items" in await _tables(url)
