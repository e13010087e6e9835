"""Login throttling: per username and per client, kept in the database, growing back-off,
the same for unknown usernames, counting signing passwords, safe under parallel guesses."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.throttle import LoginThrottle, LoginThrottled, ThrottlePolicy, client_key
from server.accounts.users import Accounts, InvalidCredentials, User
from server.database import create_engine_for

from .conftest import PASSWORD, CountingHasher, FakeClock, table_text


async def _fail(accounts: Accounts, username: str, times: int, client: str | None = None) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            await accounts.authenticate(username, "not the password", client=client)


async def _throttled(accounts: Accounts, username: str, password: str = PASSWORD) -> int:
    with pytest.raises(LoginThrottled) as refused:
        await accounts.authenticate(username, password, client="10.0.0.1")
    return refused.value.retry_after


async def test_five_failures_lock_the_username_until_the_back_off_passes(
    accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    await _fail(accounts, "alice", 5)

    assert await _throttled(accounts, "alice") == 60  # even with the right password
    clock.advance(seconds=30)
    assert await _throttled(accounts, "Alice") == 30
    clock.advance(seconds=30)
    assert await accounts.authenticate("alice", PASSWORD, client=None) == alice


async def test_the_back_off_doubles_at_each_lockout_up_to_the_cap(
    accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    expected = [60, 120, 240, 480, 960, 1920, 3600, 3600]
    seen = []
    for _ in expected:
        await _fail(accounts, "alice", 5)
        seen.append(await _throttled(accounts, "alice"))
        clock.advance(seconds=seen[-1])
    assert seen == expected

    # A successful login forgets the lockouts: the next one is short again.
    await accounts.authenticate("alice", PASSWORD, client=None)
    await _fail(accounts, "alice", 5)
    assert await _throttled(accounts, "alice") == 60


async def test_lockouts_are_forgotten_after_a_quiet_day(
    accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    for _ in range(3):
        await _fail(accounts, "alice", 5)
        clock.advance(seconds=await _throttled(accounts, "alice"))
    clock.advance(hours=24)
    await _fail(accounts, "alice", 5)
    assert await _throttled(accounts, "alice") == 60


async def test_only_failures_within_the_window_count(
    accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    await _fail(accounts, "alice", 4)
    clock.advance(minutes=15)
    await _fail(accounts, "alice", 4)
    clock.advance(minutes=14)
    await _fail(accounts, "alice", 1)
    assert await _throttled(accounts, "alice") == 60


async def test_a_successful_login_clears_the_usernames_failures(
    accounts: Accounts, alice: User
) -> None:
    await _fail(accounts, "alice", 4)
    await accounts.authenticate("alice", PASSWORD, client=None)
    await _fail(accounts, "alice", 4)
    assert await accounts.authenticate("alice", PASSWORD, client=None) == alice


async def test_unknown_usernames_are_throttled_exactly_like_known_ones(
    accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    async def history(username: str) -> list[str]:
        outcomes = []
        for _ in range(7):
            try:
                await accounts.authenticate(username, "not the password", client=None)
            except InvalidCredentials as error:
                outcomes.append(str(error))
            except LoginThrottled as error:
                outcomes.append(f"throttled {error.retry_after}")
            clock.advance(seconds=10)
        return outcomes

    start = clock.now
    known = await history("alice")
    clock.now = start
    unknown = await history("mallory")

    assert known == unknown
    assert known == ["wrong username or password"] * 5 + ["throttled 60", "throttled 50"]


async def test_a_locked_username_does_not_lock_other_usernames(
    accounts: Accounts, alice: User
) -> None:
    bob = await accounts.create_user("bob", "Bob Stone", PASSWORD)
    await _fail(accounts, "alice", 5, client="10.0.0.1")
    await _throttled(accounts, "alice")
    assert await accounts.authenticate("bob", PASSWORD, client="10.0.0.1") == bob


async def test_a_client_guessing_many_usernames_is_locked(
    accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    for i in range(20):
        await _fail(accounts, f"user{i}", 1, client="203.0.113.7")

    with pytest.raises(LoginThrottled) as refused:
        await accounts.authenticate("alice", PASSWORD, client="203.0.113.7")
    assert refused.value.retry_after == 60
    # Another address is not affected, nor is alice's own username.
    assert await accounts.authenticate("alice", PASSWORD, client="198.51.100.1") == alice
    clock.advance(minutes=1)
    assert await accounts.authenticate("alice", PASSWORD, client="203.0.113.7") == alice


async def test_a_right_password_refunds_its_clients_count(accounts: Accounts, alice: User) -> None:
    for _ in range(30):  # a busy shared address full of successful logins
        await accounts.authenticate("alice", PASSWORD, client="192.0.2.1")
    for i in range(19):
        await _fail(accounts, f"nobody{i}", 1, client="192.0.2.1")
    assert await accounts.authenticate("alice", PASSWORD, client="192.0.2.1") == alice


def test_ipv6_clients_are_throttled_by_their_64_network() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.1") == client_key(" 192.0.2.1 ") == "192.0.2.1"
    assert client_key("unix-socket") == "unix-socket"


async def test_the_throttle_is_shared_by_servers_on_the_same_database(
    url: str, engine: AsyncEngine, alice: User, clock: FakeClock
) -> None:
    other_engine = create_engine_for(url)  # another server process, in effect
    try:
        first = Accounts(engine, now=clock, hasher=CountingHasher())
        second = Accounts(other_engine, now=clock, hasher=CountingHasher())
        await _fail(first, "alice", 3)
        await _fail(second, "alice", 2)
        assert await _throttled(first, "alice") == 60
        assert await _throttled(second, "alice") == 60
    finally:
        await other_engine.dispose()


async def test_parallel_guesses_cannot_exceed_the_limit(
    url: str, engine: AsyncEngine, alice: User, clock: FakeClock
) -> None:
    other_engine = create_engine_for(url)
    try:
        servers = [
            Accounts(engine, now=clock, hasher=CountingHasher()),
            Accounts(other_engine, now=clock, hasher=CountingHasher()),
        ]

        async def guess(i: int) -> str:
            try:
                await servers[i % 2].authenticate("alice", f"guess number {i}", client=None)
            except InvalidCredentials:
                return "checked"
            except LoginThrottled:
                return "throttled"
            return "guessed"

        outcomes = await asyncio.gather(*(guess(i) for i in range(16)))
    finally:
        await other_engine.dispose()
    assert outcomes.count("checked") == 5
    assert outcomes.count("throttled") == 11


async def test_wrong_signing_passwords_count_as_failed_logins(
    accounts: Accounts, alice: User
) -> None:
    for _ in range(4):
        assert not await accounts.confirm_password(alice.user_id, "wrong!", client="10.0.0.1")
    assert await accounts.confirm_password(alice.user_id, PASSWORD, client="10.0.0.1")
    for _ in range(3):
        assert not await accounts.confirm_password(alice.user_id, "wrong!", client="10.0.0.1")
    await _fail(accounts, "alice", 2)

    with pytest.raises(LoginThrottled):
        await accounts.confirm_password(alice.user_id, PASSWORD, client="10.0.0.1")
    assert await _throttled(accounts, "alice") == 60


async def test_the_throttle_keeps_no_usernames_or_addresses_in_clear(
    engine: AsyncEngine, accounts: Accounts
) -> None:
    typed = "my secret password typed as a username"
    await _fail(accounts, typed, 1, client="203.0.113.99")
    stored = await table_text(engine, "login_throttle")
    assert stored.count("\n") == 1  # one row for the username, one for the client
    assert typed not in stored.lower()
    assert "203.0.113.99" not in stored


async def test_an_administrator_can_unlock_a_username_and_old_rows_are_purged(
    engine: AsyncEngine, accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    await _fail(accounts, "alice", 5, client="10.0.0.1")
    await _throttled(accounts, "alice")
    await accounts.throttle.unlock("ALICE")
    assert await accounts.authenticate("alice", PASSWORD, client=None) == alice

    assert await accounts.throttle.purge() == 0  # the client row still matters
    clock.advance(hours=24)
    assert await accounts.throttle.purge() == 1
    assert await table_text(engine, "login_throttle") == ""


async def test_throttle_policies_are_configurable(
    engine: AsyncEngine, alice: User, clock: FakeClock
) -> None:
    strict = ThrottlePolicy(
        max_failures=2, first_backoff=timedelta(seconds=10), max_backoff=timedelta(seconds=15)
    )
    accounts = Accounts(
        engine,
        now=clock,
        hasher=CountingHasher(),
        throttle=LoginThrottle(engine, now=clock, per_username=strict),
    )
    await _fail(accounts, "alice", 2)
    assert await _throttled(accounts, "alice") == 10
    clock.advance(seconds=10)
    await _fail(accounts, "alice", 2)
    assert await _throttled(accounts, "alice") == 15
    with pytest.raises(ValueError, match="at least 1"):
        ThrottlePolicy(max_failures=0)
    with pytest.raises(ValueError, match="positive"):
        ThrottlePolicy(window=timedelta())
