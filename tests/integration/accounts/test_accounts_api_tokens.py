"""API tokens: shown once, stored as hashes, listed, revoked, inert while the user is
disabled."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.tokens import ApiTokenInfo, ApiTokens
from server.accounts.users import Accounts, UnknownUser, User, UserDisabled

from .conftest import FakeClock, column, table_text


async def test_an_issued_token_resolves_to_its_user(
    tokens: ApiTokens, alice: User, clock: FakeClock
) -> None:
    issued = await tokens.issue(alice.user_id, "  nightly export ")

    assert re.fullmatch(r"concord_[A-Za-z0-9_-]{43}", issued.token)
    assert issued.token_id.startswith("t-")
    assert issued.name == "nightly export"
    assert issued.created_at == clock.now
    assert issued.token not in repr(issued)
    assert await tokens.resolve(issued.token) == alice.user_id


async def test_unknown_tokens_resolve_to_nothing(tokens: ApiTokens, alice: User) -> None:
    issued = await tokens.issue(alice.user_id, "script")
    for token in ("", "concord_", issued.token[:-1], issued.token[len("concord_") :], "x" * 999):
        assert await tokens.resolve(token) is None


async def test_a_users_tokens_are_listed_with_their_last_use(
    tokens: ApiTokens, alice: User, clock: FakeClock
) -> None:
    first = await tokens.issue(alice.user_id, "export")
    clock.advance(minutes=1)
    second = await tokens.issue(alice.user_id, "import")
    clock.advance(minutes=1)
    await tokens.resolve(first.token)
    used_at = clock.now

    listed = await tokens.list_for(alice.user_id)

    assert listed == [
        ApiTokenInfo(first.token_id, "export", first.created_at, used_at, None, first.expires_at),
        ApiTokenInfo(second.token_id, "import", second.created_at, None, None, second.expires_at),
    ]
    assert await tokens.list_for("u-missing") == []


async def test_use_is_recorded_at_most_once_a_minute(
    tokens: ApiTokens, alice: User, clock: FakeClock
) -> None:
    issued = await tokens.issue(alice.user_id, "export")
    await tokens.resolve(issued.token)
    first_use = clock.now
    clock.advance(seconds=59)
    await tokens.resolve(issued.token)
    (info,) = await tokens.list_for(alice.user_id)
    assert info.last_used_at == first_use
    clock.advance(seconds=1)
    await tokens.resolve(issued.token)
    (info,) = await tokens.list_for(alice.user_id)
    assert info.last_used_at == clock.now


async def test_a_revoked_token_stops_resolving_for_good(
    tokens: ApiTokens, accounts: Accounts, alice: User, clock: FakeClock
) -> None:
    bob = await accounts.create_user("bob", "Bob Stone", "bobs own password")
    kept = await tokens.issue(alice.user_id, "kept")
    revoked = await tokens.issue(alice.user_id, "revoked")

    assert not await tokens.revoke(bob.user_id, revoked.token_id)  # not bob's to revoke
    assert await tokens.resolve(revoked.token) == alice.user_id
    clock.advance(minutes=3)
    assert await tokens.revoke(alice.user_id, revoked.token_id)
    assert not await tokens.revoke(alice.user_id, revoked.token_id)
    assert not await tokens.revoke(alice.user_id, "t-missing")

    assert await tokens.resolve(revoked.token) is None
    assert await tokens.resolve(kept.token) == alice.user_id
    listed = {info.name: info for info in await tokens.list_for(alice.user_id)}
    assert listed["revoked"].revoked
    assert listed["revoked"].revoked_at == clock.now
    assert not listed["kept"].revoked


async def test_only_a_hash_of_the_token_is_stored(
    engine: AsyncEngine, tokens: ApiTokens, alice: User
) -> None:
    issued = await tokens.issue(alice.user_id, "export")
    stored = await table_text(engine, "api_tokens")
    assert issued.token_id in stored
    assert issued.token not in stored
    assert issued.token[len("concord_") :] not in stored
    (token_hash,) = await column(engine, "api_tokens", "token_hash")
    assert re.fullmatch(r"[0-9a-f]{64}", token_hash)


async def test_a_disabled_users_tokens_stop_resolving(
    tokens: ApiTokens, accounts: Accounts, alice: User
) -> None:
    issued = await tokens.issue(alice.user_id, "export")
    await accounts.disable(alice.user_id, reason="left the study")

    assert await tokens.resolve(issued.token) is None
    with pytest.raises(UserDisabled):
        await tokens.issue(alice.user_id, "another")
    with pytest.raises(UnknownUser):
        await tokens.issue("u-missing", "another")

    await accounts.enable(alice.user_id, reason="back on the study")
    assert await tokens.resolve(issued.token) == alice.user_id


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there"])
async def test_token_names_are_checked(tokens: ApiTokens, alice: User, name: str) -> None:
    with pytest.raises(ValueError, match="token name"):
        await tokens.issue(alice.user_id, name)
