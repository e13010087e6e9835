"""Two ``concord serve`` processes on one PostgreSQL database, two people writing one
section through different servers: what each types reaches the other's live connection
and the other server's document, and where each caret is crosses over with presence.

PostgreSQL only: two processes share a log only through a database server (the store's
doorbell and the presence relay are LISTEN/NOTIFY); without one the test is skipped, as
every PostgreSQL test is, with the reason."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycrdt import Doc, XmlFragment
from websockets.exceptions import ConnectionClosed

from domain.shared_text import SharedTextEdited, SharedTextStarted
from domain.streams import shared_text_stream
from server.demo import DRAFT_TRIAL
from tests.integration.server.live.conftest import Listener, Served, listening
from tests.integration.server.serving import serve_demo
from tests.integration.server.test_coediting_durability import (
    UPDATES,
    Sent,
    Typist,
    api_token,
    bearer,
    shared_text,
)

pytestmark = pytest.mark.postgres

STREAM = shared_text_stream(DRAFT_TRIAL, "5.2")
WORDS = 30
"""Words each person types."""
TIMEOUT = 30.0
"""Longest the test waits for anything that should come (a failure, never a pause)."""


@dataclass
class Screen:
    """What a person's browser shows of the section through one server: the document as
    opened there, with every update its live connection brings applied as it comes."""

    listener: Listener
    doc: Doc[Any] = field(default_factory=Doc)
    closed: ConnectionClosed | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def text(self) -> str:
        return str(self.doc.get("default", type=XmlFragment))

    @property
    def edits(self) -> dict[int, dict[str, Any]]:
        """The shared text's updates the connection brought, by position."""
        return {
            e["position"]: e
            for e in self.listener.events
            if e["stream"] == STREAM and e["type"] == SharedTextEdited.event_type
        }

    def entry_of(self, user_id: str) -> dict[str, Any] | None:
        """The person's entry in the newest roster the connection brought."""
        rosters = [f["present"] for f in self.listener.frames if f["type"] == "presence"]
        if not rosters:
            return None
        return next((e for e in rosters[-1] if e["user_id"] == user_id), None)

    async def until_cursor(self, user_id: str, cursor: dict[str, Any]) -> None:
        """Wait until the person's entry in the roster shows ``cursor``."""

        def shown() -> bool:
            entry = self.entry_of(user_id)
            return entry is not None and entry.get("cursor") == cursor

        await self.until(shown, f"{user_id}'s cursor in the roster")

    async def watch(self) -> None:
        """Read the connection until it closes, applying the shared text's updates."""
        try:
            async for frame in self.listener.socket:
                message: dict[str, Any] = json.loads(frame)
                self.listener.frames.append(message)
                if message["type"] == "events":
                    self.listener.events.extend(message["events"])
                    for event in message["events"]:
                        if event["stream"] == STREAM and "update" in event["data"]:
                            self.doc.apply_update(base64.b64decode(event["data"]["update"]))
                async with self._changed:
                    self._changed.notify_all()
        except ConnectionClosed as closed:
            self.closed = closed
        async with self._changed:
            self._changed.notify_all()

    async def until(self, seen: Callable[[], bool], what: str) -> None:
        try:
            async with asyncio.timeout(TIMEOUT), self._changed:
                await self._changed.wait_for(lambda: seen() or self.closed is not None)
        except TimeoutError:
            raise AssertionError(f"{what}: not seen within {TIMEOUT} s") from None
        assert self.closed is None, f"{what}: the connection closed ({self.closed})"


@asynccontextmanager
async def screen_on(served: Served, token: str) -> AsyncIterator[Screen]:
    """A live connection to the draft trial (API token), and the section opened on the
    same server."""
    async with listening(served, query=f"trial={DRAFT_TRIAL}", headers=bearer(token)) as live:
        screen = Screen(live)
        watching = asyncio.create_task(screen.watch())
        try:
            opened = await shared_text(served.http, token)
            screen.doc.apply_update(base64.b64decode(opened["state"]))
            yield screen
        finally:
            watching.cancel()
            with suppress(asyncio.CancelledError):
                await watching


async def type_words(typist: Typist, base: str) -> list[tuple[Sent, int]]:
    """Type ``WORDS`` words, each sent when the one before was answered; a request that
    other writers kept from the stream (409 concurrent change) is sent again with its
    key, as the browser does. The updates sent, with the positions answered."""
    answered = []
    async with typist.client(base) as client:
        for _ in range(WORDS):
            sent = typist.type_word()
            while True:
                answer = await client.post(
                    UPDATES, json=sent.body, headers={"Idempotency-Key": sent.key}
                )
                busy = answer.status_code == 409 and answer.json()["type"].endswith(
                    "/concurrent-change"
                )
                if not busy:
                    break
            assert answer.status_code == 200, answer.text
            typist.based_on = None
            answered.append((sent, answer.json()["position"]))
    return answered


async def user_id_of(base: str, token: str) -> str:
    async with httpx.AsyncClient(base_url=base, headers=bearer(token)) as client:
        me = await client.get("/api/session")
    assert me.status_code == 200, me.text
    user_id: str = me.json()["user"]["user_id"]
    return user_id


def position_at(client_id: int, clock: int) -> dict[str, Any]:
    """A Yjs relative position (as JSON) just after the character ``client_id`` typed at
    ``clock``."""
    return {"type": None, "tname": None, "item": {"client": client_id, "clock": clock}, "assoc": 0}


async def test_what_one_server_takes_reaches_the_other_s_listeners_document_and_carets(
    tmp_path: Path, postgres_url: str
) -> None:
    with (
        serve_demo(tmp_path / "a", database_url=postgres_url) as a,
        serve_demo(tmp_path / "b", database_url=postgres_url, demo=False) as b,
    ):
        on_a = Served(a.base, a.base.replace("http", "ws", 1))
        on_b = Served(b.base, b.base.replace("http", "ws", 1))
        ivy = Typist("ivy", await api_token(a.base, "ivy", a.passwords["ivy"]), 2**33 + 5)
        omar = Typist("omar", await api_token(b.base, "omar", a.passwords["omar"]), 4_242)
        ivy_id = await user_id_of(a.base, ivy.token)
        async with screen_on(on_a, ivy.token) as ivy_sees, screen_on(on_b, omar.token) as omar_sees:
            await ivy.open(a.base)
            await omar.open(b.base)
            async with asyncio.timeout(TIMEOUT):
                ivy_sent, omar_sent = await asyncio.gather(
                    type_words(ivy, a.base), type_words(omar, b.base)
                )
            everyone = {p for _, p in ivy_sent} | {p for _, p in omar_sent}
            await omar_sees.until(lambda: everyone <= omar_sees.edits.keys(), "every edit on B")
            await ivy_sees.until(lambda: everyone <= ivy_sees.edits.keys(), "every edit on A")

            # B's listener got each of Ivy's updates, as she sent it to A, hers, once.
            on_b_edits = omar_sees.edits
            for sent, position in ivy_sent:
                event = on_b_edits[position]
                assert base64.b64decode(event["data"]["update"]) == sent.update
                assert event["data"]["edited_by"] == ivy_id
            for screen in (ivy_sees, omar_sees):
                positions = [e["position"] for e in screen.listener.events]
                assert len(positions) == len(set(positions)), "an event came twice"
                # Both first updates raced for the untouched text: it was started once.
                started = [
                    e
                    for e in screen.listener.events
                    if e["stream"] == STREAM and e["type"] == SharedTextStarted.event_type
                ]
                assert len(started) == 1, started

            # Both screens, and both servers' documents, hold every word, in one order.
            words = [sent.words for sent, _ in ivy_sent + omar_sent]
            for screen in (ivy_sees, omar_sees):
                assert [w for w in words if w not in screen.text] == []
            assert ivy_sees.text == omar_sees.text
            for server, token in ((b.base, omar.token), (a.base, ivy.token)):
                served: Doc[Any] = Doc()
                served.apply_update(base64.b64decode((await shared_text(server, token))["state"]))
                assert str(served.get("default", type=XmlFragment)) == omar_sees.text

            # Ivy's caret, sent to A, shows in B's roster; so does the selection she makes.
            typed = sum(len(sent.words) for sent, _ in ivy_sent)
            end = position_at(ivy.client_id, typed - 1)
            caret = {"anchor": end, "head": end}
            selection = {"anchor": position_at(ivy.client_id, 0), "head": end}
            for cursor in (caret, selection):
                await ivy_sees.listener.send(
                    {"type": "presence", "trial": DRAFT_TRIAL, "section": "5.2"}
                    | {"activity": "editing", "cursor": cursor}
                )
                await omar_sees.until_cursor(ivy_id, cursor)
            entry = omar_sees.entry_of(ivy_id)
            assert entry is not None
            assert (entry["name"], entry["section"], entry["activity"]) == (
                "Dr Ivy Chen",
                "5.2",
                "editing",
            )
