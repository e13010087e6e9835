"""Role events in a real log (SQLite and PostgreSQL, from ``tests/integration/conftest.py``).

``grant`` and ``revoke`` append one RoleGranted / RoleRevoked event to the trial's stream,
shaped by the domain's classes and codec as the server will append them, and return its
position.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from domain.catalog import to_data
from domain.event import Event
from domain.roles import Role
from domain.streams import trial_stream
from domain.workspace_events import RoleGranted, RoleRevoked
from events import EventStore, NewEvent, StreamAppend

RoleChange = Callable[[str, str, Role], Awaitable[int]]


def new_event(event: Event) -> NewEvent:
    return NewEvent(event.event_type, to_data(event), event.schema_version)


def granted(trial: str, user: str, role: Role) -> NewEvent:
    return new_event(
        RoleGranted(trial_id=trial, user_id=user, role=role, reason="needed", granted_by="ada")
    )


def revoked(trial: str, user: str, role: Role) -> NewEvent:
    return new_event(
        RoleRevoked(trial_id=trial, user_id=user, role=role, reason="left", revoked_by="ada")
    )


@pytest.fixture
def grant(store: EventStore) -> RoleChange:
    async def append(trial: str, user: str, role: Role) -> int:
        result = await store.append(StreamAppend(trial_stream(trial), [granted(trial, user, role)]))
        return result.last_position

    return append


@pytest.fixture
def revoke(store: EventStore) -> RoleChange:
    async def append(trial: str, user: str, role: Role) -> int:
        result = await store.append(StreamAppend(trial_stream(trial), [revoked(trial, user, role)]))
        return result.last_position

    return append


@pytest.fixture
def grant_all(store: EventStore) -> Callable[[list[tuple[str, str, Role]]], Awaitable[int]]:
    """Append many grants ``(trial, user, role)`` in one atomic append, one stream per trial."""

    async def append(grants: list[tuple[str, str, Role]]) -> int:
        streams: dict[str, list[NewEvent]] = {}
        for trial, user, role in grants:
            streams.setdefault(trial_stream(trial), []).append(granted(trial, user, role))
        result = await store.append(*(StreamAppend(s, events) for s, events in streams.items()))
        return result.last_position

    return append
