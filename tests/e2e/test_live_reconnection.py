"""A researcher's page survives the server going away: its live connection is ended by
the server's shutdown (as in a restart or a deploy), a colleague's edit is committed
through another server process meanwhile, and the page resumes with ``after=`` and shows
the edit, with no event lost or repeated."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import Page, WebSocket, expect

from server.app import create_app
from server.demo import DemoPerson
from server.services import Services
from tests.e2e.conftest import SignIn, ok, screenshot
from tests.integration.server.live.conftest import serving


class RestartableSite:
    """uvicorn serving the app on one loopback port that it can leave and come back to,
    as a restarted server does (the same database, so sessions survive)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port: int = probe.getsockname()[1]
        probe.close()
        self.http = f"http://127.0.0.1:{self.port}"
        self._running: tuple[uvicorn.Server, asyncio.Task[None], socket.socket] | None = None

    async def start(self) -> None:
        services = self._services

        @asynccontextmanager
        async def given() -> AsyncIterator[Services]:
            yield services

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(1024)
        config = uvicorn.Config(create_app(given), log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        self._running = (server, asyncio.create_task(server.serve(sockets=[listener])), listener)

    @property
    def running(self) -> bool:
        return self._running is not None

    async def stop(self) -> None:
        """Shut down as uvicorn does on SIGTERM: every open connection is closed."""
        assert self._running is not None
        server, task, listener = self._running
        self._running = None
        server.should_exit = True
        await task
        listener.close()


@pytest.fixture
async def restartable(services: Services) -> AsyncIterator[RestartableSite]:
    site = RestartableSite(services)
    await site.start()
    yield site
    if site.running:
        await site.stop()


@pytest.fixture
def site(restartable: RestartableSite) -> str:
    """The pages are served by the restartable server."""
    return restartable.http


@dataclass
class LiveSockets:
    """What the page's live connections received, one list of messages a connection."""

    received: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        def opened(socket: WebSocket) -> None:
            if "/api/live" not in socket.url:
                return
            messages: list[dict[str, Any]] = []
            self.received.append((socket.url, messages))
            socket.on("framereceived", lambda payload: messages.append(json.loads(payload)))

        page.on("websocket", opened)

    def answered(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """The connections that were served (attempts while the server was down were not)."""
        return [(url, messages) for url, messages in self.received if messages]

    @staticmethod
    def event_positions(messages: list[dict[str, Any]]) -> list[int]:
        return [e["position"] for m in messages if m["type"] == "events" for e in m["events"]]

    @staticmethod
    def last_position(messages: list[dict[str, Any]]) -> int:
        """The larger of the last event and the last marker: where a client resumes."""
        markers = ("ready", "heartbeat", "pong")
        marks = [int(m["position"]) for m in messages if m["type"] in markers]
        return max([*marks, *LiveSockets.event_positions(messages)])


async def revise(client: httpx.AsyncClient, trial: str, number: str, text: str) -> int:
    protocol = await ok(client.get(f"/api/trials/{trial}/protocol"))
    section = next(s for s in protocol["sections"] if s["number"] == number)
    body = {"base_revision": section["revision"], "text": text, "reason": "While offline"}
    revised = await ok(client.put(f"/api/trials/{trial}/protocol/sections/{number}", json=body))
    position: int = revised["position"]
    return position


async def test_a_page_reconnects_after_the_server_restarts_and_misses_nothing(
    sign_in: SignIn,
    draft_trial: str,
    restartable: RestartableSite,
    services: Services,
    demo: dict[str, DemoPerson],
) -> None:
    ivy = await sign_in("ivy")
    sockets = LiveSockets()
    sockets.watch(ivy)
    await ivy.goto(f"/#/t/{draft_trial}/protocol/5.2")
    status = ivy.locator("#live-status")
    await expect(status).to_have_text("Live")
    await expect(ivy.locator(".meta")).to_contain_text("Revision 1")
    # set on the page now: still there later proves the page was never reloaded
    await ivy.evaluate("window.sameDocument = true")
    start = await services.store.head_position()

    await restartable.stop()
    await expect(status).to_have_text("Live updates interrupted; reconnecting…")

    # meanwhile Omar saves the section through another server process on the same log
    issued = await services.tokens.issue(demo["omar"].user_id, "e2e")
    token = {"Authorization": f"Bearer {issued.token}"}
    omar_text = "Age 40 to 80 years\nSmoking history of 15 pack-years or more"
    async with serving(services) as other, other.client(token) as omar:
        while_away = await revise(omar, draft_trial, "5.2", omar_text)
    await expect(ivy.locator(".section-text")).not_to_contain_text("15 pack-years")

    await restartable.start()
    await expect(status).to_have_text("Live")
    await expect(ivy.locator(".section-text")).to_contain_text("15 pack-years or more")
    await expect(ivy.locator(".meta")).to_contain_text("Revision 2, last written by Dr Omar Haddad")

    # and the connection is live again: Omar's next save arrives as it commits
    async with httpx.AsyncClient(base_url=restartable.http, headers=token, timeout=15) as omar:
        after_return = await revise(omar, draft_trial, "5.2", omar_text.replace("15", "12"))
    await expect(ivy.locator(".section-text")).to_contain_text("12 pack-years or more")
    await expect(ivy.locator(".meta")).to_contain_text("Revision 3, last written by Dr Omar Haddad")
    assert await ivy.evaluate("window.sameDocument") is True
    await screenshot(ivy, "researcher-reconnected")

    # The trial's connections (the page also keeps one to all the person's trials for
    # the inbox's count).
    served = [(url, got) for url, got in sockets.answered() if "trial=" in url]
    assert len(served) == 2, [url for url, _ in served]
    (first_url, before), (second_url, resumed) = served
    assert "after" not in parse_qs(urlsplit(first_url).query)
    resumed_after = parse_qs(urlsplit(second_url).query)["after"]
    assert resumed_after == [str(LiveSockets.last_position(before))]
    assert LiveSockets.event_positions(before) == []
    assert LiveSockets.event_positions(resumed) == [while_away, after_return]
    assert start < while_away < after_return
