"""API tokens expire, and their issue and revocation are recorded in the owner's account
stream (never the secret), before the table changes. On SQLite and PostgreSQL, with a
clock the test moves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.account_events import account_stream
from events import EventStore, open_store
from server.accounts.account_log import AccountLog
from server.accounts.credential_cache import CredentialCache
from server.accounts.tokens import ApiTokens
from server.accounts.users import Accounts, User

from .conftest import FakeClock, column, table_text


@pytest.fixture
async def accounts_bob(accounts: Accounts) -> User:
    return await accounts.create_user("bob", "Bob Stone", "bobs own password")


@pytest.fixture
def logged_tokens(engine: AsyncEngine, clock: FakeClock, store: EventStore) -> ApiTokens:
    return ApiTokens(engine, now=clock, log=AccountLog(store))


async def test_a_token_works_for_90_days_by_default(
    tokens: ApiTokens, alice: User, clock: FakeClock
) -> None:
    issued = await tokens.issue(alice.user_id, "nightly export")
    assert issued.expires_at == clock.now + timedelta(days=90)

    clock.advance(days=90, seconds=-1)
    assert await tokens.resolve(issued.token) == alice.user_id
    clock.advance(seconds=1)
    assert await tokens.resolve(issued.token) is None
    assert await tokens.resolve_user(issued.token) is None
    assert await tokens.resolve_token(issued.token) is None


async def test_the_owner_chooses_a_lifetime_up_to_the_maximum(
    tokens: ApiTokens, alice: User, clock: FakeClock
) -> None:
    day = await tokens.issue(alice.user_id, "one day", lifetime=timedelta(days=1))
    year = await tokens.issue(alice.user_id, "one year", lifetime=timedelta(days=365))
    assert day.expires_at == clock.now + timedelta(days=1)
    assert year.expires_at == clock.now + timedelta(days=365)

    clock.advance(days=1)
    assert await tokens.resolve(day.token) is None
    assert await tokens.resolve(year.token) == alice.user_id


@pytest.mark.parametrize(
    "lifetime", [timedelta(days=366), timedelta(days=365, seconds=1), timedelta(hours=23)]
)
async def test_a_lifetime_outside_the_policy_is_refused_and_issues_nothing(
    tokens: ApiTokens, engine: AsyncEngine, alice: User, lifetime: timedelta
) -> None:
    with pytest.raises(ValueError, match="a token lives from 1 day to 365 days"):
        await tokens.issue(alice.user_id, "too long", lifetime=lifetime)
    assert await tokens.list_for(alice.user_id) == []
    assert await column(engine, "api_tokens", "id") == []


async def test_the_lifetimes_are_the_servers_policy(
    engine: AsyncEngine, clock: FakeClock, alice: User
) -> None:
    strict = ApiTokens(
        engine, now=clock, default_lifetime=timedelta(days=7), max_lifetime=timedelta(days=30)
    )
    issued = await strict.issue(alice.user_id, "short")
    assert issued.expires_at == clock.now + timedelta(days=7)
    with pytest.raises(ValueError, match="1 day to 30 days; 31 days"):
        await strict.issue(alice.user_id, "long", lifetime=timedelta(days=31))
    with pytest.raises(ValueError, match="default lifetime"):
        ApiTokens(engine, default_lifetime=timedelta(days=400))
    with pytest.raises(ValueError, match="default lifetime"):
        ApiTokens(engine, default_lifetime=timedelta(hours=1))


async def test_the_list_shows_when_each_token_expires(
    tokens: ApiTokens, alice: User, clock: FakeClock
) -> None:
    short = await tokens.issue(alice.user_id, "short", lifetime=timedelta(days=2))
    long = await tokens.issue(alice.user_id, "long", lifetime=timedelta(days=200))
    clock.advance(days=3)

    listed = {info.name: info for info in await tokens.list_for(alice.user_id)}

    assert listed["short"].expires_at == short.expires_at
    assert listed["long"].expires_at == long.expires_at
    assert listed["short"].expired(clock.now)
    assert not listed["long"].expired(clock.now)
    assert not listed["short"].revoked


async def test_the_credential_cache_never_keeps_a_token_past_its_expiry(
    engine: AsyncEngine, clock: FakeClock, alice: User
) -> None:
    """A cache that would keep a credential for a day, and a use recorded once a day:
    only the expiry bounds how long the token is remembered."""
    cache = CredentialCache(ttl=timedelta(days=1))
    tokens = ApiTokens(engine, now=clock, credentials=cache, touch_interval=timedelta(days=1))
    issued = await tokens.issue(alice.user_id, "cached", lifetime=timedelta(days=1))
    clock.advance(days=1, seconds=-1)
    assert await tokens.resolve(issued.token) == alice.user_id  # read, and remembered

    clock.advance(seconds=1)

    assert await tokens.resolve(issued.token) is None


async def test_resolving_names_the_token(tokens: ApiTokens, alice: User) -> None:
    first = await tokens.issue(alice.user_id, "first")
    second = await tokens.issue(alice.user_id, "second")
    assert await tokens.resolve_token(first.token) == (first.token_id, alice)
    assert await tokens.resolve_token(second.token) == (second.token_id, alice)


async def test_issuing_and_revoking_are_in_the_account_stream_without_the_secret(
    logged_tokens: ApiTokens, engine: AsyncEngine, store: EventStore, alice: User
) -> None:
    issued = await logged_tokens.issue(
        alice.user_id, "export", lifetime=timedelta(days=30), meta={"actor": alice.user_id}
    )
    revoked_meta = {"actor": "u-admin", "via": "session", "session_id": "s-1"}
    assert await logged_tokens.revoke(
        alice.user_id, issued.token_id, revoked_by="u-admin", meta=revoked_meta
    )

    trail = await store.read_stream(account_stream(alice.user_id))
    assert [(e.type, e.data, e.meta) for e in trail] == [
        (
            "ApiTokenIssued",
            {
                "user_id": alice.user_id,
                "token_id": issued.token_id,
                "name": "export",
                "expires_at": issued.expires_at.isoformat(),
            },
            {"actor": alice.user_id},
        ),
        (
            "ApiTokenRevoked",
            {"user_id": alice.user_id, "token_id": issued.token_id, "revoked_by": "u-admin"},
            revoked_meta,
        ),
    ]
    stored = await table_text(engine, "events")
    assert issued.token_id in stored
    assert issued.token not in stored
    assert issued.token.removeprefix("concord_") not in stored


async def test_revoking_what_does_not_work_records_nothing(
    logged_tokens: ApiTokens, store: EventStore, accounts_bob: User, alice: User
) -> None:
    issued = await logged_tokens.issue(alice.user_id, "export")
    assert not await logged_tokens.revoke(accounts_bob.user_id, issued.token_id)  # not bob's
    assert not await logged_tokens.revoke(alice.user_id, "t-missing")
    assert await logged_tokens.revoke(alice.user_id, issued.token_id)
    assert not await logged_tokens.revoke(alice.user_id, issued.token_id)  # revoked already

    types = [e.type for e in await store.read_stream(account_stream(alice.user_id))]
    assert types == ["ApiTokenIssued", "ApiTokenRevoked"]
    assert await store.read_stream(account_stream(accounts_bob.user_id)) == []


async def test_a_token_the_log_could_not_record_is_never_issued(
    engine: AsyncEngine, clock: FakeClock, url: str, alice: User
) -> None:
    """Nothing takes effect unrecorded: with the log's store closed, issuing fails and no
    token exists; revoking fails and the token keeps working."""
    closed = await open_store(url)
    working = ApiTokens(engine, now=clock)
    kept = await working.issue(alice.user_id, "kept")
    await closed.close()
    unrecorded = ApiTokens(engine, now=clock, log=AccountLog(closed))

    with pytest.raises(RuntimeError, match="closed"):
        await unrecorded.issue(alice.user_id, "unrecorded")
    with pytest.raises(RuntimeError, match="closed"):
        await unrecorded.revoke(alice.user_id, kept.token_id)

    assert [info.name for info in await working.list_for(alice.user_id)] == ["kept"]
    assert await working.resolve(kept.token) == alice.user_id
