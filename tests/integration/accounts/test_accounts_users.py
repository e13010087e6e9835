"""Users: creation, authentication, unique usernames, ids never reused, password rules,
argon2id hashes (upgraded when the parameters change), disabling."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import pytest
from argon2 import PasswordHasher
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.users import (
    Accounts,
    InvalidCredentials,
    InvalidUsername,
    NothingToChange,
    PasswordTooWeak,
    UnknownUser,
    User,
    UsernameTaken,
)

from .conftest import PASSWORD, CountingHasher, FakeClock, column, table_text


async def test_a_created_user_authenticates(accounts: Accounts, clock: FakeClock) -> None:
    created = await accounts.create_user("alice", "Alice Martin, MD", PASSWORD)

    assert re.fullmatch(r"u-[0-9a-f]{32}", created.user_id)
    assert created == User(created.user_id, "alice", "Alice Martin, MD", clock.now, False)
    assert await accounts.authenticate("alice", PASSWORD, client="10.0.0.1") == created
    assert await accounts.authenticate("ALICE", PASSWORD, client="10.0.0.1") == created
    assert await accounts.get(created.user_id) == created
    assert await accounts.by_username("Alice") == created
    assert (await accounts.get(created.user_id) or created).created_at.tzinfo is not None


async def test_a_wrong_password_is_refused(accounts: Accounts, alice: User) -> None:
    with pytest.raises(InvalidCredentials, match="wrong username or password"):
        await accounts.authenticate("alice", PASSWORD + "!", client="10.0.0.1")


async def test_an_unknown_user_is_refused_with_the_same_error_and_work(
    accounts: Accounts, alice: User, hasher: CountingHasher
) -> None:
    before = hasher.verifications
    with pytest.raises(InvalidCredentials) as unknown:
        await accounts.authenticate("nobody", PASSWORD, client="10.0.0.1")
    with pytest.raises(InvalidCredentials) as wrong:
        await accounts.authenticate("alice", "not the password", client="10.0.0.1")
    with pytest.raises(InvalidCredentials) as unknown_again:
        await accounts.authenticate("nobody", PASSWORD, client="10.0.0.1")

    assert str(unknown.value) == str(wrong.value) == str(unknown_again.value)
    # Every attempt ran argon2 (the first unknown one made the dummy hash instead).
    assert hasher.verifications - before == 2
    assert await accounts.get("u-0") is None
    assert await accounts.by_username("nobody") is None


async def test_usernames_are_unique_without_regard_to_case(accounts: Accounts, alice: User) -> None:
    for taken in ("alice", "Alice", "ALICE", "\uff41lice"):  # the last with a full-width a
        with pytest.raises(UsernameTaken, match="is taken"):
            await accounts.create_user(taken, "Someone Else", PASSWORD)
    assert [user.username for user in await accounts.list_users()] == ["alice"]


async def test_disabled_users_keep_their_id_and_username_forever(
    accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    await accounts.disable(alice.user_id, reason="left the study")
    with pytest.raises(NothingToChange, match="already disabled"):
        await accounts.disable(alice.user_id, reason="left the study")

    disabled = await accounts.get(alice.user_id)
    assert disabled is not None
    assert disabled.disabled
    with pytest.raises(UsernameTaken):
        await accounts.create_user("Alice", "Alice Newcomer", PASSWORD)
    with pytest.raises(InvalidCredentials):
        await accounts.authenticate("alice", PASSWORD, client=None)
    others = [await accounts.create_user(f"user{i}", f"User {i}", PASSWORD) for i in range(3)]
    assert alice.user_id not in {user.user_id for user in others}
    assert len({user.user_id for user in others}) == 3

    await accounts.enable(alice.user_id, reason="back on the study")
    assert await accounts.authenticate("alice", PASSWORD, client=None) == alice


async def test_the_database_refuses_to_delete_a_user_or_change_its_identity(
    engine: AsyncEngine, alice: User
) -> None:
    statements = [
        f"DELETE FROM users WHERE id = '{alice.user_id}'",
        f"UPDATE users SET username = 'bob', username_key = 'bob' WHERE id = '{alice.user_id}'",
        f"UPDATE users SET id = 'u-reused' WHERE id = '{alice.user_id}'",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match=r"never deleted|never change"):
            async with engine.begin() as conn:
                await conn.exec_driver_sql(statement)
    assert await column(engine, "users", "username") == ["alice"]


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("carol", "short pass", "at least 12 characters (it has 10)"),
        ("carol", "", "at least 12 characters"),
        ("carol.the.admin", "CAROL.THE.ADMIN", "must not be the username"),
        ("carol", " " * 14, "spaces only"),
        ("carol", "x" * 1025, "at most 1024"),
    ],
)
async def test_weak_passwords_are_refused_with_a_clear_message(
    accounts: Accounts, username: str, password: str, message: str
) -> None:
    with pytest.raises(PasswordTooWeak, match=re.escape(message)):
        await accounts.create_user(username, "Carol Jones", password)
    assert await accounts.by_username(username) is None


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "1 to 64 characters"),
        ("x" * 65, "1 to 64 characters"),
        ("carol jones", "letters, digits"),
        ("carol/jones", "letters, digits"),
        (" carol", "letters, digits"),
    ],
)
async def test_invalid_usernames_are_refused(
    accounts: Accounts, username: str, message: str
) -> None:
    with pytest.raises(InvalidUsername, match=message):
        await accounts.create_user(username, "Carol Jones", PASSWORD)


async def test_usernames_may_be_email_addresses_and_printed_names_are_trimmed(
    accounts: Accounts,
) -> None:
    user = await accounts.create_user("c.jones+site4@example.org", "  Dr. Carol Jones ", PASSWORD)
    assert user.printed_name == "Dr. Carol Jones"
    for bad in ("", "   ", "Carol\nJones", "x" * 201):
        with pytest.raises(ValueError, match="printed name"):
            await accounts.create_user("dave", bad, PASSWORD)


async def test_only_an_argon2id_hash_of_the_password_is_stored(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    accounts = Accounts(engine, now=clock)  # argon2-cffi's default parameters
    user = await accounts.create_user("erin", "Erin Example", PASSWORD)

    (stored,) = await column(engine, "users", "password_hash")
    defaults = PasswordHasher()
    assert stored.startswith(
        f"$argon2id$v=19$m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}$"
    )
    assert PASSWORD not in await table_text(engine, "users")
    assert await accounts.authenticate("erin", PASSWORD, client=None) == user


async def test_a_hash_with_old_parameters_is_upgraded_at_login(
    engine: AsyncEngine, clock: FakeClock, hasher: CountingHasher
) -> None:
    old = Accounts(engine, now=clock, hasher=hasher)
    user = await old.create_user("frank", "Frank Old", PASSWORD)
    (old_hash,) = await column(engine, "users", "password_hash")
    assert old_hash.startswith("$argon2id$v=19$m=64,t=1,p=1$")

    current = Accounts(engine, now=clock, hasher=PasswordHasher(time_cost=2, memory_cost=128))
    assert await current.authenticate("frank", PASSWORD, client=None) == user
    (new_hash,) = await column(engine, "users", "password_hash")
    assert new_hash.startswith("$argon2id$v=19$m=128,t=2,p=4$")
    assert await current.authenticate("frank", PASSWORD, client=None) == user
    assert await column(engine, "users", "password_hash") == [new_hash]

    with pytest.raises(InvalidCredentials):  # a wrong password changes nothing
        await old.authenticate("frank", "wrong password!", client=None)
    assert await column(engine, "users", "password_hash") == [new_hash]


async def test_setting_a_password_replaces_the_old_one(accounts: Accounts, alice: User) -> None:
    with pytest.raises(PasswordTooWeak):
        await accounts.set_password(alice.user_id, "tiny")
    with pytest.raises(UnknownUser):
        await accounts.set_password("u-missing", "a good new password")

    await accounts.set_password(alice.user_id, "a good new password")

    with pytest.raises(InvalidCredentials):
        await accounts.authenticate("alice", PASSWORD, client=None)
    assert await accounts.authenticate("alice", "a good new password", client=None) == alice


async def test_printed_names_can_change(accounts: Accounts, alice: User) -> None:
    renamed = await accounts.set_printed_name(alice.user_id, "Alice Martin-Lee, MD")
    assert renamed.printed_name == "Alice Martin-Lee, MD"
    assert await accounts.get(alice.user_id) == renamed
    with pytest.raises(UnknownUser):
        await accounts.set_printed_name("u-missing", "Nobody")
    with pytest.raises(UnknownUser):
        await accounts.disable("u-missing", reason="left the study")


async def test_confirm_password_checks_the_users_own_password(
    accounts: Accounts, alice: User
) -> None:
    bob = await accounts.create_user("bob", "Bob Stone", "bobs own password")

    assert await accounts.confirm_password(alice.user_id, PASSWORD, client="10.0.0.1")
    assert not await accounts.confirm_password(alice.user_id, "bobs own password", client=None)
    assert not await accounts.confirm_password(bob.user_id, PASSWORD, client=None)
    assert not await accounts.confirm_password("u-missing", PASSWORD, client=None)
    await accounts.disable(alice.user_id, reason="left the study")
    assert not await accounts.confirm_password(alice.user_id, PASSWORD, client=None)


async def test_a_naive_clock_is_refused(engine: AsyncEngine) -> None:
    accounts = Accounts(engine, now=lambda: datetime(2026, 1, 1), hasher=CountingHasher())
    with pytest.raises(ValueError, match="aware datetime"):
        await accounts.create_user("gina", "Gina Naive", PASSWORD)


async def test_a_race_for_one_username_has_one_winner(accounts: Accounts) -> None:
    outcomes = await asyncio.gather(
        *(accounts.create_user(name, "Zoe Racer", PASSWORD) for name in ("zoe", "ZOE", "Zoe")),
        return_exceptions=True,
    )
    assert sum(isinstance(outcome, User) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, UsernameTaken) for outcome in outcomes) == 2
    assert len(await accounts.list_users()) == 1
