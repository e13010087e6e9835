"""Throttling of failed logins, per username and per client address, kept in the database.

Policy (each :class:`ThrottlePolicy` is one key's rule; defaults in docs/accounts.md):

- Every attempt is counted as a failure *before* the password is checked, and refunded
  when it turns out right. So parallel guesses on several servers cannot slip past the
  limit while their hashes are being verified.
- Once a key has ``max_failures`` failures within ``window``, the next attempt is refused
  and the key is locked for the back-off: ``first_backoff``, doubled at every further
  lockout, at most ``max_backoff``. When the lock lifts the count starts again at zero;
  the lockout count (hence the back-off) is forgotten after ``forget_after`` without
  failures, or for a username at its next successful login.
- A refused attempt raises :class:`LoginThrottled` with ``retry_after`` seconds and is not
  counted. Unknown usernames are counted exactly like known ones, so the throttle does not
  tell whether a username exists.
- The state lives in the ``login_throttle`` table, keyed by the SHA-256 of the username's
  case-folded form or the client address (IPv6 addresses by their /64 network), so every
  server sharing the database shares it.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.accounts.tables import (
    Clock,
    login_throttle,
    read_clock,
    sha256_hex,
    username_key,
    utc_now,
)


class LoginThrottled(Exception):
    """Too many failed logins for this username or from this client: try again in
    ``retry_after`` seconds (an HTTP layer answers 429 with a ``Retry-After`` header)."""

    def __init__(self, retry_after: int, *, lockout_began: bool = False) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after
        self.lockout_began = lockout_began
        """This attempt locked the username or the client (the account log records a
        lockout once, when it begins, not every refused attempt during it)."""


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How many failures one key (a username or a client) may have, and the back-off."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    first_backoff: timedelta = timedelta(minutes=1)
    max_backoff: timedelta = timedelta(hours=1)
    forget_after: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if min(self.window, self.first_backoff, self.max_backoff, self.forget_after) <= timedelta():
            raise ValueError("throttle durations must be positive")

    def backoff(self, lockouts: int) -> timedelta:
        """The lock after ``lockouts`` earlier lockouts: first_backoff * 2**lockouts, capped."""
        return min(self.first_backoff * (1 << min(lockouts, 32)), self.max_backoff)


USERNAME_POLICY = ThrottlePolicy()
# Many people may share one address (a hospital's NAT), so a client gets more room.
CLIENT_POLICY = ThrottlePolicy(max_failures=20)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt that :meth:`LoginThrottle.begin` let through (and counted as a
    failure). Hand it to :meth:`LoginThrottle.succeeded` if the password was right."""

    username_key: str
    client_key: str | None


@dataclass(frozen=True, slots=True)
class _State:
    failures: int = 0
    window_started_at: datetime | None = None
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
    lockouts: int = 0

    @classmethod
    def of(cls, row: Row[Any]) -> _State:
        return cls(
            failures=row.failures,
            window_started_at=row.window_started_at,
            last_failure_at=row.last_failure_at,
            locked_until=row.locked_until,
            lockouts=row.lockouts,
        )

    def check(self, policy: ThrottlePolicy, now: datetime) -> _State:
        """This state at ``now``: expired locks, windows and history dropped, and a lock
        taken if the failures already reached the limit."""
        state = self
        if state.locked_until is not None and now >= state.locked_until:
            state = replace(state, locked_until=None, failures=0, window_started_at=None)
        if state.locked_until is not None:
            return state
        if state.last_failure_at is not None and now - state.last_failure_at >= policy.forget_after:
            return _State()
        if state.window_started_at is not None and now - state.window_started_at >= policy.window:
            state = replace(state, failures=0, window_started_at=None)
        if state.failures >= policy.max_failures:
            state = replace(
                state,
                locked_until=now + policy.backoff(state.lockouts),
                lockouts=state.lockouts + 1,
            )
        return state

    def count_failure(self, now: datetime) -> _State:
        return replace(
            self,
            failures=self.failures + 1,
            window_started_at=self.window_started_at or now,
            last_failure_at=now,
        )


def client_key(client: str) -> str:
    """The throttle's name for a client address: an IPv4 address as is (also when mapped
    into IPv6), an IPv6 address by its /64 network (one host usually has a whole /64),
    anything else verbatim."""
    text = client.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


class LoginThrottle:
    """Counts failed logins in the database and refuses attempts while a key is locked.

    ``per_username`` and ``per_client`` are the policies (defaults: 5 and 20 failures in
    15 minutes, back-off from 1 minute doubling up to 1 hour). ``now`` is the clock.
    Usually used through :class:`server.accounts.users.Accounts`, which calls :meth:`begin`
    before and :meth:`succeeded` after checking a password.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        now: Clock = utc_now,
        per_username: ThrottlePolicy = USERNAME_POLICY,
        per_client: ThrottlePolicy = CLIENT_POLICY,
    ) -> None:
        self._engine = engine
        self._now = now
        self.per_username = per_username
        self.per_client = per_client

    @staticmethod
    def _username_key(username: str) -> str:
        return sha256_hex("user:" + username_key(username))

    @staticmethod
    def _client_key(client: str | None) -> str | None:
        return (
            None
            if client is None or not client.strip()
            else sha256_hex("client:" + client_key(client))
        )

    async def begin(self, username: str, *, client: str | None) -> Attempt:
        """Admit one login attempt for ``username`` from ``client`` (its address; None or
        empty: no per-client throttling) and count it as a failure.

        Raises :class:`LoginThrottled` (counting nothing) while the username or the client
        is locked, or when either already has its maximum failures in the window (which
        locks it). The answer is the same whether or not the username exists.
        """
        now = read_clock(self._now)
        attempt = Attempt(self._username_key(username), self._client_key(client))
        policies = {attempt.username_key: self.per_username}
        if attempt.client_key is not None:
            policies[attempt.client_key] = self.per_client
        async with self._engine.begin() as conn:
            stored = await _lock_rows(conn, policies)
            checked = {key: stored[key].check(policy, now) for key, policy in policies.items()}
            locks = [s.locked_until for s in checked.values() if s.locked_until is not None]
            if locks:
                changed = checked
            else:
                changed = {key: state.count_failure(now) for key, state in checked.items()}
            await _store(conn, {k: s for k, s in changed.items() if s != stored[k]})
        if locks:
            began = any(
                state.locked_until is not None and state.locked_until != stored[key].locked_until
                for key, state in checked.items()
            )
            raise LoginThrottled(_retry_after(max(locks), now), lockout_began=began)
        return attempt

    async def succeeded(self, attempt: Attempt) -> None:
        """The attempt's password was right: forget the username's failures and lockouts,
        and take back the failure the attempt counted against its client."""
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(login_throttle).where(login_throttle.c.key == attempt.username_key)
            )
            if attempt.client_key is not None:
                await conn.execute(
                    update(login_throttle)
                    .where(
                        login_throttle.c.key == attempt.client_key, login_throttle.c.failures > 0
                    )
                    .values(failures=login_throttle.c.failures - 1)
                )

    async def unlock(self, username: str) -> None:
        """Forget a username's failures and lockouts (an administrator's decision)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(login_throttle).where(login_throttle.c.key == self._username_key(username))
            )

    async def purge(self) -> int:
        """Delete the rows that no longer matter (unlocked, no failure within the longer
        ``forget_after``); returns how many. For a periodic housekeeping task."""
        now = read_clock(self._now)
        horizon = now - max(self.per_username.forget_after, self.per_client.forget_after)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(login_throttle).where(
                    or_(
                        login_throttle.c.locked_until.is_(None),
                        login_throttle.c.locked_until <= now,
                    ),
                    or_(
                        login_throttle.c.last_failure_at.is_(None),
                        login_throttle.c.last_failure_at <= horizon,
                    ),
                )
            )
        return result.rowcount


async def _lock_rows(conn: AsyncConnection, keys: Iterable[str]) -> dict[str, _State]:
    """Make sure each key has a row and lock them all for this transaction.

    The insert comes first on purpose: on SQLite a write takes the database's write lock,
    so the read below sees the latest state and no other writer can interleave (SQLite
    ignores FOR UPDATE); on PostgreSQL the rows are locked by FOR UPDATE, in key order.
    """
    ordered: Sequence[str] = sorted(keys)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(
        dialect.insert(login_throttle).on_conflict_do_nothing(index_elements=["key"]),
        [{"key": key, "failures": 0, "lockouts": 0} for key in ordered],
    )
    rows = await conn.execute(
        select(login_throttle)
        .where(login_throttle.c.key.in_(ordered))
        .order_by(login_throttle.c.key)
        .with_for_update()
    )
    return {row.key: _State.of(row) for row in rows}


async def _store(conn: AsyncConnection, states: dict[str, _State]) -> None:
    for key, state in states.items():
        await conn.execute(
            update(login_throttle)
            .where(login_throttle.c.key == key)
            .values(
                failures=state.failures,
                window_started_at=state.window_started_at,
                last_failure_at=state.last_failure_at,
                locked_until=state.locked_until,
                lockouts=state.lockouts,
            )
        )
