"""SQLite checkpoints on their own thread (events/sqlite_checkpoints.py): what was
committed reaches the database file itself, without a commit waiting for the copy."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import PoolProxiedConnection

from events.sqlite_backend import sqlite_engine, use_write_ahead_log
from events.sqlite_checkpoints import (
    COMMITS_PER_CHECKPOINT,
    EVENTS_PER_CHECKPOINT,
    BackgroundCheckpoints,
)

WAIT = 30.0
"""Seconds a test waits for the thread before it fails."""


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "log.sqlite"


@pytest.fixture
def writer_and_checkpoints(
    database: Path,
) -> Iterator[tuple[sqlite3.Connection, BackgroundCheckpoints]]:
    """A writer connection that never checkpoints itself, and the thread that does."""
    engine = sqlite_engine(f"sqlite:///{database}", pool_size=2)
    use_write_ahead_log(engine)
    writer: PoolProxiedConnection = engine.raw_connection()
    db = writer.driver_connection
    assert isinstance(db, sqlite3.Connection)
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE entries (n INTEGER NOT NULL)")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone has the empty table
    checkpoints = BackgroundCheckpoints(engine.raw_connection())
    yield db, checkpoints
    checkpoints.close()
    writer.close()
    engine.dispose()


def rows_in_the_file_alone(database: Path, tmp_path: Path) -> int:
    """Rows the database file holds without its write-ahead log (a copy of it alone)."""
    copy = tmp_path / "file-alone.sqlite"
    shutil.copyfile(database, copy)
    connection = sqlite3.connect(copy)
    try:
        (count,) = connection.execute("SELECT count(*) FROM entries").fetchone()
    finally:
        connection.close()
    return int(count)


def commit(db: sqlite3.Connection, checkpoints: BackgroundCheckpoints, rows: int) -> None:
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO entries VALUES (?)", [(n,) for n in range(rows)])
    db.execute("COMMIT")
    checkpoints.committed(rows)


def test_enough_commits_are_copied_into_the_database_file(
    writer_and_checkpoints: tuple[sqlite3.Connection, BackgroundCheckpoints],
    database: Path,
    tmp_path: Path,
) -> None:
    db, checkpoints = writer_and_checkpoints
    for _ in range(COMMITS_PER_CHECKPOINT):
        commit(db, checkpoints, 1)
    assert checkpoints.wait_for(1, WAIT)
    assert rows_in_the_file_alone(database, tmp_path) == COMMITS_PER_CHECKPOINT


def test_a_few_large_commits_are_copied_as_well(
    writer_and_checkpoints: tuple[sqlite3.Connection, BackgroundCheckpoints],
    database: Path,
    tmp_path: Path,
) -> None:
    db, checkpoints = writer_and_checkpoints
    commit(db, checkpoints, EVENTS_PER_CHECKPOINT)
    assert checkpoints.wait_for(1, WAIT)
    assert rows_in_the_file_alone(database, tmp_path) == EVENTS_PER_CHECKPOINT


def test_a_few_small_commits_stay_in_the_log_until_more_come(
    writer_and_checkpoints: tuple[sqlite3.Connection, BackgroundCheckpoints],
    database: Path,
    tmp_path: Path,
) -> None:
    db, checkpoints = writer_and_checkpoints
    for _ in range(COMMITS_PER_CHECKPOINT - 1):
        commit(db, checkpoints, 1)
    assert checkpoints.checkpoints == 0
    assert rows_in_the_file_alone(database, tmp_path) == 0
    commit(db, checkpoints, 1)
    assert checkpoints.wait_for(1, WAIT)
    assert rows_in_the_file_alone(database, tmp_path) == COMMITS_PER_CHECKPOINT
