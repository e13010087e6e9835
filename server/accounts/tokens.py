"""Per-user API tokens for scripts: ``concord_`` followed by 43 random URL-safe characters
(256 bits), shown once at issue and stored as a SHA-256 digest only.

A token acts as its user until it expires or is revoked; it stops resolving while the
user is disabled. Every token expires: ``default_lifetime`` after issue (90 days) unless
the owner chose another lifetime, from 1 day to ``max_lifetime`` (365 days). Revoked and
expired tokens stay listed (with ``revoked_at``, ``expires_at``) so a user can see what
existed. Use is recorded in ``last_used_at`` at most once per ``touch_interval`` (default
60 s), to keep each request a read.

With an :class:`~server.accounts.account_log.AccountLog`, issuing and revoking are
recorded in the owner's account stream (``ApiTokenIssued``, ``ApiTokenRevoked``; never
the secret) *before* the table changes, so no token starts or stops working unrecorded.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.account_events import ApiTokenIssued, ApiTokenRevoked
from server.accounts.account_log import AccountLog
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
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=365)
MIN_LIFETIME = timedelta(days=1)
MAX_TOKEN_LENGTH = 256
_CACHE_PREFIX = "token:"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token. ``token`` is the secret, available only now: show it once."""

    token_id: str
    name: str
    created_at: datetime
    expires_at: datetime
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    """What a user may see of one of their tokens (never the secret)."""

    token_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None
    """When the token stops working (None only for a row written outside Concord: such a
    token never resolves)."""

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def expired(self, now: datetime) -> bool:
        """Whether the token has stopped working by ``now`` for lack of time."""
        return self.expires_at is None or self.expires_at <= now


def _days(lifetime: timedelta) -> str:
    days = lifetime / timedelta(days=1)
    return f"{days:g} day" + ("" if days == 1 else "s")


class ApiTokens:
    """API tokens in the ``api_tokens`` table of ``engine``'s database. ``now`` is the
    clock (aware datetimes; tests move it). ``credentials``, when given, remembers resolved
    tokens for a few seconds (:mod:`server.accounts.credential_cache`); ``log``, when given,
    records each issue and revocation in the owner's account stream."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        now: Clock = utc_now,
        touch_interval: timedelta = TOUCH_INTERVAL,
        credentials: CredentialCache | None = None,
        default_lifetime: timedelta = DEFAULT_LIFETIME,
        max_lifetime: timedelta = MAX_LIFETIME,
        log: AccountLog | None = None,
    ) -> None:
        if not MIN_LIFETIME <= default_lifetime <= max_lifetime:
            raise ValueError(
                f"a token's default lifetime must be from {_days(MIN_LIFETIME)} to the"
                f" maximum lifetime ({_days(max_lifetime)}); got {_days(default_lifetime)}"
            )
        self._engine = engine
        self._credentials = credentials or CredentialCache(capacity=0)
        self._now = now
        self._log = log
        self.touch_interval = touch_interval
        self.default_lifetime = default_lifetime
        self.max_lifetime = max_lifetime

    def check_lifetime(self, lifetime: timedelta | None) -> timedelta:
        """The lifetime a token issued with ``lifetime`` gets (the default for None), or
        :class:`ValueError` saying the allowed range."""
        if lifetime is None:
            return self.default_lifetime
        if not MIN_LIFETIME <= lifetime <= self.max_lifetime:
            raise ValueError(
                f"a token lives from {_days(MIN_LIFETIME)} to {_days(self.max_lifetime)};"
                f" {_days(lifetime)} is outside that"
            )
        return lifetime

    async def issue(
        self,
        user_id: str,
        name: str,
        *,
        lifetime: timedelta | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> IssuedToken:
        """Issue a token for an enabled user; ``name`` says what it is for (1 to 100
        characters, trimmed), ``lifetime`` how long it works (default
        :attr:`default_lifetime`, at most :attr:`max_lifetime`). ``meta`` is what the
        account log records of who asked and how (default: the user themselves). Raises
        :class:`server.accounts.users.UnknownUser`, :class:`server.accounts.users.UserDisabled`
        or :class:`ValueError` for a bad name or lifetime."""
        name = clean_label(name, what="token name", max_length=TOKEN_NAME_MAX)
        lifetime = self.check_lifetime(lifetime)
        now = read_clock(self._now)
        expires_at = now + lifetime
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = new_id("t")
        if self._log is not None:
            async with self._engine.connect() as conn:
                await require_enabled_user(conn, user_id)
            issued = ApiTokenIssued(
                user_id=user_id, token_id=token_id, name=name, expires_at=expires_at.isoformat()
            )
            await self._log.record(user_id, issued, meta=_meta(meta, user_id))
        async with self._engine.begin() as conn:
            await require_enabled_user(conn, user_id)
            await conn.execute(
                api_tokens.insert().values(
                    id=token_id,
                    token_hash=sha256_hex(token),
                    user_id=user_id,
                    name=name,
                    created_at=now,
                    expires_at=expires_at,
                    last_used_at=None,
                    revoked_at=None,
                )
            )
        return IssuedToken(
            token_id=token_id, name=name, created_at=now, expires_at=expires_at, token=token
        )

    async def resolve(self, token: str) -> str | None:
        """The id of the user the token acts for, recording its use; None for an unknown,
        expired or revoked token, or one whose user is disabled."""
        found = await self.resolve_token(token)
        return None if found is None else found[1].user_id

    async def resolve_user(self, token: str) -> User | None:
        """The enabled user the token acts for (see :meth:`resolve`)."""
        found = await self.resolve_token(token)
        return None if found is None else found[1]

    async def resolve_token(self, token: str) -> tuple[str, User] | None:
        """The token's id and the enabled user it acts for (see :meth:`resolve`), in one
        query; from the credential cache while it holds the token (never past its
        expiry)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            return None
        now = read_clock(self._now)
        digest = sha256_hex(token)
        return await self._credentials.through(
            _CACHE_PREFIX + digest, now, lambda: self._read(digest, now)
        )

    async def _read(self, digest: str, now: datetime) -> Resolved[tuple[str, User]] | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        api_tokens.c.id.label("token_id"),
                        api_tokens.c.last_used_at,
                        api_tokens.c.expires_at,
                        *USER_COLUMNS,
                    )
                    .join(users, users.c.id == api_tokens.c.user_id)
                    .where(
                        api_tokens.c.token_hash == digest,
                        api_tokens.c.revoked_at.is_(None),
                        api_tokens.c.expires_at > now,
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
        # Kept until the next use is due to be recorded (so that the record stays as exact)
        # and never past the token's expiry.
        user = user_from_row(row)
        until = min(last_used_at + self.touch_interval, row.expires_at)
        return Resolved((row.token_id, user), user.user_id, row.token_id, until)

    async def list_for(self, user_id: str) -> list[ApiTokenInfo]:
        """The user's tokens, revoked and expired ones included, oldest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(api_tokens)
                .where(api_tokens.c.user_id == user_id)
                .order_by(api_tokens.c.created_at, api_tokens.c.id)
            )
        return [
            ApiTokenInfo(
                row.id, row.name, row.created_at, row.last_used_at, row.revoked_at, row.expires_at
            )
            for row in rows
        ]

    async def revoke(
        self,
        user_id: str,
        token_id: str,
        *,
        revoked_by: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> bool:
        """Revoke the user's token ``token_id`` for good. False if the user has no such
        token or it was already revoked (so a user cannot revoke another user's token).
        ``revoked_by`` is who did it (default: the owner, ``user_id``); ``meta`` what the
        account log records of the request (default: that person)."""
        now = read_clock(self._now)
        revoked_by = revoked_by or user_id
        live = (
            api_tokens.c.id == token_id,
            api_tokens.c.user_id == user_id,
            api_tokens.c.revoked_at.is_(None),
        )
        if self._log is not None:
            async with self._engine.connect() as conn:
                found = (await conn.execute(select(api_tokens.c.id).where(*live))).first()
            if found is None:
                return False
            revoked = ApiTokenRevoked(user_id=user_id, token_id=token_id, revoked_by=revoked_by)
            await self._log.record(user_id, revoked, meta=_meta(meta, revoked_by))
        async with self._engine.begin() as conn:
            result = await conn.execute(update(api_tokens).where(*live).values(revoked_at=now))
        self._credentials.forget_credential(token_id)
        return result.rowcount > 0


def _meta(meta: Mapping[str, Any] | None, actor: str) -> Mapping[str, Any]:
    return {"actor": actor} if meta is None else meta
