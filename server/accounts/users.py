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

from domain.account_events import (
    AccountCreated,
    AccountDisabled,
    AccountEnabled,
    PasswordChanged,
    PasswordReset,
    PrintedNameChanged,
    SignInRefusal,
    SignInRefused,
    SignInSucceeded,
    SignInThrottled,
)
from server.accounts.account_log import AccountLog, Meta
from server.accounts.credential_cache import CredentialCache
from server.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    PasswordPolicy,
    Passwords,
    PasswordTooWeak,
    one_time_password,
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
    "AccountErased",
    "Accounts",
    "InvalidCredentials",
    "InvalidUsername",
    "LoginThrottled",
    "NothingToChange",
    "PasswordTooWeak",
    "UnknownUser",
    "User",
    "UserDisabled",
    "UsernameTaken",
    "clean_label",
    "require_enabled_user",
    "user_from_row",
]

REASON_MAX = 1000

_USERNAME = re.compile(r"[\w.@+-]+")
ERASED_USERNAME_PREFIX = "erased-"
"""An erased account's username is this + its user id (:mod:`server.accounts.erased_accounts`);
no one may choose a username beginning so."""


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


class NothingToChange(ValueError):
    """The account is already as asked (disabling a disabled account): nothing recorded."""


class AccountErased(ValueError):
    """The person's personal data was erased: the account is never enabled, renamed or
    given a password again."""

    def __init__(self, user_id: str) -> None:
        super().__init__(
            f"the personal data of account {user_id!r} was erased: it stays disabled for good"
        )
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
    erased: bool = False
    """The person's personal data was erased: the username and printed name here are
    placeholders, and the account stays disabled (:mod:`server.accounts.erased_accounts`)."""


USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.printed_name,
    users.c.created_at,
    users.c.disabled,
    users.c.must_change_password,
    users.c.erased_at,
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
        erased=row.erased_at is not None,
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
    if username.lower().startswith(ERASED_USERNAME_PREFIX):
        raise InvalidUsername(
            f"usernames beginning with {ERASED_USERNAME_PREFIX!r} are kept for erased accounts"
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
    ``log``, when given (the server always gives it), records every change and sign-in in
    the account's stream (:mod:`server.accounts.account_log`) before the tables change.
    ``policy`` is what a new password must be (:class:`PasswordPolicy`).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        now: Clock = utc_now,
        throttle: LoginThrottle | None = None,
        hasher: PasswordHasher | None = None,
        credentials: CredentialCache | None = None,
        log: AccountLog | None = None,
        policy: PasswordPolicy | None = None,
    ) -> None:
        self._engine = engine
        self._now = now
        self._credentials = credentials or CredentialCache(capacity=0)
        self.throttle = throttle if throttle is not None else LoginThrottle(engine, now=now)
        self._passwords = Passwords(hasher)
        self._log = log
        self.policy = policy if policy is not None else PasswordPolicy()

    @property
    def clock(self) -> Clock:
        """The clock the accounts read (tests move it)."""
        return self._now

    async def _changeable(self, user_id: str) -> User:
        """The user, unless unknown (:class:`UnknownUser`) or erased (:class:`AccountErased`)."""
        user = await self.get(user_id)
        if user is None:
            raise UnknownUser(user_id)
        if user.erased:
            raise AccountErased(user_id)
        return user

    async def _record(self, user_id: str, event: Any, meta: Meta | None) -> None:
        if self._log is not None:
            await self._log.record(user_id, event, meta=meta or {})

    async def create_user(
        self,
        username: str,
        printed_name: str,
        password: str,
        *,
        must_change_password: bool = False,
        meta: Meta | None = None,
    ) -> User:
        """Create an enabled user and return it. ``must_change_password``: the password was
        chosen by someone else than the owner (an administrator, the CLI), who must replace
        it at the first sign-in. ``meta`` says who created it, for the account log.

        Raises :class:`InvalidUsername`, :class:`UsernameTaken` (also when only the case
        differs, or the holder is disabled), :class:`PasswordTooWeak` (the policy says
        which rule), or :class:`ValueError` for an empty printed name; all are
        :class:`ValueError` with a message meant for the person typing.
        """
        check_username(username)
        printed_name = clean_label(printed_name, what="printed name", max_length=PRINTED_NAME_MAX)
        self.policy.check(password, username=username, printed_name=printed_name)
        key = username_key(username)
        if await self._username_exists(key):
            raise UsernameTaken(username)
        password_hash = await self._passwords.hash(password)
        now = read_clock(self._now)
        user_id = new_id("u")
        created = AccountCreated(
            user_id=user_id,
            username=username,
            printed_name=printed_name,
            created_by=str((meta or {}).get("actor", "")),
            must_change_password=must_change_password,
        )
        await self._record(user_id, created, meta)
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
                        must_change_password=must_change_password,
                    )
                )
        except IntegrityError:
            if await self._username_exists(key):  # lost a race for the same username
                raise UsernameTaken(username) from None
            raise
        return User(
            user_id, username, printed_name, now, disabled=False,
            must_change_password=must_change_password,
        )  # fmt: skip

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
        of hashing work in each case, and each counted as a failed login. The account log
        records each refusal (with its true reason) and a lockout when it begins; the
        caller records the success with its session (:meth:`record_sign_in`).

        A password older than the policy's ``max_age`` signs in, but the account must
        change it before anything else (``must_change_password`` is then set).
        """
        key = username_key(username)
        try:
            attempt = await self.throttle.begin(username, client=client)
        except LoginThrottled as refused:
            if refused.lockout_began:
                row = await self._row(users.c.username_key == key)
                throttled = SignInThrottled(
                    user_id=row.id if row is not None else "",
                    client=client or "",
                    retry_after=refused.retry_after,
                )
                await self._record(throttled.user_id, throttled, {"actor": "self"})
            raise
        row = await self._row(users.c.username_key == key)
        right = await self._check(row, password)
        if row is None or not right or row.disabled:
            refusal = (
                SignInRefusal.UNKNOWN_USERNAME
                if row is None
                else SignInRefusal.WRONG_PASSWORD
                if not right
                else SignInRefusal.ACCOUNT_DISABLED
            )
            user_id = row.id if row is not None else ""
            event = SignInRefused(user_id=user_id, client=client or "", refusal=refusal)
            await self._record(user_id, event, {"actor": "self"})
            raise InvalidCredentials()
        await self.throttle.succeeded(attempt)
        user = user_from_row(row)
        if not user.must_change_password and self._expired(row.password_changed_at):
            async with self._engine.begin() as conn:
                expired = update(users).where(users.c.id == user.user_id)
                await conn.execute(expired.values(must_change_password=True))
            user = User(
                user.user_id, user.username, user.printed_name, user.created_at,
                disabled=False, must_change_password=True,
            )  # fmt: skip
        return user

    def _expired(self, changed_at: datetime) -> bool:
        max_age = self.policy.max_age
        return max_age is not None and read_clock(self._now) - changed_at > max_age

    async def record_sign_in(self, user: User, *, session_id: str, client: str | None) -> None:
        """Record that ``user`` signed in, opening ``session_id`` (the sign-in route calls
        this once the session exists, before answering)."""
        event = SignInSucceeded(user_id=user.user_id, session_id=session_id, client=client or "")
        await self._record(user.user_id, event, {"actor": user.user_id, "session_id": session_id})

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

    async def change_password(
        self, user_id: str, current: str, new: str, *, client: str | None, meta: Meta
    ) -> None:
        """The owner replaces their password, proving they know the current one (checked
        and throttled like a sign-in). Ends every session of the account (the route opens
        a fresh one for the person) and lifts ``must_change_password``.

        Raises :class:`InvalidCredentials` for a wrong current password,
        :class:`LoginThrottled`, :class:`PasswordTooWeak` (also when the new password is the
        current one) or :class:`UnknownUser`.
        """
        user = await self.get(user_id)
        if user is None:
            raise UnknownUser(user_id)
        self.policy.check(new, username=user.username, printed_name=user.printed_name)
        if new == current:
            raise PasswordTooWeak("the new password must differ from the current one")
        if not await self.confirm_password(user_id, current, client=client):
            raise InvalidCredentials()
        await self._record(user_id, PasswordChanged(user_id=user_id), meta)
        await self._store_password(user_id, new, must_change=False)

    async def reset_password(self, user_id: str, *, meta: Meta) -> str:
        """Give the account a one-time password (returned, to hand to its owner) that must
        be changed at the next sign-in before anything else; every session of the account
        ends. ``meta["actor"]`` is who reset it. Raises :class:`UnknownUser` or
        :class:`AccountErased`."""
        await self._changeable(user_id)
        password = one_time_password()
        reset = PasswordReset(user_id=user_id, reset_by=str(meta.get("actor", "")))
        await self._record(user_id, reset, meta)
        await self._store_password(user_id, password, must_change=True)
        return password

    async def set_password(self, user_id: str, password: str) -> None:
        """Replace the user's password without recording anything or checking the policy
        beyond its basic rules (for tests and migrations of old installations; people use
        :meth:`change_password`, administrators :meth:`reset_password`). Ends every
        session of the account. Raises :class:`UnknownUser` or :class:`PasswordTooWeak`.
        """
        user = await self.get(user_id)
        if user is None:
            raise UnknownUser(user_id)
        self.policy.check(password, username=user.username, printed_name=user.printed_name)
        await self._store_password(user_id, password, must_change=False)

    async def _store_password(self, user_id: str, password: str, *, must_change: bool) -> None:
        password_hash = await self._passwords.hash(password)
        now = read_clock(self._now)
        async with self._engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(
                    password_hash=password_hash,
                    password_changed_at=now,
                    must_change_password=must_change,
                )
            )
            await conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id))
        self.forget_credentials(user_id)

    async def set_printed_name(
        self, user_id: str, printed_name: str, *, meta: Meta | None = None
    ) -> User:
        """Change the name shown in the user's future signature manifestations (signatures
        already applied keep the name they were made with). Raises :class:`UnknownUser`,
        :class:`AccountErased` or :class:`ValueError`."""
        printed_name = clean_label(printed_name, what="printed name", max_length=PRINTED_NAME_MAX)
        await self._changeable(user_id)
        changed = PrintedNameChanged(
            user_id=user_id,
            printed_name=printed_name,
            changed_by=str((meta or {}).get("actor", "")),
        )
        await self._record(user_id, changed, meta)
        async with self._engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.id == user_id).values(printed_name=printed_name)
            )
        self.forget_credentials(user_id)
        user = await self.get(user_id)
        assert user is not None
        return user

    async def disable(self, user_id: str, *, reason: str, meta: Meta | None = None) -> None:
        """Disable the user: their sessions end at once, their API tokens stop resolving,
        and they can no longer sign in or sign. The id and username stay taken; past
        events and signatures keep both. ``reason`` is recorded. Raises
        :class:`UnknownUser`, :class:`NothingToChange` (already disabled) or
        :class:`ValueError` (a blank reason)."""
        await self._set_disabled(user_id, disabled=True, reason=reason, meta=meta)

    async def enable(self, user_id: str, *, reason: str, meta: Meta | None = None) -> None:
        """Enable a disabled user again (their unrevoked, unexpired API tokens work again;
        their old sessions are gone). Raises :class:`UnknownUser`,
        :class:`NothingToChange` (not disabled) or :class:`ValueError` (a blank reason)."""
        await self._set_disabled(user_id, disabled=False, reason=reason, meta=meta)

    async def _set_disabled(
        self, user_id: str, *, disabled: bool, reason: str, meta: Meta | None
    ) -> None:
        reason = clean_label(reason, what="reason", max_length=REASON_MAX)
        user = await self._changeable(user_id)
        if user.disabled == disabled:
            state = "disabled" if disabled else "enabled"
            raise NothingToChange(f"the account {user.username!r} is already {state}")
        by = str((meta or {}).get("actor", ""))
        event = (
            AccountDisabled(user_id=user_id, reason=reason, disabled_by=by)
            if disabled
            else AccountEnabled(user_id=user_id, reason=reason, enabled_by=by)
        )
        await self._record(user_id, event, meta)
        now = read_clock(self._now)
        async with self._engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(disabled=disabled, disabled_at=now if disabled else None)
            )
            if disabled:
                await conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user_id))
        self.forget_credentials(user_id)

    def forget_credentials(self, user_id: str) -> None:
        """Drop the user's resolved sessions and tokens from the cache (after a change)."""
        self._credentials.forget_user(user_id)
