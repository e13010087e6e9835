"""Who could do what at a past position: the policy replayed from the log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from domain.roles import Role
from domain.streams import protocol_stream
from events import EventStore, NewEvent, StreamAppend
from rbac import Action, Authorizer, policy_at, who_can
from rbac import history as history_module

RoleChange = Callable[[str, str, Role], Awaitable[int]]
GrantAll = Callable[[list[tuple[str, str, Role]]], Awaitable[int]]


async def test_who_can_at_each_past_position(
    store: EventStore, grant: RoleChange, revoke: RoleChange
) -> None:
    sign = Action.SIGN_AMENDMENT
    p1 = await grant("t1", "alice", Role.SPONSOR_LEAD)
    p2 = await grant("t1", "bob", Role.INVESTIGATOR)
    p3 = await grant("t10", "tom", Role.SPONSOR_LEAD)  # a trial whose id starts with t1
    p4 = await revoke("t1", "alice", Role.SPONSOR_LEAD)
    other = await store.append(StreamAppend(protocol_stream("t1"), [NewEvent("Drafted", {})]))
    p5 = await grant("t1", "carol", Role.PATIENT_ADVOCATE)
    p6 = await grant("t1", "alice", Role.AUDITOR)

    assert await who_can(store, "t1", sign, at=0) == frozenset()
    assert await who_can(store, "t1", sign, at=p1 - 1) == frozenset()
    assert await who_can(store, "t1", sign, at=p1) == {"alice"}
    assert await who_can(store, "t1", sign, at=p2) == {"alice", "bob"}
    assert await who_can(store, "t1", sign, at=p3) == {"alice", "bob"}
    assert await who_can(store, "t1", sign, at=p4) == {"bob"}
    assert await who_can(store, "t1", sign, at=other.last_position) == {"bob"}
    assert await who_can(store, "t1", sign, at=p5) == {"bob", "carol"}
    assert await who_can(store, "t1", sign, at=p6) == {"bob", "carol"}
    assert await who_can(store, "t1", Action.AUDIT, at=p6) == {"alice"}
    assert await who_can(store, "t1", Action.AUDIT, at=p5) == frozenset()
    assert await who_can(store, "t10", sign, at=p6) == {"tom"}
    assert await who_can(store, "t10", sign, at=p2) == frozenset()
    assert await who_can(store, "t1", sign, at=p6 + 100) == {"bob", "carol"}


async def test_the_replay_at_the_head_agrees_with_the_live_policy(
    store: EventStore, grant_all: GrantAll, revoke: RoleChange
) -> None:
    roles = list(Role)
    await grant_all(
        [(f"t{n % 3}", f"user-{n}", roles[n % len(roles)]) for n in range(40)]
        + [("t1", f"user-{n}", Role.AUDITOR) for n in range(0, 40, 7)]
    )
    head = await revoke("t1", "user-7", Role.AUDITOR)
    async with await Authorizer.start(store) as live:
        for trial in ("t0", "t1", "t2", "t3"):
            for action in Action:
                assert await who_can(store, trial, action, at=head) == live.who_can(trial, action)


async def test_the_replay_pages_through_the_trials_events(
    store: EventStore, grant_all: GrantAll, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_module, "REPLAY_PAGE", 4)
    first = await grant_all([("t1", f"user-{n}", Role.SITE_STAFF) for n in range(9)])
    await grant_all([("t10", f"user-{n}", Role.SITE_STAFF) for n in range(9)])
    last = await grant_all([("t1", f"late-{n}", Role.SITE_STAFF) for n in range(5)])
    everyone = {f"user-{n}" for n in range(9)}
    assert await who_can(store, "t1", Action.VOTE, at=first) == everyone
    assert await who_can(store, "t1", Action.VOTE, at=first - 2) == everyone - {"user-7", "user-8"}
    late = {f"late-{n}" for n in range(5)}
    assert await who_can(store, "t1", Action.VOTE, at=last) == everyone | late
    policy = await policy_at(store, "t1", at=last)
    assert policy.members("t10") == frozenset()  # only the asked trial is replayed


async def test_a_position_is_never_negative(store: EventStore) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        await who_can(store, "t1", Action.READ, at=-1)
