"""Per-user API tokens for scripts: ``concord_`` followed by 43 random URL-safe characters
(256 bits), shown once at issue and stored as a SHA-256 digest only.

A token acts as its user until revoked; it stops resolving while the user is disabled.
Revoked tokens stay listed (with ``revoked_at``) so a user can see what existed. Use is
recorded in ``last_used_at`` at most once per ``touch_interval`` (default 60 s), to keep
each request a read.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.credential_cache import CredentialCache, Resolved
from server.accounts.tables import (
    TOKEN_NAME_MAX,
    Clock,
    api_tokens,
    new_id,
    read_clock,
    sha256_hex,
    users,
    utc_now,
)
from server.accounts.users import (
    USER_COLUMNS,
    User,
    clean_label,
    require_enabled_user,
    user_from_row,
)

TOKEN_PREFIX = "concord_"
TOUCH_INTERVAL = timedelta(seconds=60)
MAX_TOKEN_LENGTH = 256
_CACHE_PREFIX = "token:"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token. ``token`` is the secret, available only now: show it once."""

    token_id: str
    name: str
    created_at: datetime
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    """What a user may see of one of their tokens (never the secret)."""

    token_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class ApiTokens:
    """API tokens in the ``api_tokens`` table of ``engine``'s database. ``now`` is the
    clock (aware datetimes; tests move it). ``credentials``, when given, remembers resolved
    tokens for a few seconds (:mod:`server.accounts.credential_cache`)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        now: Clock = utc_now,
        touch_interval: timedelta = TOUCH_INTERVAL,
        credentials: CredentialCache | None = None,
    ) -> None:
        self._engine = engine
        self._credentials = credentials or CredentialCache(capacity=0)
        self._now = now
        self.touch_interval = touch_interval

    async def issue(self, user_id: str, name: str) -> IssuedToken:
        """Issue a token for an enabled user; ``name`` says what it is for (1 to 100
        characters, trimmed). Raises :class:`server.accounts.users.UnknownUser`,
        :class:`server.accounts.users.UserDisabled` or :class:`ValueError` for a bad name."""
        name = clean_label(name, what="token name", max_length=TOKEN_NAME_MAX)
        now = read_clock(self._now)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = new_id("t")
        async with self._engine.begin() as conn:
            await require_enabled_user(conn, user_id)
            await conn.execute(
                api_tokens.insert().values(
                    id=token_id,
                    token_hash=sha256_hex(token),
                    user_id=user_id,
                    name=name,
                    created_at=now,
                    last_used_at=None,
                    revoked_at=None,
                )
            )
        return IssuedToken(token_id=token_id, name=name, created_at=now, token=token)

    async def resolve(self, token: str) -> str | None:
        """The id of the user the token acts for, recording its use; None for an unknown
        or revoked token, or one whose user is disabled."""
        user = await self.resolve_user(token)
        return None if user is None else user.user_id

    async def resolve_user(self, token: str) -> User | None:
        """The enabled user the token acts for (see :meth:`resolve`), in one query; from
        the credential cache while it holds the token."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            return None
        now = read_clock(self._now)
        digest = sha256_hex(token)
        return await self._credentials.through(
            _CACHE_PREFIX + digest, now, lambda: self._read(digest, now)
        )

    async def _read(self, digest: str, now: datetime) -> Resolved[User] | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at, *USER_COLUMNS
                    )
                    .join(users, users.c.id == api_tokens.c.user_id)
                    .where(
                        api_tokens.c.token_hash == digest,
                        api_tokens.c.revoked_at.is_(None),
                        users.c.disabled.is_(False),
                    )
                )
            ).first()
        if row is None:
            return None
        last_used_at = row.last_used_at
        if last_used_at is None or now - last_used_at >= self.touch_interval:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(api_tokens)
                    .where(
                        api_tokens.c.id == row.token_id,
                        or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at < now),
                    )
                    .values(last_used_at=now)
                )
            last_used_at = now
        # Kept until the next use is due to be recorded, so that the record stays as exact.
        user = user_from_row(row)
        return Resolved(user, user.user_id, row.token_id, last_used_at + self.touch_interval)

    async def list_for(self, user_id: str) -> list[ApiTokenInfo]:
        """The user's tokens, revoked ones included, oldest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(api_tokens)
                .where(api_tokens.c.user_id == user_id)
                .order_by(api_tokens.c.created_at, api_tokens.c.id)
            )
        return [
            ApiTokenInfo(row.id, row.name, row.created_at, row.last_used_at, row.revoked_at)
            for row in rows
        ]

    async def revoke(self, user_id: str, token_id: str) -> bool:
        """Revoke the user's token ``token_id`` for good. False if the user has no such
        token or it was already revoked (so a user cannot revoke another user's token)."""
        now = read_clock(self._now)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(api_tokens)
                .where(
                    api_tokens.c.id == token_id,
                    api_tokens.c.user_id == user_id,
                    api_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
        self._credentials.forget_credential(token_id)
        return result.rowcount > 0
