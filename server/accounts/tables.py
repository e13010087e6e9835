"""The account tables (created by ``migrations/versions/0002_accounts.py``, never by
``metadata.create_all``) and the helpers the account modules share: the clock, UTC
timestamps on both backends, username keys, token hashing and ids.

See ``docs/accounts.md`` for what each table holds and why.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
)

Clock = Callable[[], datetime]
"""Returns the current time as an aware datetime; injected so tests can move time."""


def utc_now() -> datetime:
    """The default :data:`Clock`: now, in UTC."""
    return datetime.now(UTC)


def read_clock(clock: Clock) -> datetime:
    """``clock()`` converted to UTC; a naive datetime is refused (its zone is unknown)."""
    value = clock()
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the clock must return an aware datetime (e.g. datetime.now(UTC))")
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both backends: ``timestamptz`` on PostgreSQL; on SQLite
    SQLAlchemy's fixed-width text (naive UTC), which sorts and compares in time order."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("account timestamps must be aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def username_key(username: str) -> str:
    """The form under which usernames are unique: NFKC-normalised and case-folded, so
    ``Alice``, ``ALICE`` and the same in full-width letters are one username."""
    return unicodedata.normalize("NFKC", username).casefold()


def sha256_hex(secret: str) -> str:
    """What is stored instead of a session or API token (both carry 256 random bits, so
    a plain, unsalted SHA-256 cannot be reversed and can be looked up directly)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_id(prefix: str) -> str:
    """A fresh, never reused identifier such as ``u-3f2a...`` (prefix + uuid4 hex)."""
    return f"{prefix}-{uuid.uuid4().hex}"


metadata = MetaData()

USERNAME_MAX = 64
PRINTED_NAME_MAX = 200
TOKEN_NAME_MAX = 100

users = Table(
    "users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("username", String(USERNAME_MAX), nullable=False),
    Column("username_key", String(4 * USERNAME_MAX), nullable=False),
    Column("printed_name", String(PRINTED_NAME_MAX), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("disabled_at", UtcDateTime, nullable=True),
    Column("must_change_password", Boolean, nullable=False),
    Column("erased_at", UtcDateTime, nullable=True),
    Index("users_username_key", "username_key", unique=True),
)

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Index("user_sessions_token_hash", "token_hash", unique=True),
    Index("user_sessions_user", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("name", String(TOKEN_NAME_MAX), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=True),
    Index("api_tokens_token_hash", "token_hash", unique=True),
    Index("api_tokens_user", "user_id"),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    # SHA-256 of "user:<username key>" or "client:<address>": a password typed into the
    # username field by mistake is not kept in clear.
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", UtcDateTime, nullable=True),
    Column("last_failure_at", UtcDateTime, nullable=True),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("lockouts", Integer, nullable=False),
)

live_tickets = Table(
    "live_tickets",
    metadata,
    # SHA-256 of a single-use ticket that opens one live connection (``server.live.tickets``).
    Column("ticket_hash", String(64), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("live_tickets_expiry", "expires_at"),
)
