"""Single-use tickets that open one live connection, for scripts without a browser session.

A script asks ``POST /api/live/tickets`` with its API token and connects within
:data:`TICKET_LIFETIME` with ``/api/live?ticket=...``. A ticket is not an ambient
credential (no browser sends it on its own), so the handshake needs no Origin check, and
it stays valid for one handshake only: the URL it appears in may end up in a log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.tables import Clock, live_tickets, read_clock, sha256_hex, utc_now
from server.accounts.users import require_enabled_user

TICKET_LIFETIME = timedelta(seconds=30)
TICKET_PREFIX = "live_"
MAX_TICKET_LENGTH = 100


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    """A ticket as handed to its user: the secret itself is never stored."""

    ticket: str
    expires_at: datetime


class LiveTickets:
    """Tickets in the ``live_tickets`` table of ``engine``'s database."""

    def __init__(self, engine: AsyncEngine, *, now: Clock = utc_now) -> None:
        self._engine = engine
        self._now = now

    async def issue(self, user_id: str) -> IssuedTicket:
        """A new ticket for an enabled user (:class:`server.accounts.users.UserDisabled` otherwise).
        Expired tickets are swept on the way."""
        now = read_clock(self._now)
        ticket = TICKET_PREFIX + secrets.token_urlsafe(32)
        expires_at = now + TICKET_LIFETIME
        async with self._engine.begin() as conn:
            await require_enabled_user(conn, user_id)
            await conn.execute(delete(live_tickets).where(live_tickets.c.expires_at <= now))
            await conn.execute(
                live_tickets.insert().values(
                    ticket_hash=sha256_hex(ticket), user_id=user_id, expires_at=expires_at
                )
            )
        return IssuedTicket(ticket, expires_at)

    async def redeem(self, ticket: str) -> str | None:
        """The user the ticket was issued to, once: the ticket is gone afterwards. None for
        an unknown, used or expired ticket."""
        if not ticket.startswith(TICKET_PREFIX) or len(ticket) > MAX_TICKET_LENGTH:
            return None
        now = read_clock(self._now)
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    delete(live_tickets)
                    .where(live_tickets.c.ticket_hash == sha256_hex(ticket))
                    .returning(live_tickets.c.user_id, live_tickets.c.expires_at)
                )
            ).first()
        if row is None or row.expires_at <= now:
            return None
        user_id: str = row.user_id
        return user_id
