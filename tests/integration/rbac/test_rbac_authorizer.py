"""The live policy: a projection of the log's role events, current by subscription."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from domain.codec import DataDoesNotFit
from domain.roles import Role
from domain.streams import protocol_stream, trial_stream
from events import EventStore, NewEvent, StreamAppend, open_store
from rbac import PERMISSIONS, Action, Authorizer, AuthorizerStopped
from rbac import authorizer as authorizer_module

RoleChange = Callable[[str, str, Role], Awaitable[int]]
GrantAll = Callable[[list[tuple[str, str, Role]]], Awaitable[int]]


@pytest.fixture
async def live(store: EventStore) -> AsyncIterator[Authorizer]:
    authorizer = await Authorizer.start(store)
    yield authorizer
    await authorizer.close()


async def test_an_empty_log_allows_nothing(store: EventStore) -> None:
    async with await Authorizer.start(store) as authorizer:
        assert authorizer.position == 0
        await authorizer.wait_for(0)
        assert not any(authorizer.allows("ada", "t1", action) for action in Action)


async def test_catch_up_applies_the_role_events_already_in_the_log(
    store: EventStore, grant: RoleChange, revoke: RoleChange
) -> None:
    await grant("t1", "sam", Role.SPONSOR_LEAD)
    await grant("t1", "eve", Role.ETHICS_REVIEWER)
    await store.append(StreamAppend(protocol_stream("t1"), [NewEvent("SectionRevised", {})]))
    head = await revoke("t1", "eve", Role.ETHICS_REVIEWER)
    async with await Authorizer.start(store) as authorizer:
        assert authorizer.position == head
        assert authorizer.allows("sam", "t1", Action.PUBLISH_PROTOCOL)
        assert not authorizer.allows("eve", "t1", Action.READ)
        assert authorizer.grants == 1


async def test_catch_up_pages_through_a_long_log(
    store: EventStore, grant_all: GrantAll, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(authorizer_module, "CATCH_UP_PAGE", 3)
    people = [(f"t{n % 4}", f"user-{n}", list(Role)[n % len(Role)]) for n in range(23)]
    head = await grant_all(people)
    async with await Authorizer.start(store) as authorizer:
        assert authorizer.position == head
        assert authorizer.grants == len(people)
        for trial, user, role in people:
            assert authorizer.roles_of(user, trial) == {role}


async def test_start_refuses_a_log_it_cannot_read(
    store: EventStore, grant_all: GrantAll, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(authorizer_module, "CATCH_UP_PAGE", 2)
    await grant_all([("t1", f"user-{n}", Role.SITE_STAFF) for n in range(3)])
    unreadable = NewEvent(
        "RoleGranted",
        {"trial_id": "t1", "user_id": "sam", "role": "overlord", "reason": "x",
         "granted_by": "ada"},
    )  # fmt: skip
    await store.append(StreamAppend(trial_stream("t1"), [unreadable]))
    await grant_all([("t1", f"later-{n}", Role.SITE_STAFF) for n in range(5)])
    with pytest.raises(DataDoesNotFit, match="overlord"):
        await Authorizer.start(store)


async def test_a_grant_allows_and_a_revoke_denies_live(
    live: Authorizer, grant: RoleChange, revoke: RoleChange
) -> None:
    assert not live.allows("sam", "t1", Action.SIGN_AMENDMENT)
    await live.wait_for(await grant("t1", "sam", Role.SPONSOR_LEAD))
    assert live.allows("sam", "t1", Action.SIGN_AMENDMENT)
    assert live.roles_of("sam", "t1") == {Role.SPONSOR_LEAD}
    await live.wait_for(await revoke("t1", "sam", Role.SPONSOR_LEAD))
    assert not live.allows("sam", "t1", Action.SIGN_AMENDMENT)
    assert live.roles_of("sam", "t1") == frozenset()


async def test_every_role_may_attempt_exactly_its_actions(
    store: EventStore, grant_all: GrantAll
) -> None:
    await grant_all([("t1", f"{role.value}-holder", role) for role in Role])
    async with await Authorizer.start(store) as authorizer:
        for role in Role:
            for action in Action:
                allowed = authorizer.allows(f"{role.value}-holder", "t1", action)
                assert allowed == (action in PERMISSIONS[role]), (role, action)


async def test_the_whole_table_live_role_by_role(live: Authorizer, grant: RoleChange) -> None:
    for role in Role:
        await live.wait_for(await grant("t2", "ivy", role))
        assert live.roles_of("ivy", "t2") == set(list(Role)[: list(Role).index(role) + 1])
        expected = frozenset().union(*(PERMISSIONS[held] for held in live.roles_of("ivy", "t2")))
        assert {action for action in Action if live.allows("ivy", "t2", action)} == expected


@pytest.mark.parametrize("other", ["t10", "t100", "t", "t1/protocol"])
async def test_a_role_in_one_trial_grants_nothing_in_another(
    live: Authorizer, grant: RoleChange, other: str
) -> None:
    await grant("t1", "ada", Role.TRIAL_ADMIN)
    await live.wait_for(await grant(other, "bob", Role.AUDITOR))
    assert all(live.allows("ada", "t1", action) for action in PERMISSIONS[Role.TRIAL_ADMIN])
    assert not any(live.allows("ada", other, action) for action in Action)
    assert not any(live.allows("bob", "t1", action) for action in Action)
    assert live.allows("bob", other, Action.AUDIT)


async def test_a_role_event_in_another_trials_stream_grants_nothing(
    live: Authorizer, store: EventStore, grant: RoleChange
) -> None:
    ok = await grant("t1", "ada", Role.TRIAL_ADMIN)
    smuggled = NewEvent(
        "RoleGranted",
        {"trial_id": "t1", "user_id": "mallory", "role": "trial_admin", "reason": "x",
         "granted_by": "mallory"},
    )  # fmt: skip
    result = await store.append(StreamAppend(trial_stream("t10"), [smuggled]))
    await live.wait_for(result.last_position)
    assert live.position == result.last_position > ok
    assert not live.allows("mallory", "t1", Action.READ)
    assert not live.allows("mallory", "t10", Action.READ)


async def test_wait_for_returns_once_a_later_append_is_applied(
    live: Authorizer, grant: RoleChange
) -> None:
    waiting = asyncio.create_task(live.wait_for(live.position + 1))
    await asyncio.sleep(0)
    assert not waiting.done()
    position = await grant("t1", "sam", Role.SPONSOR_LEAD)
    async with asyncio.timeout(10):
        await waiting
    assert live.position >= position
    assert live.allows("sam", "t1", Action.MERGE_AMENDMENT)


async def test_wait_for_passes_positions_of_other_events(
    live: Authorizer, store: EventStore
) -> None:
    result = await store.append(
        StreamAppend(protocol_stream("t1"), [NewEvent("SectionRevised", {}) for _ in range(3)])
    )
    async with asyncio.timeout(10):
        await live.wait_for(result.last_position)
    assert live.position == result.last_position


async def test_many_waiters_each_return_when_their_position_is_applied(
    live: Authorizer, grant: RoleChange
) -> None:
    start = live.position
    waiters = [asyncio.create_task(live.wait_for(start + n)) for n in (3, 1, 2, 1)]
    for n in range(3):
        await grant("t1", f"user-{n}", Role.SITE_STAFF)
    async with asyncio.timeout(10):
        await asyncio.gather(*waiters)
    assert live.position == start + 3


async def test_the_cache_answers_until_a_revoke_invalidates_it(
    live: Authorizer, grant: RoleChange, revoke: RoleChange
) -> None:
    await grant("t1", "sam", Role.SPONSOR_LEAD)
    await live.wait_for(await grant("t1", "eve", Role.ETHICS_REVIEWER))
    assert live.allows("sam", "t1", Action.SIGN_AMENDMENT)
    assert live.allows("eve", "t1", Action.SIGN_AMENDMENT)
    decided = live.enforcements
    for _ in range(5):
        assert live.allows("sam", "t1", Action.SIGN_AMENDMENT)
        assert live.allows("eve", "t1", Action.SIGN_AMENDMENT)
    assert live.enforcements == decided  # answered from the cache: Casbin was not asked

    await live.wait_for(await revoke("t1", "sam", Role.SPONSOR_LEAD))
    assert not live.allows("sam", "t1", Action.SIGN_AMENDMENT)
    assert live.enforcements == decided + 1  # sam's decisions were dropped, and only his
    assert live.allows("eve", "t1", Action.SIGN_AMENDMENT)
    assert live.enforcements == decided + 1


async def test_clear_cache_makes_casbin_decide_again(live: Authorizer, grant: RoleChange) -> None:
    await live.wait_for(await grant("t1", "sam", Role.SPONSOR_LEAD))
    assert live.allows("sam", "t1", Action.READ)
    assert live.allows("sam", "t1", Action.READ)
    assert live.enforcements == 1
    live.clear_cache()
    assert live.allows("sam", "t1", Action.READ)
    assert live.enforcements == 2


async def test_a_grant_invalidates_a_cached_denial(live: Authorizer, grant: RoleChange) -> None:
    assert not live.allows("pat", "t1", Action.SIGN_AMENDMENT)
    await live.wait_for(await grant("t1", "pat", Role.PATIENT_ADVOCATE))
    assert live.allows("pat", "t1", Action.SIGN_AMENDMENT)


async def test_without_a_cache_casbin_decides_every_check(
    store: EventStore, grant: RoleChange
) -> None:
    await grant("t1", "sam", Role.SPONSOR_LEAD)
    async with await Authorizer.start(store, cache_size=0) as authorizer:
        for _ in range(3):
            assert authorizer.allows("sam", "t1", Action.READ)
        assert authorizer.enforcements == 3


async def test_the_cache_keeps_at_most_cache_size_members(
    store: EventStore, grant_all: GrantAll
) -> None:
    await grant_all([("t1", f"user-{n}", Role.SITE_STAFF) for n in range(5)])
    async with await Authorizer.start(store, cache_size=2) as authorizer:
        for n in range(5):
            assert authorizer.allows(f"user-{n}", "t1", Action.READ)
        assert authorizer.allows("user-4", "t1", Action.READ)
        assert authorizer.enforcements == 5  # user-4 still cached
        assert authorizer.allows("user-0", "t1", Action.READ)
        assert authorizer.enforcements == 6  # user-0 was evicted


async def test_who_can_at_the_live_head(live: Authorizer, grant: RoleChange) -> None:
    await grant("t1", "sam", Role.SPONSOR_LEAD)
    await grant("t1", "ivy", Role.SITE_STAFF)
    await live.wait_for(await grant("t10", "tom", Role.SPONSOR_LEAD))
    assert live.who_can("t1", Action.PUBLISH_PROTOCOL) == {"sam"}
    assert live.who_can("t1", Action.EDIT_PROTOCOL) == {"sam", "ivy"}


async def test_a_projection_failure_fails_closed_and_is_logged(
    live: Authorizer, store: EventStore, grant: RoleChange, caplog: pytest.LogCaptureFixture
) -> None:
    await live.wait_for(await grant("t1", "sam", Role.SPONSOR_LEAD))
    assert live.allows("sam", "t1", Action.READ)
    unreadable = NewEvent(
        "RoleRevoked",
        {"trial_id": "t1", "user_id": "sam", "role": "overlord", "reason": "x",
         "revoked_by": "ada"},
    )  # fmt: skip
    with caplog.at_level(logging.ERROR, logger="rbac.authorizer"):
        result = await store.append(StreamAppend(trial_stream("t1"), [unreadable]))
        with pytest.raises(AuthorizerStopped, match="following the log failed") as stopped:
            async with asyncio.timeout(10):
                await live.wait_for(result.last_position)
    assert "overlord" in str(stopped.value.__cause__)
    assert "stopped following the log" in caplog.text
    assert live.failure is stopped.value.__cause__
    with pytest.raises(AuthorizerStopped):
        live.allows("sam", "t1", Action.READ)  # not the cached True
    with pytest.raises(AuthorizerStopped):
        live.roles_of("sam", "t1")
    with pytest.raises(AuthorizerStopped):
        await live.wait_for(result.last_position + 1)


async def test_close_stops_answering_and_fails_waiters(store: EventStore) -> None:
    authorizer = await Authorizer.start(store)
    waiting = asyncio.create_task(authorizer.wait_for(authorizer.position + 1))
    await asyncio.sleep(0)
    await authorizer.close()
    with pytest.raises(AuthorizerStopped, match="closed"):
        await waiting
    with pytest.raises(AuthorizerStopped, match="closed"):
        authorizer.allows("sam", "t1", Action.READ)
    await authorizer.close()  # idempotent


async def test_an_authorizer_that_was_not_started_answers_nothing(store: EventStore) -> None:
    authorizer = Authorizer(store)
    with pytest.raises(AuthorizerStopped, match="not started"):
        authorizer.allows("sam", "t1", Action.READ)
    with pytest.raises(AuthorizerStopped, match="not started"):
        await authorizer.wait_for(1)


async def test_two_authorizers_on_one_log_agree(
    store: EventStore, url: str, grant: RoleChange
) -> None:
    other_store = await open_store(url)
    try:
        async with await Authorizer.start(other_store) as other:
            position = await grant("t1", "sam", Role.AUDITOR)
            async with asyncio.timeout(10):
                await other.wait_for(position)  # woken by the database, not in-process
            assert other.allows("sam", "t1", Action.AUDIT)
            assert not other.allows("sam", "t1", Action.VOTE)
    finally:
        await other_store.close()
