"""User accounts: creation, look-up, password authentication, re-authentication for
signing, password changes, disabling.

Users are never deleted (disable them instead; the database refuses a DELETE), so a user
id (``u-`` + 32 hex digits) is never reused and a username, compared without regard to
case, stays taken forever. Passwords are stored as argon2id hashes only
(:mod:`server.accounts.passwords`); failed logins are throttled per username and per
client (:mod:`server.accounts.throttle`). Sessions and API tokens live in
:mod:`server.accounts.sessions` and :mod:`server.accounts.tokens`. See
``docs/accounts.md``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import ColumnElement, Row, delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.accounts.credential_cache import CredentialCache
from server.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    Passwords,
    PasswordTooWeak,
    check_password_rules,
)
from server.accounts.tables import (
    PRINTED_NAME_MAX,
    USERNAME_MAX,
    Clock,
    new_id,
    read_clock,
    user_sessions,
    username_key,
    users,
    utc_now,
)
from server.accounts.throttle import LoginThrottle, LoginThrottled

__all__ = [
    "Accounts",
    "InvalidCredentials",
    "InvalidUsername",
    "LoginThrottled",
    "PasswordTooWeak",
    "UnknownUser",
    "User",
    "UserDisabled",
    "UsernameTaken",
    "clean_label",
    "require_enabled_user",
    "user_from_row",
]

_USERNAME = re.compile(r"[\w.@+-]+")


class UsernameTaken(ValueError):
    """The username (compared without regard to case) belongs to another user, possibly a
    disabled one: usernames are never freed."""

    def __init__(self, username: str) -> None:
        super().__init__(f"the username {username!r} is taken")
        self.username = username


class InvalidUsername(ValueError):
    """The username breaks the username rules; the message says which."""


class InvalidCredentials(Exception):
    """Wrong username or password. Deliberately says no more: not whether the username
    exists, nor whether the account is disabled."""

    def __init__(self) -> None:
        super().__init__("wrong username or password")


class UnknownUser(LookupError):
    """No user has this id."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"no user {user_id!r}")
        self.user_id = user_id


class UserDisabled(Exception):
    """The user is disabled: no new sessions or API tokens for them."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"user {user_id!r} is disabled")
        self.user_id = user_id


@dataclass(frozen=True, slots=True)
class User:
    """A Concord user. ``printed_name`` is the name shown in signature manifestations."""

    user_id: str
    username: str
    printed_name: str
    created_at: datetime
    disabled: bool
    must_change_password: bool = False
    """The password was set by someone else (a reset, or the CLI): until the owner changes
    it, the account may do nothing else (sign, above all)."""


USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.printed_name,
    users.c.created_at,
    users.c.disabled,
    users.c.must_change_password,
)
"""The columns :func:`user_from_row` reads, for queries that join the user to something."""


def user_from_row(row: Row[*tuple[Any, ...]]) -> User:
    """The :class:`User` in a row holding (at least) :data:`USER_COLUMNS`."""
    return User(
        user_id=row.id,
        username=row.username,
        printed_name=row.printed_name,
        created_at=row.created_at,
        disabled=row.disabled,
        must_change_password=row.must_change_password,
    )


def check_username(username: str) -> None:
    """Raise :class:`InvalidUsername` unless ``username`` has 1 to 64 characters, all
    letters, digits or ``. _ @ + -`` (so an e-mail address is a valid username)."""
    if not 1 <= len(username) <= USERNAME_MAX:
        raise InvalidUsername(f"a username has 1 to {USERNAME_MAX} characters")
    if not _USERNAME.fullmatch(username):
        raise InvalidUsername(
            "a username may only contain letters, digits and the characters . _ @ + -"
        )


def clean_label(value: str, *, what: str, max_length: int) -> str:
    """``value`` without surrounding white space; :class:`ValueError` (naming ``what``) if
    it is then empty, longer than ``max_length`` or contains control characters."""
    cleaned = value.strip()
    if not cleaned:
        raise ValueError(f"the {what} must not be empty")
    if len(cleaned) > max_length:
        raise ValueError(f"the {what} must have at most {max_length} characters")
    if any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise ValueError(f"the {what} must not contain control characters")
    return cleaned


async def require_enabled_user(conn: AsyncConnection, user_id: str) -> None:
    """Raise :class:`UnknownUser` or :class:`UserDisabled` unless ``user_id`` is an
    enabled user (used before opening a session or issuing an API token)."""
    disabled = await conn.scalar(select(users.c.disabled).where(users.c.id == user_id))
    if disabled is None:
        raise UnknownUser(user_id)
    if disabled:
        raise UserDisabled(user_id)


class Accounts:
    """Users and their passwords, in the ``users`` table of ``engine``'s database.

    ``now`` is the clock (aware datetimes; tests move it). ``credentials``, when given, is
    the cache of resolved sessions and tokens that every change to a user here drops that
    user from (disabled, password or printed name changed). ``throttle`` defaults to a
    :class:`LoginThrottle` with the default policy on the same engine and clock. ``hasher``
    defaults to argon2-cffi's ``PasswordHasher()`` (argon2id, default parameters); hashes
    made with other parameters are upgraded at the user's next successful password check.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        now: Clock = utc_now,
        throttle: LoginThrottle | None = None,
        hasher: PasswordHasher | None = None,
        credentials: CredentialCache | None = None,
    ) -> None:
        self._engine = engine
        self._now = now
        self._credentials = credentials or CredentialCache(capacity=0)
        self.throttle = throttle if throttle is not None else LoginThrottle(engine, now=now)
        self._passwords = Passwords(hasher)

    async def create_user(self, username: str, printed_name: str, password: str) -> User:
        """Create an enabled user and return it.

        Raises :class:`InvalidUsername`, :class:`UsernameTaken` (also when only the case
        differs, or the holder is disabled), :class:`PasswordTooWeak` (fewer than 12
        characters, or the username itself), or :class:`ValueError` for an empty printed
        name; all are :class:`ValueError` with a message meant for the person typing.
        """
        check_username(username)
        printed_name = clean_label(printed_name, what="printed name", max_length=PRINTED_NAME_MAX)
        check_password_rules(password, username=username)
        key = username_key(username)
        if await self._username_exists(key):
            raise UsernameTaken(username)
        password_hash = await self._passwords.hash(password)
        now = read_clock(self._now)
        user_id = new_id("u")
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    users.insert().values(
                        id=user_id,
                        username=username,
                        username_key=key,
                        printed_name=printed_name,
                        password_hash=password_hash,
                        created_at=now,
                        password_changed_at=now,
                        disabled=False,
                        disabled_at=None,
                        must_change_password=False,
                    )
                )
        except IntegrityError:
            if await self._username_exists(key):  # lost a race for the same username
                raise UsernameTaken(username) from None
            raise
        return User(user_id, username, printed_name, now, disabled=False)

    async def _username_exists(self, key: str) -> bool:
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(exists().where(users.c.username_key == key)))
        return bool(found)

    async def get(self, user_id: str) -> User | None:
        """The user with this id (enabled or disabled), or None."""
        row = await self._row(users.c.id == user_id)
        return None if row is None else user_from_row(row)

    async def by_username(self, username: str) -> User | None:
        """The user with this username, compared without regard to case, or None."""
        row = await self._row(users.c.username_key == username_key(username))
        return None if row is None else user_from_row(row)

    async def list_users(self) -> list[User]:
        """Every user, disabled ones included, oldest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(users).order_by(users.c.created_at, users.c.id))
        return [user_from_row(row) for row in rows]

    async def _row(self, condition: ColumnElement[bool]) -> Row[Any] | None:
        async with self._engine.connect() as conn:
            return (await conn.execute(select(users).where(condition))).first()

    async def authenticate(self, username: str, password: str, *, client: str | None) -> User:
        """The enabled user with this username and password.

        ``client`` is the caller's address for per-client throttling (None: none). Raises
        :class:`LoginThrottled` (``retry_after`` seconds) before checking anything while the
        username or the client is locked out, and :class:`InvalidCredentials` for an
        unknown username, a wrong password or a disabled account — after the same amount
        of hashing work in each case, and each counted as a failed login.
        """
        attempt = await self.throttle.begin(username, client=client)
        row = await self._row(users.c.username_key == username_key(username))
        if not await self._check(row, password) or row is None or row.disabled:
            raise InvalidCredentials()
        await self.throttle.succeeded(attempt)
        return user_from_row(row)

    async def confirm_password(self, user_id: str, password: str, *, client: str | None) -> bool:
        """Whether ``password`` is the enabled user ``user_id``'s password: the second
        component of a signature (re-authentication).

        Counts toward login throttling exactly like :meth:`authenticate` (a wrong password
        here is a failed login for that username), so it raises :class:`LoginThrottled`
        while the user or the client is locked out. False for an unknown or disabled user.
        """
        row = await self._row(users.c.id == user_id)
        attempt = await self.throttle.begin(
            row.username if row is not None else user_id, client=client
        )
        if not await self._check(row, password) or row is None or row.disabled:
            return False
        await self.throttle.succeeded(attempt)
        return True

    async def _check(self, row: Row[Any] | None, password: str) -> bool:
        """Verify ``password`` against the row's hash (or a dummy hash, for the same time
        when there is no row) and upgrade an outdated hash after a match."""
        if row is None or len(password) > MAX_PASSWORD_LENGTH:
            await self._passwords.verify_missing(password[:MAX_PASSWORD_LENGTH])
            return False
        if not await self._passwords.verify(row.password_hash, password):
            return False
        if self._passwords.needs_rehash(row.password_hash):
            new_hash = await self._passwords.hash(password)
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(users)
                    .where(users.c.id == row.id, users.c.password_hash == row.password_hash)
                    .values(password_hash=new_hash)
                )
        return True

    async def set_password(self, user_id: str, password: str) -> None:
        """Replace the user's password (enabled or disabled user) and end all their
        sessions (the caller opens a new one for the person who changed it, if any). API
        tokens keep working. Raises :class:`UnknownUser` or :class:`PasswordTooWeak`.

        To let users change their own password, check the current one first with
        :meth:`confirm_password`.
        """
        user = await self.get(user_id)
        if user is None:
            raise UnknownUser(user_id)
        check_password_rules(password, username=user.username)
        password_hash = await self._passwords.hash(password)
        now = read_clock(self._now)
        async with self._engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(password_hash=password_hash, password_changed_at=now)
            )
            await conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id))
        self._forget(user_id)

    async def set_printed_name(self, user_id: str, printed_name: str) -> User:
        """Change the name shown in the user's future signature manifestations (signatures
        already applied keep the name they were made with). Raises :class:`UnknownUser`
        or :class:`ValueError`."""
        printed_name = clean_label(printed_name, what="printed name", max_length=PRINTED_NAME_MAX)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(users).where(users.c.id == user_id).values(printed_name=printed_name)
            )
        if result.rowcount == 0:
            raise UnknownUser(user_id)
        self._forget(user_id)
        user = await self.get(user_id)
        assert user is not None
        return user

    async def disable(self, user_id: str) -> None:
        """Disable the user: their sessions end at once, their API tokens stop resolving,
        and they can no longer log in or sign. The id and username stay taken. Disabling
        a disabled user changes nothing. Raises :class:`UnknownUser`."""
        await self._set_disabled(user_id, disabled=True)

    async def enable(self, user_id: str) -> None:
        """Enable a disabled user again (their unrevoked API tokens work again; their old
        sessions are gone). Raises :class:`UnknownUser`."""
        await self._set_disabled(user_id, disabled=False)

    async def _set_disabled(self, user_id: str, *, disabled: bool) -> None:
        now = read_clock(self._now)
        async with self._engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.disabled != disabled)
                .values(disabled=disabled, disabled_at=now if disabled else None)
            )
            if disabled:
                await conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id))
            known = await conn.scalar(select(exists().where(users.c.id == user_id)))
        if not known:
            raise UnknownUser(user_id)
        if disabled:
            self._forget(user_id)

    def _forget(self, user_id: str) -> None:
        self._credentials.forget_user(user_id)
