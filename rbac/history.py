"""Who could do what at a past moment: the policy replayed to a position of the log."""

from __future__ import annotations

from domain.account_events import SYSTEM_SEGMENT
from domain.streams import trial_stream
from events import EventStore
from rbac.actions import Action, SystemAction
from rbac.policy import ROLE_EVENT_TYPES, SYSTEM_ROLE_EVENT_TYPES, Policy

REPLAY_PAGE = 5_000


async def policy_at(store: EventStore, trial_id: str, *, at: int) -> Policy:
    """The policy of ``trial_id`` folded from its role events up to position ``at``
    (inclusive). It holds only that trial's grants."""
    if at < 0:
        raise ValueError(f"a log position is 0 or more, got {at}")
    policy = Policy()
    async for page in store.pages(
        until=at, page_size=REPLAY_PAGE, types=ROLE_EVENT_TYPES, under=trial_stream(trial_id)
    ):
        for event in page:
            policy.apply(event)  # only the trial's own stream speaks for it
    return policy


async def who_can(store: EventStore, trial_id: str, action: Action, *, at: int) -> frozenset[str]:
    """The users who could attempt ``action`` in ``trial_id`` as of log position ``at``
    (inclusive): the policy replayed to that position, asked of Casbin member by member.

    For a moment in time, pass ``at=await store.position_at(moment)``.
    """
    policy = await policy_at(store, trial_id, at=at)
    return policy.who_can(trial_id, action)


ACCOUNTS_UNDER = f"{SYSTEM_SEGMENT}/account"
"""The parent of every account's stream (``system/account/{user_id}``)."""


async def system_policy_at(store: EventStore, *, at: int) -> Policy:
    """The system roles folded from the accounts' streams up to position ``at``
    (inclusive). It holds no trial's grants."""
    if at < 0:
        raise ValueError(f"a log position is 0 or more, got {at}")
    policy = Policy()
    async for page in store.pages(
        until=at, page_size=REPLAY_PAGE, types=SYSTEM_ROLE_EVENT_TYPES, under=ACCOUNTS_UNDER
    ):
        for event in page:
            policy.apply(event)  # only the account's own stream speaks for it
    return policy


async def who_could_system(store: EventStore, action: SystemAction, *, at: int) -> frozenset[str]:
    """The users who could attempt ``action`` (found a trial, administer accounts, read
    account trails) as of log position ``at`` (inclusive)."""
    policy = await system_policy_at(store, at=at)
    return policy.who_can_system(action)
