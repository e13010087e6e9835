"""Concord's event store: an append-only, hash-chained log on SQLite or PostgreSQL."""

from __future__ import annotations

from sqlalchemy.engine import URL

from events.canonical import GENESIS_HASH, NotCanonicalJson
from events.database_url import backend_name
from events.envelope import (
    ANY,
    NO_STREAM,
    AppendResult,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamAppend,
    StreamState,
)
from events.errors import (
    EarlierAppendFailed,
    EventStoreError,
    IdempotencyKeyReused,
    WrongExpectedVersion,
)
from events.migrations import upgrade
from events.queueing import QueuedAppend
from events.sql_store import SqlEventStore
from events.store import EventStore
from events.upcasting import Upcasters
from events.verification import ChainVerifier, StoredEnvelope, VerificationReport

__all__ = [
    "ANY",
    "GENESIS_HASH",
    "NO_STREAM",
    "AppendResult",
    "ChainVerifier",
    "EarlierAppendFailed",
    "EventStore",
    "EventStoreError",
    "ExpectedVersion",
    "IdempotencyKeyReused",
    "NewEvent",
    "NotCanonicalJson",
    "QueuedAppend",
    "RecordedEvent",
    "StoredEnvelope",
    "StreamAppend",
    "StreamState",
    "Upcasters",
    "VerificationReport",
    "WrongExpectedVersion",
    "open_store",
    "upgrade",
]


async def open_store(
    url: str | URL, *, upcasters: Upcasters | None = None, migrate: bool = True
) -> EventStore:
    """Open the event store at ``url`` (SQLite file or PostgreSQL), migrating it first
    unless ``migrate`` is False. Close it with ``await store.close()``."""
    if migrate:
        await upgrade(url)
    if backend_name(url) == "sqlite":
        from events.sqlite_backend import SqliteBackend

        return SqlEventStore(SqliteBackend(url), upcasters)
    from events.postgres_backend import PostgresBackend

    return SqlEventStore(PostgresBackend(url), upcasters)
