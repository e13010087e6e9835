"""The notification tables (created by ``migrations/versions/0014_notifications.py``).

Operational data beside the log: a person's address never enters the log, and an erasure
of the person deletes every row about them (:func:`forget_person`)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.tables import UtcDateTime

metadata = MetaData()

ADDRESS_MAX = 254
"""The longest address SMTP carries (RFC 5321's path limit, less the angle brackets)."""

notification_preferences = Table(
    "notification_preferences",
    metadata,
    Column("user_id", String(40), primary_key=True),
    Column("mode", String(16), nullable=False),
    Column("email", String(ADDRESS_MAX), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_digest_at", UtcDateTime, nullable=True),
)

notification_mails = Table(
    "notification_mails",
    metadata,
    Column("mail_id", String(40), primary_key=True),
    Column("user_id", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("to_address", String(ADDRESS_MAX), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_until", UtcDateTime, nullable=True),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("given_up_at", UtcDateTime, nullable=True),
    Column("last_error", String(400), nullable=True),
)

notification_items = Table(
    "notification_items",
    metadata,
    Column("user_id", String(40), primary_key=True),
    Column("item_key", String(64), primary_key=True),
    Column("trial_id", String(200), nullable=False),
    Column("noticed_at", UtcDateTime, nullable=False),
    # the mail that told the person of the item (None: it waited before they chose
    # immediate mails, so none was sent)
    Column("mail_id", String(40), nullable=True),
)


async def forget_person(engine: AsyncEngine, user_id: str) -> int:
    """Delete everything the notifications hold about ``user_id`` (their address, their
    queued and sent mails, the items they were told of); the number of rows deleted."""
    deleted = 0
    async with engine.begin() as conn:
        for table in (notification_preferences, notification_mails, notification_items):
            result = await conn.execute(delete(table).where(table.c.user_id == user_id))
            deleted += result.rowcount
    return deleted
