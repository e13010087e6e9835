"""The store's tables. Alembic revisions in ``migrations/`` create them; this module only
describes them for queries (``metadata.create_all`` is never used)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# Timestamps are stored as the log's canonical text (see events.canonical.format_timestamp):
# it sorts in time order on every backend and is byte for byte what the hash covers.
events = Table(
    "events",
    metadata,
    Column(
        "position",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("stream_id", String(200), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("type", String(200), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("meta", Text, nullable=False),
    Column("recorded_at", String(27), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("events_stream", "stream_id", "stream_version", unique=True),
)

appends = Table(
    "appends",
    metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("request_digest", String(64), nullable=False),
    Column("first_position", BigInteger, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("stream_versions", Text, nullable=False),
)
