"""An acknowledged keystroke survives ``kill -9``: two people type into a draft section
of a real ``concord serve`` process, the process is killed while they type, and the
restarted server holds everything it answered for, in the document and in the log; what
was left unanswered, sent again with its idempotency key, is recorded once."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Doc, XmlElement, XmlFragment, XmlText, get_update

from domain.shared_text import SharedTextEdited
from domain.streams import shared_text_stream
from events import RecordedEvent, open_store
from server.demo import DRAFT_TRIAL
from tests.integration.server.serving import Served, serve_demo

SECTION = f"/api/trials/{DRAFT_TRIAL}/protocol/sections/5.2"
UPDATES = f"{SECTION}/text/updates"
TIMEOUT = 60.0
"""Longest any phase of a test may take (a failure, never a pause)."""
ANSWERED_BEFORE_THE_KILL = 25
"""Updates each typist has had answered in a round when the server is killed."""
NOTHING_MISSING = b"\x00\x00"
"""An update with nothing in it: what ``get_update`` leaves of one a state holds whole."""


async def api_token(base: str, username: str, password: str) -> str:
    """An API token of ``username``, asked for through a signed-in session."""
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
        signed_in = await client.post(
            "/api/session", json={"username": username, "password": password}
        )
        assert signed_in.status_code == 200, signed_in.text
        issued = await client.post(
            "/api/tokens",
            json={"name": "co-editing test"},
            headers={"X-CSRF-Token": signed_in.json()["csrf_token"]},
        )
        assert issued.status_code == 201, issued.text
        token: str = issued.json()["token"]
        return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True, slots=True)
class Sent:
    """One update as sent: its bytes, its idempotency key, the words it typed, and (for a
    copy nobody had written in when it was opened) the revision the copy began from."""

    update: bytes
    key: str
    words: str
    based_on: int | None = None

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"update": base64.b64encode(self.update).decode("ascii")}
        if self.based_on is not None:
            body["based_on"] = self.based_on
        return body


@dataclass
class Typist:
    """A person's copy of the section's shared text, as a browser keeps it: each word is
    typed at the end of the first paragraph and sent, one request at a time with a key
    of its own, as the update since what was sent before."""

    name: str
    token: str
    client_id: int
    doc: Doc[Any] = field(init=False)
    answered: list[tuple[Sent, int]] = field(default_factory=list)
    """Updates the server answered 200 for, with the log position it answered."""
    unanswered: Sent | None = None
    """The update whose request got no answer (the server died under it)."""
    based_on: int | None = None
    """The revision the copy began from, while nobody has written in the text (sent with
    the first update, as the browser does)."""
    _sent_state: bytes = b"\x00"
    _typed: int = 0
    _progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    def __post_init__(self) -> None:
        self.doc = Doc(client_id=self.client_id)

    def client(self, base: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base, headers=bearer(self.token), timeout=TIMEOUT)

    async def open(self, base: str) -> None:
        """Read the shared text into this copy (once: later it only types)."""
        opened = await shared_text(base, self.token)
        self.doc.apply_update(base64.b64decode(opened["state"]))
        self._sent_state = self.doc.get_state()
        self.based_on = None if opened["started"] else opened["base_revision"]

    def type_word(self) -> Sent:
        """Type the next word at the end of the first paragraph; the update holding it."""
        self._typed += 1
        words = f" {self.name}-{self._typed:04}."
        paragraph = self.doc.get("default", type=XmlFragment).children[0]
        assert isinstance(paragraph, XmlElement)
        text = paragraph.children[len(paragraph.children) - 1]
        assert isinstance(text, XmlText)
        text.insert(len(text), words)
        update = self.doc.get_update(self._sent_state)
        self._sent_state = self.doc.get_state()
        return Sent(update, uuid.uuid4().hex, words, self.based_on)

    async def type_until_unanswered(self, base: str) -> None:
        """Type and send word after word until a request gets no answer."""
        async with self.client(base) as client:
            while True:
                sent = self.type_word()
                try:
                    answer = await client.post(
                        UPDATES, json=sent.body, headers={"Idempotency-Key": sent.key}
                    )
                except httpx.TransportError:
                    self.unanswered = sent
                    return
                assert answer.status_code == 200, answer.text
                self.based_on = None
                async with self._progress:
                    self.answered.append((sent, answer.json()["position"]))
                    self._progress.notify_all()

    async def until_answered(self, count: int) -> None:
        async with self._progress:
            await self._progress.wait_for(lambda: len(self.answered) >= count)

    async def send_again(self, base: str) -> None:
        """Send the unanswered update again, twice, with its key: one answer for both."""
        left = self.unanswered
        assert left is not None
        async with self.client(base) as client:
            retries = [
                await client.post(UPDATES, json=left.body, headers={"Idempotency-Key": left.key})
                for _ in range(2)
            ]
        assert [r.status_code for r in retries] == [200, 200], [r.text for r in retries]
        position = retries[0].json()["position"]
        assert retries[1].json()["position"] == position
        assert retries[1].headers.get("Idempotent-Replayed") == "true"
        self.answered.append((left, position))
        self.unanswered = None


async def shared_text(base: str, token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
        opened = await client.get(f"{SECTION}/text", headers=bearer(token))
    assert opened.status_code == 200, opened.text
    body: dict[str, Any] = opened.json()
    return body


async def edits_in_the_log(url: str) -> list[RecordedEvent]:
    store = await open_store(url, migrate=False)
    try:
        events = await store.read_stream(shared_text_stream(DRAFT_TRIAL, "5.2"))
    finally:
        await store.close()
    return [e for e in events if e.type == SharedTextEdited.event_type]


async def type_until_killed(server_pid: int, base: str, typists: list[Typist]) -> None:
    """Let the typists type until each has had more answers, ``kill -9`` the server while
    they go on, and wait until each has a request left unanswered."""
    typing = [asyncio.create_task(t.type_until_unanswered(base)) for t in typists]
    try:
        targets = [len(t.answered) + ANSWERED_BEFORE_THE_KILL for t in typists]
        await asyncio.gather(*(t.until_answered(n) for t, n in zip(typists, targets, strict=True)))
        os.kill(server_pid, signal.SIGKILL)
        await asyncio.gather(*typing)
    finally:
        for task in typing:
            task.cancel()


async def assert_holds_every_answered_update(base: str, url: str, typists: list[Typist]) -> None:
    """The served document holds every word and every update the server answered for;
    the log holds each answered update once, where the answer said, and nothing else but
    (perhaps) an update whose answer the kill cut off."""
    opened = await shared_text(base, typists[0].token)
    document: Doc[Any] = Doc()
    document.apply_update(base64.b64decode(opened["state"]))
    text = str(document.get("default", type=XmlFragment))
    state = document.get_state()
    for typist in typists:
        lost = [sent.words for sent, _ in typist.answered if sent.words not in text]
        assert lost == [], f"{typist.name}'s acknowledged words are not in the text"
        partly = [
            sent.words
            for sent, _ in typist.answered
            if get_update(sent.update, state) != NOTHING_MISSING
        ]
        assert partly == [], f"{typist.name}'s acknowledged updates are not wholly in it"

    logged = {e.position: base64.b64decode(e.data["update"]) for e in await edits_in_the_log(url)}
    answered = {position: sent.update for t in typists for sent, position in t.answered}
    assert {p: logged.get(p) for p in answered} == answered, "answered updates are not logged"
    cut_off = {t.unanswered.update for t in typists if t.unanswered is not None}
    others = [p for p, update in logged.items() if p not in answered and update not in cut_off]
    assert others == [], f"the log holds edits nobody was answered for at {others}"
    assert len(set(logged.values())) == len(logged), "an update is logged twice"


@asynccontextmanager
async def restarted(data_dir: Path, url: str, typists: list[Typist]) -> AsyncIterator[Served]:
    """The server started again on the same database, checked to hold every answered
    update, and each typist's unanswered update sent again (and checked again)."""
    with serve_demo(data_dir, database_url=url, demo=False) as server:
        await assert_holds_every_answered_update(server.base, url, typists)
        for typist in typists:
            await typist.send_again(server.base)
        await assert_holds_every_answered_update(server.base, url, typists)
        yield server


async def test_every_acknowledged_update_survives_kill_9_and_a_retry_is_recorded_once(
    tmp_path: Path, url: str
) -> None:
    data_dir = tmp_path / "data"
    typists = [Typist("ivy", "", 2**32 + 17), Typist("omar", "", 905_113)]
    async with asyncio.timeout(TIMEOUT):
        with serve_demo(data_dir, database_url=url) as first:
            for typist in typists:
                password = first.passwords[typist.name]
                typist.token = await api_token(first.base, typist.name, password)
                await typist.open(first.base)
            await type_until_killed(first.pid, first.base, typists)
    async with asyncio.timeout(TIMEOUT), restarted(data_dir, url, typists) as second:
        # They type on, on the restarted server, and it is killed too.
        await type_until_killed(second.pid, second.base, typists)
    async with asyncio.timeout(TIMEOUT), restarted(data_dir, url, typists):
        pass
