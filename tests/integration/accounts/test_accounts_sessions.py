"""Sessions: opaque tokens stored as hashes, a stable CSRF token, idle and absolute expiry,
cheap activity tracking, logout, and the end of a disabled user's sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.sessions import Sessions
from server.accounts.users import Accounts, UnknownUser, User, UserDisabled

from .conftest import FakeClock, column, table_text


async def test_an_opened_session_resolves_with_a_stable_csrf_token(
    sessions: Sessions, alice: User, clock: FakeClock
) -> None:
    opened = await sessions.open(alice.user_id)

    assert len(opened.token) >= 43
    assert len(opened.csrf_token) >= 43
    assert opened.csrf_token != opened.token
    assert opened.session_id.startswith("s-")
    assert opened.user_id == alice.user_id
    assert opened.created_at == opened.last_seen_at == clock.now
    assert opened.idle_expires_at == clock.now + timedelta(minutes=30)
    assert opened.expires_at == clock.now + timedelta(hours=12)
    assert opened.token not in repr(opened)
    assert opened.csrf_token not in repr(opened)

    for _ in range(3):
        clock.advance(minutes=5)
        session = await sessions.resolve(opened.token)
        assert session is not None
        assert (session.session_id, session.user_id) == (opened.session_id, alice.user_id)
        assert session.csrf_token == opened.csrf_token


async def test_each_session_has_its_own_tokens(sessions: Sessions, alice: User) -> None:
    first, second = await sessions.open(alice.user_id), await sessions.open(alice.user_id)
    assert first.token != second.token
    assert first.csrf_token != second.csrf_token
    assert first.session_id != second.session_id


async def test_unknown_tokens_resolve_to_nothing(sessions: Sessions, alice: User) -> None:
    opened = await sessions.open(alice.user_id)
    for token in ("", "x", opened.token[:-1], opened.token + "x", "a" * 10_000):
        assert await sessions.resolve(token) is None
    assert await sessions.resolve(opened.token) is not None


async def test_an_idle_session_expires_and_is_deleted(
    engine: AsyncEngine, sessions: Sessions, alice: User, clock: FakeClock
) -> None:
    opened = await sessions.open(alice.user_id)
    clock.advance(minutes=29, seconds=59)
    assert await sessions.resolve(opened.token) is not None
    clock.advance(minutes=30)

    assert await sessions.resolve(opened.token) is None
    assert await column(engine, "user_sessions", "id") == []


async def test_activity_keeps_a_session_alive_until_its_absolute_lifetime(
    engine: AsyncEngine, sessions: Sessions, alice: User, clock: FakeClock
) -> None:
    opened = await sessions.open(alice.user_id)
    for _ in range(12 * 3 - 1):
        clock.advance(minutes=20)
        session = await sessions.resolve(opened.token)
        assert session is not None
        assert session.expires_at == opened.expires_at
        assert session.idle_expires_at == min(clock.now + timedelta(minutes=30), opened.expires_at)
    clock.advance(minutes=20)  # exactly 12 hours after opening

    assert await sessions.resolve(opened.token) is None
    assert await column(engine, "user_sessions", "id") == []


async def test_lifetimes_are_configurable(
    engine: AsyncEngine, alice: User, clock: FakeClock
) -> None:
    sessions = Sessions(
        engine, now=clock, idle_timeout=timedelta(minutes=5), absolute_lifetime=timedelta(hours=1)
    )
    opened = await sessions.open(alice.user_id)
    assert opened.expires_at == clock.now + timedelta(hours=1)
    clock.advance(minutes=5)
    assert await sessions.resolve(opened.token) is None
    with pytest.raises(ValueError, match="positive"):
        Sessions(engine, idle_timeout=timedelta())


async def test_activity_is_recorded_at_most_once_a_minute(
    engine: AsyncEngine, sessions: Sessions, alice: User, clock: FakeClock
) -> None:
    opened = await sessions.open(alice.user_id)
    opened_at = clock.now

    clock.advance(seconds=59)
    session = await sessions.resolve(opened.token)
    assert session is not None
    assert session.last_seen_at == opened_at
    (stored,) = await column(engine, "user_sessions", "last_seen_at")
    assert str(stored).startswith("2026-11-21 09:00:00")

    clock.advance(seconds=1)
    session = await sessions.resolve(opened.token)
    assert session is not None
    assert session.last_seen_at == clock.now
    (stored,) = await column(engine, "user_sessions", "last_seen_at")
    assert str(stored).startswith("2026-11-21 09:01:00")


async def test_logout_ends_the_session(sessions: Sessions, alice: User) -> None:
    opened = await sessions.open(alice.user_id)
    other = await sessions.open(alice.user_id)

    assert await sessions.close(opened.token)
    assert await sessions.resolve(opened.token) is None
    assert not await sessions.close(opened.token)
    assert not await sessions.close("")
    assert await sessions.resolve(other.token) is not None


async def test_log_out_everywhere(sessions: Sessions, accounts: Accounts, alice: User) -> None:
    bob = await accounts.create_user("bob", "Bob Stone", "bobs own password")
    mine = [await sessions.open(alice.user_id) for _ in range(3)]
    his = await sessions.open(bob.user_id)

    assert await sessions.close_all_for(alice.user_id) == 3
    assert [await sessions.resolve(opened.token) for opened in mine] == [None] * 3
    assert await sessions.resolve(his.token) is not None


async def test_only_a_hash_of_the_session_token_is_stored(
    engine: AsyncEngine, sessions: Sessions, alice: User
) -> None:
    opened = await sessions.open(alice.user_id)
    stored = await table_text(engine, "user_sessions")
    assert opened.session_id in stored
    assert opened.token not in stored


async def test_a_disabled_users_sessions_stop_resolving(
    engine: AsyncEngine, sessions: Sessions, accounts: Accounts, alice: User
) -> None:
    opened = await sessions.open(alice.user_id)
    await accounts.disable(alice.user_id, reason="left the study")

    assert await sessions.resolve(opened.token) is None
    with pytest.raises(UserDisabled):
        await sessions.open(alice.user_id)
    with pytest.raises(UnknownUser):
        await sessions.open("u-missing")

    # Even a session row that survived the disabling (say, written by a racing server)
    # does not resolve, and is removed when tried.
    await accounts.enable(alice.user_id, reason="back on the study")
    survivor = await sessions.open(alice.user_id)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("UPDATE users SET disabled = TRUE")
    assert await sessions.resolve(survivor.token) is None
    assert await column(engine, "user_sessions", "id") == []


async def test_setting_a_password_ends_the_users_sessions(
    sessions: Sessions, accounts: Accounts, alice: User
) -> None:
    opened = await sessions.open(alice.user_id)
    await accounts.set_password(alice.user_id, "a brand new password")
    assert await sessions.resolve(opened.token) is None


async def test_expired_sessions_are_purged(
    engine: AsyncEngine, sessions: Sessions, alice: User, clock: FakeClock
) -> None:
    idle = await sessions.open(alice.user_id)
    clock.advance(minutes=20)
    active = await sessions.open(alice.user_id)
    clock.advance(minutes=10)

    assert await sessions.purge_expired() == 1
    assert await column(engine, "user_sessions", "id") == [active.session_id]
    assert await sessions.resolve(idle.token) is None
