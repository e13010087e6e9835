"""The account log: what happens to accounts, as events in the same append-only, hash-chained
log as the trials (``system/account/{user_id}``, its sign-ins beside it in
``system/account/{user_id}/sign-ins``, and ``system/sign-ins`` for refusals under unknown
usernames; :mod:`domain.account_events`).

The account tables (:mod:`server.accounts.tables`) hold what must stay secret or be
replaceable (password hashes, token digests) and what each request reads quickly; the log
holds the record an inspector reads and verifies. A change is recorded *before* the
tables change, so nothing takes effect unrecorded: should the process die between the two,
the log shows a change the tables never made (``concord verify`` still passes; the
person retries), never the other way round.
"""

from __future__ import annotations

import heapq
import typing
from collections.abc import Mapping
from typing import Any

from domain.account_events import (
    SIGN_IN_EVENTS,
    SIGN_INS_STREAM,
    AccountEvent,
    AccountState,
    account_stream,
    evolve_account,
    sign_ins_stream,
)
from domain.catalog import from_data, to_data
from events import AppendResult, EventStore, NewEvent, RecordedEvent, StreamAppend

ACCOUNT_EVENT_TYPES = frozenset(cls.event_type for cls in typing.get_args(AccountEvent))
"""The type names of every event of an account's stream."""

Meta = Mapping[str, Any]


def operator_actor(name: str) -> str:
    """The ``by`` of a change made on the server's machine by its operator (the CLI)."""
    return f"operator:{name}"


def _by_stream(user_id: str, events: tuple[AccountEvent, ...]) -> dict[str, list[AccountEvent]]:
    if not user_id:
        return {SIGN_INS_STREAM: list(events)}
    streams: dict[str, list[AccountEvent]] = {}
    for event in events:
        sign_in = isinstance(event, SIGN_IN_EVENTS)
        stream = sign_ins_stream(user_id) if sign_in else account_stream(user_id)
        streams.setdefault(stream, []).append(event)
    return streams


class AccountLog:
    """Records account events in ``store`` and reads an account's stream back."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    async def record(self, user_id: str, *events: AccountEvent, meta: Meta) -> AppendResult:
        """Append ``events`` to the account's stream (to :data:`SIGN_INS_STREAM` when
        ``user_id`` is empty: a sign-in under a username no account has). ``meta`` says
        who acted and how (``actor``, ``via``, ``session_id`` or ``token_id``, ...)."""
        appends = [
            StreamAppend(
                stream, [NewEvent(e.event_type, to_data(e), e.schema_version) for e in group]
            )
            for stream, group in _by_stream(user_id, events).items()
        ]
        return await self._store.append(*appends, meta=dict(meta))

    async def trail(self, user_id: str) -> list[RecordedEvent]:
        """Everything recorded of the account, its sign-ins included, oldest first."""
        lifecycle = await self._store.read_stream(account_stream(user_id))
        sign_ins = await self._store.read_stream(sign_ins_stream(user_id))
        return list(heapq.merge(lifecycle, sign_ins, key=lambda event: event.position))

    async def state(self, user_id: str) -> AccountState:
        """What the account's stream says of it now (system roles, disabled, training);
        its sign-ins are not read."""
        state = AccountState()
        for recorded in await self._store.read_stream(account_stream(user_id)):
            if recorded.type in ACCOUNT_EVENT_TYPES:
                event = from_data(recorded.type, recorded.data, recorded.schema_version)
                state = evolve_account(state, event)
        return state
