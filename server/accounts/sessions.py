"""Browser sessions: opaque random tokens, stored as SHA-256 digests, each with a CSRF token.

A session ends at logout, after ``idle_timeout`` without a request (default 30 minutes),
``absolute_lifetime`` after it was opened whatever the activity (default 12 hours), when its
user is disabled and when the user's password is set. An ended session's row is deleted.

Recording activity is a write, so ``last_seen_at`` is only moved when it is at least
``touch_interval`` (default 60 s) old: most requests cost one indexed read. The idle
timeout therefore counts from the last *recorded* activity, and a session may end up to
``touch_interval`` before ``idle_timeout`` has passed since its very last request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.credential_cache import CredentialCache, Resolved
from server.accounts.tables import (
    Clock,
    new_id,
    read_clock,
    sha256_hex,
    user_sessions,
    users,
    utc_now,
)
from server.accounts.users import USER_COLUMNS, User, require_enabled_user, user_from_row

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_LIFETIME = timedelta(hours=12)
TOUCH_INTERVAL = timedelta(seconds=60)
MAX_TOKEN_LENGTH = 256
_CACHE_PREFIX = "session:"


@dataclass(frozen=True, slots=True)
class Session:
    """A live session, as :meth:`Sessions.resolve` finds it.

    ``csrf_token`` is the value state-changing requests of this session must carry (it
    stays the same for the session's whole life). ``idle_expires_at`` is when the session
    ends without further activity, ``expires_at`` when it ends regardless.
    """

    session_id: str
    user_id: str
    csrf_token: str = field(repr=False)
    created_at: datetime
    last_seen_at: datetime
    idle_expires_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class OpenedSession(Session):
    """A new session, with its ``token``: the only time the token is available (only its
    SHA-256 is stored). Put it in the session cookie."""

    token: str = field(repr=False)


class Sessions:
    """Sessions in the ``user_sessions`` table of ``engine``'s database.

    ``now`` is the clock (aware datetimes; tests move it); the durations are the policy.
    ``credentials``, when given, remembers resolved sessions for a few seconds
    (:mod:`server.accounts.credential_cache`).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        now: Clock = utc_now,
        idle_timeout: timedelta = IDLE_TIMEOUT,
        absolute_lifetime: timedelta = ABSOLUTE_LIFETIME,
        touch_interval: timedelta = TOUCH_INTERVAL,
        credentials: CredentialCache | None = None,
    ) -> None:
        if min(idle_timeout, absolute_lifetime) <= timedelta() or touch_interval < timedelta():
            raise ValueError("session durations must be positive")
        self._engine = engine
        self._credentials = credentials or CredentialCache(capacity=0)
        self._now = now
        self.idle_timeout = idle_timeout
        self.absolute_lifetime = absolute_lifetime
        self.touch_interval = touch_interval

    def _session(
        self,
        session_id: str,
        user_id: str,
        csrf_token: str,
        created_at: datetime,
        last_seen_at: datetime,
    ) -> Session:
        return Session(
            session_id=session_id,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=created_at,
            last_seen_at=last_seen_at,
            idle_expires_at=min(
                last_seen_at + self.idle_timeout, created_at + self.absolute_lifetime
            ),
            expires_at=created_at + self.absolute_lifetime,
        )

    async def open(self, user_id: str) -> OpenedSession:
        """Open a session for an enabled user (after :meth:`Accounts.authenticate`).

        Returns the session with its token and CSRF token. Raises
        :class:`server.accounts.users.UnknownUser` or :class:`server.accounts.users.UserDisabled`.
        """
        now = read_clock(self._now)
        token = secrets.token_urlsafe(32)
        session = self._session(new_id("s"), user_id, secrets.token_urlsafe(32), now, now)
        async with self._engine.begin() as conn:
            await require_enabled_user(conn, user_id)
            await conn.execute(
                user_sessions.insert().values(
                    id=session.session_id,
                    token_hash=sha256_hex(token),
                    user_id=user_id,
                    csrf_token=session.csrf_token,
                    created_at=now,
                    last_seen_at=now,
                )
            )
        return OpenedSession(
            session_id=session.session_id,
            user_id=session.user_id,
            csrf_token=session.csrf_token,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            idle_expires_at=session.idle_expires_at,
            expires_at=session.expires_at,
            token=token,
        )

    async def resolve(self, token: str) -> Session | None:
        """The live session whose token is ``token``, with its activity recorded; None for
        an unknown token or an ended session.

        A session found idle too long, past its absolute lifetime or belonging to a
        disabled user is ended (deleted) on the way.
        """
        found = await self.resolve_with_user(token)
        return None if found is None else found[0]

    async def resolve_with_user(self, token: str) -> tuple[Session, User] | None:
        """:meth:`resolve`, with the session's (enabled) user, in one query; from the
        credential cache while it holds the session."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        now = read_clock(self._now)
        digest = sha256_hex(token)
        return await self._credentials.through(
            _CACHE_PREFIX + digest, now, lambda: self._read(digest, now)
        )

    async def _read(self, digest: str, now: datetime) -> Resolved[tuple[Session, User]] | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        user_sessions.c.id.label("session_id"),
                        user_sessions.c.csrf_token,
                        user_sessions.c.created_at.label("session_created_at"),
                        user_sessions.c.last_seen_at,
                        *USER_COLUMNS,
                    )
                    .join(users, users.c.id == user_sessions.c.user_id)
                    .where(user_sessions.c.token_hash == digest)
                )
            ).first()
        if row is None:
            return None
        session = self._session(
            row.session_id, row.id, row.csrf_token, row.session_created_at, row.last_seen_at
        )
        if row.disabled or now >= session.idle_expires_at:
            await self._delete(user_sessions.c.id == row.session_id)
            return None
        if now - session.last_seen_at >= self.touch_interval:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(user_sessions)
                    .where(user_sessions.c.id == row.session_id, user_sessions.c.last_seen_at < now)
                    .values(last_seen_at=now)
                )
            session = self._session(
                row.session_id, row.id, row.csrf_token, row.session_created_at, now
            )
        # Kept until the next activity is due to be recorded, and never past the session's end.
        until = min(session.idle_expires_at, session.last_seen_at + self.touch_interval)
        return Resolved((session, user_from_row(row)), session.user_id, session.session_id, until)

    async def close(self, token: str) -> bool:
        """End the session with this token (logout). False if there was none."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return False
        digest = sha256_hex(token)
        closed = await self._delete(user_sessions.c.token_hash == digest)
        self._credentials.forget(_CACHE_PREFIX + digest)
        return closed > 0

    async def close_all_for(self, user_id: str) -> int:
        """End every session of the user ("log out everywhere"); returns how many."""
        closed = await self._delete(user_sessions.c.user_id == user_id)
        self._credentials.forget_user(user_id)
        return closed

    async def purge_expired(self) -> int:
        """Delete the sessions that have expired but were never resolved again; returns
        how many. For a periodic housekeeping task (expired sessions never resolve anyway)."""
        now = read_clock(self._now)
        return await self._delete(
            or_(
                user_sessions.c.last_seen_at <= now - self.idle_timeout,
                user_sessions.c.created_at <= now - self.absolute_lifetime,
            )
        )

    async def _delete(self, condition: ColumnElement[bool]) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(user_sessions).where(condition))
        return result.rowcount
