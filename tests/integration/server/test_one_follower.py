"""One follower of the log per server process: one subscription, one task, one order.

The authorization policy, the directory, the state cache, the open shared texts and the
live feed are its projections, fed every event in that order; when following fails, every
one of them stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest

from domain.catalog import to_data
from domain.roles import Role
from domain.streams import trial_stream
from domain.workspace_events import RoleGranted
from events import NewEvent, RecordedEvent, StreamAppend
from events.following import TASK_NAME, ProjectionFailed
from events.sql_store import SqlEventStore
from rbac import Action, AuthorizerStopped
from server.bootstrap import open_services
from server.live.connection import LiveConnection
from server.live.feed import LiveItem
from server.live.messages import CLOSE_SERVER_ERROR
from server.services import Services
from tests.integration.server.conftest import Api

PROJECTIONS = (
    "erased personal data keys",
    "authorization policy",
    "directory",
    "state cache",
    "shared texts",
    "live feed",
    "account changes",
    "merkle tree",
    "forget erased personal data",
)


def _granted(trial: str, user: str) -> NewEvent:
    event = RoleGranted(
        trial_id=trial, user_id=user, role=Role.AUDITOR, reason="needed", granted_by="ada"
    )
    return NewEvent(event.event_type, to_data(event), event.schema_version)


@dataclass(eq=False)
class Listener:
    """Stands in for a live connection: notes what the other projections knew when the
    live feed offered each event."""

    services: Services
    trials: set[str]
    user: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(user_id="ivy"))
    offered: list[tuple[int | None, bool, bool]] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)

    def offer(self, item: LiveItem) -> None:
        may_audit = self.services.authorizer.allows("ivy", "t1", Action.AUDIT)
        listed = self.services.directory.trial("t1") is not None
        self.offered.append((item.position, may_audit, listed))

    def end(self, code: int, reason: str) -> None:
        self.ended.append(code)


def _listening(services: Services) -> Listener:
    listener = Listener(services, {"t1"})
    connection = cast(LiveConnection, listener)
    services.live.attach(connection, services.live.ends)  # being served, as a real one
    services.live.listen(connection)
    return listener


async def test_a_server_process_follows_the_log_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    subscriptions: list[dict[str, Any]] = []
    subscribe = SqlEventStore.subscribe

    def counted(self: SqlEventStore, **filters: Any) -> AsyncGenerator[RecordedEvent, None]:
        subscriptions.append(filters)
        return subscribe(self, **filters)

    monkeypatch.setattr(SqlEventStore, "subscribe", counted)
    with caplog.at_level(logging.INFO, logger="events.following"):
        async with open_services(sqlite_url) as services:
            result = await services.store.append(StreamAppend("s", [NewEvent("Noted", {})]))
            await services.follower.wait_for(result.last_position)
            following = [
                task.get_name()
                for task in asyncio.all_tasks()
                if task.get_name().startswith(TASK_NAME)
            ]
            assert following == [f"{TASK_NAME}: {', '.join(PROJECTIONS)}"]
            assert subscriptions == [{"after": 0}]
            assert services.follower.names == PROJECTIONS
    assert f"following the log from position 0 for: {', '.join(PROJECTIONS)}" in caplog.text


async def test_the_live_feed_offers_an_event_once_the_others_have_applied_it(
    services: Services,
) -> None:
    listener = _listening(services)
    created = NewEvent("TrialCreated", {"trial_id": "t1", "title": "Trial one"})
    await services.store.append(StreamAppend(trial_stream("t1"), [created]))
    result = await services.store.append(StreamAppend(trial_stream("t1"), [_granted("t1", "ivy")]))
    await services.follower.wait_for(result.last_position)
    assert listener.offered == [
        (result.last_position - 1, False, True),
        (result.last_position, True, True),
    ]
    assert services.authorizer.position == services.live.position == result.last_position


async def test_when_following_fails_every_projection_stops(
    services: Services,
    demo: object,
    app_client: httpx.AsyncClient,
    as_user: Api,
    trial: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = await as_user("ivy")
    assert (await app_client.get(trial, headers=headers)).status_code == 200
    listener = _listening(services)
    unreadable = NewEvent(
        "RoleGranted",
        {"trial_id": "t1", "user_id": "ivy", "role": "overlord", "reason": "x",
         "granted_by": "ada"},
    )  # fmt: skip
    with caplog.at_level(logging.ERROR):
        result = await services.store.append(StreamAppend(trial_stream("t1"), [unreadable]))
        with pytest.raises(ProjectionFailed, match="following the log stopped") as stopped:
            async with asyncio.timeout(10):
                await services.follower.wait_for(result.last_position)
    assert "overlord" in str(stopped.value.__cause__)
    assert "the authorization policy projection failed" in caplog.text
    with pytest.raises(AuthorizerStopped, match="following the log failed"):
        services.authorizer.allows("ivy", "t1", Action.READ)
    with pytest.raises(ProjectionFailed, match="directory"):
        services.directory.trial("t1")
    assert services.live.failed
    assert listener.ended == [CLOSE_SERVER_ERROR]
    assert listener.offered == []  # the live feed comes last: it was never offered the event
    assert (await app_client.get(trial, headers=headers)).status_code == 503
