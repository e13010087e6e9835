"""An erased account in the accounts table: placeholders instead of the person's names,
disabled for good, its old username free again; the database itself allows the erasure
once and refuses to undo or rename it (migration 0012)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.personal_data import ERASED
from server.accounts.erased_accounts import erase_account_identity, erased_username
from server.accounts.users import AccountErased, Accounts, InvalidUsername, User

from .conftest import PASSWORD, column


async def test_an_erased_account_keeps_placeholders_and_stays_disabled(
    accounts: Accounts, engine: AsyncEngine, alice: User
) -> None:
    await accounts.disable(alice.user_id, reason="left the study")
    await erase_account_identity(accounts, engine, alice)

    erased = await accounts.get(alice.user_id)
    assert erased is not None
    assert (erased.username, erased.printed_name) == (erased_username(alice.user_id), ERASED)
    assert (erased.disabled, erased.erased) == (True, True)
    assert await accounts.by_username("alice") is None
    with pytest.raises(AccountErased):
        await accounts.enable(alice.user_id, reason="came back")
    with pytest.raises(AccountErased):
        await accounts.set_printed_name(alice.user_id, "Alice Again")
    with pytest.raises(AccountErased):
        await accounts.reset_password(alice.user_id, meta={})

    newcomer = await accounts.create_user("alice", "Alice Newcomer", PASSWORD)
    assert newcomer.user_id != alice.user_id  # the old username is free; ids never reused

    await erase_account_identity(accounts, engine, erased)  # a second time changes nothing
    assert (await accounts.get(alice.user_id)) == erased


async def test_the_database_refuses_to_undo_or_fake_an_erasure(
    accounts: Accounts, engine: AsyncEngine, alice: User
) -> None:
    who = f"WHERE id = '{alice.user_id}'"
    fake = (  # an "erasure" that does not leave the placeholders is a rename: refused
        f"UPDATE users SET username = 'bob', username_key = 'bob', printed_name = '{ERASED}',"
        f" disabled = TRUE, erased_at = CURRENT_TIMESTAMP {who}"
    )
    with pytest.raises(DBAPIError, match="never change"):
        async with engine.begin() as conn:
            await conn.exec_driver_sql(fake)

    await accounts.disable(alice.user_id, reason="left the study")
    await erase_account_identity(accounts, engine, alice)
    statements = [
        f"UPDATE users SET disabled = FALSE {who}",
        f"UPDATE users SET printed_name = 'Alice' {who}",
        f"UPDATE users SET erased_at = NULL {who}",
        f"UPDATE users SET username = 'alice', username_key = 'alice' {who}",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="never change"):
            async with engine.begin() as conn:
                await conn.exec_driver_sql(statement)
    assert await column(engine, "users", "printed_name") == [ERASED]


@pytest.mark.parametrize("username", ["erased-u-1", "Erased-someone"])
async def test_no_one_may_choose_an_erased_accounts_username(
    accounts: Accounts, username: str
) -> None:
    with pytest.raises(InvalidUsername, match="kept for erased accounts"):
        await accounts.create_user(username, "Someone", PASSWORD)
