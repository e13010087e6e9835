"""The in-process credential cache: what this process changes counts at once; what another
process changes counts within the cache's time to live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.credential_cache import DEFAULT_TTL, CredentialCache
from server.accounts.sessions import Sessions
from server.accounts.tokens import ApiTokens
from server.accounts.users import Accounts, User

from .conftest import FakeClock


@pytest.fixture
def credentials() -> CredentialCache:
    return CredentialCache()


@pytest.fixture
def cached_accounts(
    engine: AsyncEngine, clock: FakeClock, credentials: CredentialCache
) -> Accounts:
    return Accounts(engine, now=clock, credentials=credentials)


@pytest.fixture
def cached_tokens(engine: AsyncEngine, clock: FakeClock, credentials: CredentialCache) -> ApiTokens:
    return ApiTokens(engine, now=clock, credentials=credentials)


@pytest.fixture
def cached_sessions(
    engine: AsyncEngine, clock: FakeClock, credentials: CredentialCache
) -> Sessions:
    return Sessions(engine, now=clock, credentials=credentials)


async def test_a_token_revoked_here_stops_at_once(cached_tokens: ApiTokens, alice: User) -> None:
    issued = await cached_tokens.issue(alice.user_id, "script")
    assert await cached_tokens.resolve_user(issued.token) == alice
    assert await cached_tokens.revoke(alice.user_id, issued.token_id)
    assert await cached_tokens.resolve_user(issued.token) is None


async def test_disabling_here_stops_tokens_and_sessions_at_once(
    cached_accounts: Accounts, cached_tokens: ApiTokens, cached_sessions: Sessions, alice: User
) -> None:
    issued = await cached_tokens.issue(alice.user_id, "script")
    opened = await cached_sessions.open(alice.user_id)
    assert await cached_tokens.resolve(issued.token) == alice.user_id
    assert await cached_sessions.resolve(opened.token) is not None
    await cached_accounts.disable(alice.user_id, reason="left the study")
    assert await cached_tokens.resolve(issued.token) is None
    assert await cached_sessions.resolve(opened.token) is None


async def test_closing_and_password_changes_here_end_sessions_at_once(
    cached_accounts: Accounts, cached_sessions: Sessions, alice: User
) -> None:
    first, second = [await cached_sessions.open(alice.user_id) for _ in range(2)]
    assert await cached_sessions.resolve(first.token) is not None
    assert await cached_sessions.resolve(second.token) is not None
    assert await cached_sessions.close(first.token)
    assert await cached_sessions.resolve(first.token) is None
    await cached_accounts.set_password(alice.user_id, "a brand new passphrase")
    assert await cached_sessions.resolve(second.token) is None


async def test_another_process_revoking_is_seen_within_the_time_to_live(
    cached_tokens: ApiTokens, tokens: ApiTokens, alice: User, clock: FakeClock
) -> None:
    # ``tokens`` shares the database but not the cache: a second server process.
    issued = await cached_tokens.issue(alice.user_id, "script")
    assert await cached_tokens.resolve(issued.token) == alice.user_id
    assert await tokens.revoke(alice.user_id, issued.token_id)
    assert await cached_tokens.resolve(issued.token) == alice.user_id  # still remembered
    clock.advance(seconds=DEFAULT_TTL.total_seconds())
    assert await cached_tokens.resolve(issued.token) is None


async def test_another_process_disabling_is_seen_within_the_time_to_live(
    cached_sessions: Sessions, accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    opened = await cached_sessions.open(alice.user_id)
    assert await cached_sessions.resolve(opened.token) is not None
    await accounts.disable(alice.user_id, reason="left the study")
    clock.advance(seconds=DEFAULT_TTL.total_seconds() - 1)
    assert await cached_sessions.resolve(opened.token) is not None
    clock.advance(seconds=1)
    assert await cached_sessions.resolve(opened.token) is None


async def test_use_is_still_recorded_once_a_minute_while_cached(
    cached_tokens: ApiTokens, alice: User, clock: FakeClock
) -> None:
    issued = await cached_tokens.issue(alice.user_id, "script")
    await cached_tokens.resolve(issued.token)
    for _ in range(12):  # a request every 5 s for a minute
        clock.advance(seconds=5)
        await cached_tokens.resolve(issued.token)
    (info,) = await cached_tokens.list_for(alice.user_id)
    assert info.last_used_at == clock.now


async def test_a_session_in_the_cache_still_ends_when_idle(
    cached_sessions: Sessions, alice: User, clock: FakeClock
) -> None:
    opened = await cached_sessions.open(alice.user_id)
    assert await cached_sessions.resolve(opened.token) is not None
    clock.advance(seconds=cached_sessions.idle_timeout.total_seconds())
    assert await cached_sessions.resolve(opened.token) is None


def test_a_distrusted_user_is_read_again_until_the_distrust_ends() -> None:
    cache = CredentialCache()
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

    def remember(at: datetime) -> None:
        cache.put(
            "digest",
            "alice",
            user_id="u-alice",
            credential_id="s-1",
            now=at,
            not_after=at + timedelta(hours=1),
            generation=cache.generation,
        )

    remember(now)
    cache.distrust("u-alice", now + timedelta(seconds=10))
    assert cache.get("digest", now) is None  # forgotten at once
    remember(now + timedelta(seconds=1))  # what another process has not changed yet
    assert cache.get("digest", now + timedelta(seconds=1)) is None
    remember(now + timedelta(seconds=11))
    assert cache.get("digest", now + timedelta(seconds=11)) == "alice"
