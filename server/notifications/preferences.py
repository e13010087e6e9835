"""Each person's choice of notification mails and their address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.notifications.addresses import checked_address
from server.notifications.tables import notification_preferences


class NotificationMode(StrEnum):
    """When a person is mailed about what waits for them."""

    IMMEDIATE = "immediate"
    """A mail as soon as something new waits in their inbox."""
    DIGEST = "digest"
    """One mail a day listing everything that waits (none when nothing does)."""
    OFF = "off"
    """No mail."""


@dataclass(frozen=True, slots=True)
class Preference:
    mode: NotificationMode = NotificationMode.OFF
    email: str | None = None
    updated_at: datetime | None = None
    """When the person last chose (None: never; they get no mail)."""


class Preferences:
    """The ``notification_preferences`` table."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def of(self, user_id: str) -> Preference:
        table = notification_preferences
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(table).where(table.c.user_id == user_id))
            ).one_or_none()
        if row is None:
            return Preference()
        return Preference(NotificationMode(row.mode), row.email, row.updated_at)

    async def choose(
        self, user_id: str, mode: NotificationMode, email: str | None, now: datetime
    ) -> Preference:
        """Save ``user_id``'s choice; InvalidAddress unless ``email`` is an address (it may
        be left out when the mode is off). Choosing the digest starts it at the next
        digest hour, not at once."""
        address = (
            None if mode is NotificationMode.OFF and not email else checked_address(email or "")
        )
        table = notification_preferences
        values = {"mode": mode.value, "email": address, "updated_at": now}
        if mode is NotificationMode.DIGEST:
            values["last_digest_at"] = now
        for _ in range(2):  # a row inserted at the same moment elsewhere: update that one
            try:
                async with self._engine.begin() as conn:
                    changed = await conn.execute(
                        update(table).where(table.c.user_id == user_id).values(**values)
                    )
                    if changed.rowcount == 0:
                        await conn.execute(table.insert().values(user_id=user_id, **values))
                break
            except IntegrityError:
                continue
        return Preference(mode, address, now)
