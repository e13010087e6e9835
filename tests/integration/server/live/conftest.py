"""The app served by a real uvicorn on 127.0.0.1, and real websocket clients of it."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

from server.app import create_app
from server.live.connection import LiveSettings
from server.services import Services, Settings

TIMEOUT = 15.0
"""Longest a test waits for a message that should come (a failure, never a pause)."""

ALLOWED_ORIGIN = "https://partner.example"


@pytest.fixture
def settings(signing_key: Path) -> Settings:
    return Settings(
        signing_key=signing_key,
        allowed_origins=frozenset({ALLOWED_ORIGIN}),
        live=LiveSettings(buffer_size=16, heartbeat_seconds=1.0),
    )


@dataclass
class Served:
    """A running server: its HTTP and websocket base URLs."""

    http: str
    ws: str

    def client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.http, headers=headers or {}, timeout=TIMEOUT)


@asynccontextmanager
async def serving(services: Services) -> AsyncIterator[Served]:
    """uvicorn serving the app on a loopback socket bound before it starts (so clients
    that connect early wait in the backlog rather than being refused)."""

    @asynccontextmanager
    async def given() -> AsyncIterator[Services]:
        yield services

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(given), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield Served(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await task
        listener.close()


@pytest.fixture
async def served(services: Services) -> AsyncIterator[Served]:
    async with serving(services) as running:
        yield running


@dataclass
class Listener:
    """A websocket client of ``/api/live`` that keeps what it received."""

    socket: ClientConnection
    events: list[dict[str, Any]] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)

    @property
    def positions(self) -> list[int]:
        return [event["position"] for event in self.events]

    async def next_frame(self) -> dict[str, Any]:
        async with asyncio.timeout(TIMEOUT):
            message: dict[str, Any] = json.loads(await self.socket.recv())
        self.frames.append(message)
        if message["type"] == "events":
            self.events.extend(message["events"])
        return message

    async def until(self, kind: str) -> dict[str, Any]:
        """Read frames (keeping events) until one of type ``kind``."""
        while True:
            message = await self.next_frame()
            if message["type"] == kind:
                return message

    async def until_position(self, position: int) -> None:
        """Read until the event at ``position`` (or a later one) has arrived."""
        while not self.events or self.events[-1]["position"] < position:
            await self.next_frame()

    async def until_closed(self) -> Close:
        """Read (keeping events) until the server closes; its close frame."""
        try:
            while True:
                await self.next_frame()
        except ConnectionClosed as closed:
            received = closed.rcvd
        if received is None:
            raise AssertionError("the server closed without a close frame")
        return received

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))


@asynccontextmanager
async def listening(
    served: Served,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    ready: bool = True,
    **options: Any,
) -> AsyncIterator[Listener]:
    """Open ``/api/live?{query}``; with ``ready``, read until the server says it is live."""
    async with connect(
        f"{served.ws}/api/live?{query}", additional_headers=headers, open_timeout=TIMEOUT, **options
    ) as socket_:
        listener = Listener(socket_)
        if ready:
            await listener.until("ready")
        yield listener
