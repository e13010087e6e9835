"""Presence floods (issue 16, item 3): one member sent 5,000 presence updates in 0.09 s and
every other listener got 1,572 roster frames and was closed as too slow. Now a client that
sends more than any person could is closed (4429) and only it; rosters are coalesced per
trial (server/live/feed.py), so listeners get a bounded number, showing where everyone
ended up; a section shown to everyone is a section number, nothing invisible."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from websockets.exceptions import ConnectionClosed

from server.live.connection import LiveSettings
from server.live.feed import PRESENCE_INTERVAL
from server.live.messages import CLOSE_TOO_MANY_MESSAGES
from server.live.presence_relay import CHANNEL, REFRESH_SECONDS
from server.services import Services, Settings
from tests.integration.server.conftest import Api
from tests.integration.server.live.conftest import TIMEOUT, Listener, Served, listening

TRIAL = "asthma-301"
QUERY = f"trial={TRIAL}"
PEOPLE = {
    "ivy": "Dr Ivy Chen",
    "omar": "Dr Omar Haddad",
    "pat": "Pat Okafor",
    "elena": "Dr Elena Rossi",
    "aud": "Audrey Fischer",
    "alex": "Alex Morgan",
}
"""Who listens (Samira, the sponsor lead, floods)."""
LISTENERS = 20
FLOOD = 5_000


@pytest.fixture
def settings(signing_key: Path) -> Settings:
    """The server's defaults for live connections (a buffer of 1,024 messages), as in the
    issue."""
    return Settings(signing_key=signing_key, live=LiveSettings())


Where = tuple[str, str | None, str]
"""A roster entry as (name, section, activity)."""


def presence(section: Any, activity: str = "viewing") -> dict[str, Any]:
    return {"type": "presence", "trial": TRIAL, "section": section, "activity": activity}


def where(roster: list[dict[str, Any]]) -> Counter[Where]:
    return Counter((entry["name"], entry["section"], entry["activity"]) for entry in roster)


def rosters(listener: Listener, since: int = 0) -> list[list[dict[str, Any]]]:
    """The rosters of the trial the listener received (from its ``since``-th frame on)."""
    return [
        frame["present"]
        for frame in listener.frames[since:]
        if frame["type"] == "presence" and frame["trial"] == TRIAL
    ]


def showing(expected: Counter[Where]) -> Callable[[list[dict[str, Any]]], bool]:
    """Whether a roster shows exactly ``expected``."""
    return lambda present: where(present) == expected


async def until_roster(
    listener: Listener, seen: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """Read frames until a roster of the trial satisfies ``seen``; that roster."""
    while True:
        message = await listener.until("presence")
        if message["trial"] == TRIAL and seen(message["present"]):
            present: list[dict[str, Any]] = message["present"]
            return present


async def settled(listener: Listener) -> None:
    """Ping and read until the pong: whatever the server offered before is received."""
    await listener.send({"type": "ping"})
    await listener.until("pong")


def most_rosters(seconds: float) -> float:
    """At most this many rosters of one trial go out in ``seconds``: one at once, then one
    per interval (one more for a frame on its way when the time was read)."""
    return 2 + seconds / PRESENCE_INTERVAL


class Relayed:
    """The presence relay's notifications of the trial, as another process hears them."""

    def __init__(self) -> None:
        self.rosters: list[list[dict[str, Any]]] = []
        self._arrived = asyncio.Event()

    def note(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        message = json.loads(payload)
        if message.get("trial") == TRIAL:
            self.rosters.append(message["present"])
            self._arrived.set()

    async def until(self, seen: Callable[[list[dict[str, Any]]], bool]) -> None:
        """Wait (on arrivals, bounded) until the latest roster satisfies ``seen``."""
        async with asyncio.timeout(TIMEOUT):
            while not (self.rosters and seen(self.rosters[-1])):
                self._arrived.clear()
                await self._arrived.wait()


@asynccontextmanager
async def notifications(url: str) -> AsyncIterator[Relayed | None]:
    """On PostgreSQL, what the relay sends from now on (None on SQLite: no relay)."""
    if not url.startswith("postgresql"):
        yield None
        return
    relayed = Relayed()
    connection = await asyncpg.connect(url)
    try:
        await connection.add_listener(CHANNEL, relayed.note)
        yield relayed
    finally:
        await connection.close()


async def test_a_presence_flood_closes_the_flooder_and_no_one_else(
    served: Served, services: Services, as_user: Api, url: str
) -> None:
    tokens = {username: await as_user(username) for username in PEOPLE}
    usernames = [list(PEOPLE)[n % len(PEOPLE)] for n in range(LISTENERS)]
    sections = [f"{n % 14 + 1}.{n // 14 + 1}" for n in range(LISTENERS)]
    placed = zip(usernames, sections, strict=True)
    expected: Counter[Where] = Counter((PEOPLE[u], s, "viewing") for u, s in placed)
    async with AsyncExitStack() as stack:
        listeners = [
            await stack.enter_async_context(listening(served, query=QUERY, headers=tokens[u]))
            for u in usernames
        ]
        for listener, section in zip(listeners, sections, strict=True):
            await listener.send(presence(section))
        for listener in listeners:
            await until_roster(listener, showing(expected))
        flooder = await stack.enter_async_context(
            listening(served, query=QUERY, headers=await as_user("sam"))
        )
        await flooder.send(presence("1"))  # first at a person's pace: seen by everyone
        with_flooder: Counter[Where] = expected + Counter({("Samira Reyes", "1", "viewing"): 1})
        for listener in listeners:
            await until_roster(listener, showing(with_flooder))
        relayed = await stack.enter_async_context(notifications(url))
        before = [len(listener.frames) for listener in listeners]
        flood = [json.dumps(presence(f"{n % 14 + 1}.{n % 7 + 1}")) for n in range(FLOOD)]

        async def send_flood() -> int:
            sent = 0
            with contextlib.suppress(ConnectionClosed):
                for message in flood:
                    await flooder.socket.send(message)
                    sent += 1
            return sent

        started = time.monotonic()
        flooding = asyncio.create_task(send_flood())
        closed = await flooder.until_closed()
        sent = await flooding
        # A move after the flooder was closed: the roster showing it shows everyone as
        # they are once the flooder has left (the flooder gone).
        ivy_moved: Counter[Where] = expected - Counter({(PEOPLE["ivy"], "1.1", "viewing"): 1})
        ivy_moved[(PEOPLE["ivy"], "lay-summary", "viewing")] += 1
        await listeners[0].send(presence("lay-summary"))
        for listener in listeners:
            await until_roster(listener, showing(ivy_moved))
            await settled(listener)
        if relayed is not None:
            await relayed.until(showing(ivy_moved))
        elapsed = time.monotonic() - started
        assert services.live.connections == LISTENERS, "everyone but the flooder is still here"

    assert closed.code == CLOSE_TOO_MANY_MESSAGES
    assert "too many messages" in closed.reason
    assert sent > services.settings.live.message_burst
    bound = most_rosters(elapsed)
    for listener, first in zip(listeners, before, strict=True):
        received = rosters(listener, since=first)
        assert 1 <= len(received) <= bound, (len(received), elapsed)
        assert where(received[-1]) == ivy_moved, "the last roster shows where everyone is"
        assert not any(frame["type"] == "error" for frame in listener.frames), (
            "the listeners' own messages were all taken"
        )
    if relayed is not None:  # the other processes hear no more than the listeners here,
        # besides the roster with the flooder (which may arrive after the relay was
        # heard from) and the relay's refresh every REFRESH_SECONDS
        assert len(relayed.rosters) <= bound + 1 + (1 + elapsed / REFRESH_SECONDS)


async def test_a_person_moving_at_a_human_pace_is_seen_at_every_move(
    served: Served, as_user: Api
) -> None:
    moves = [("1", "viewing"), ("5", "viewing"), ("5.2", "viewing"), ("5.2", "editing")]
    moves += [("5.2.1", "viewing"), ("10.4", "viewing"), ("lay-summary", "viewing")]
    async with (
        listening(served, query=QUERY, headers=await as_user("omar")) as omar,
        listening(served, query=QUERY, headers=await as_user("ivy")) as ivy,
    ):
        start = len(omar.frames)
        for section, activity in moves:  # each once the last was seen: a person's pace
            await ivy.send(presence(section, activity))
            await until_roster(omar, showing(where_ivy(section, activity)))
        await settled(omar)
    seen = [where(present) for present in rosters(omar, since=start)]
    assert seen == [where_ivy(*move) for move in moves], "every move, once, in order"


def where_ivy(section: str, activity: str = "viewing") -> Counter[Where]:
    return Counter({(PEOPLE["ivy"], section, activity): 1})


async def test_someone_moving_fast_is_shown_where_they_end_up(served: Served, as_user: Api) -> None:
    moves = [f"{n}.1" for n in range(1, 15)] + ["8.2"]
    async with (
        listening(served, query=QUERY, headers=await as_user("omar")) as omar,
        listening(served, query=QUERY, headers=await as_user("ivy")) as ivy,
    ):
        start = len(omar.frames)
        started = time.monotonic()
        for section in moves:  # as fast as the socket takes them, within the burst
            await ivy.send(presence(section))
        await until_roster(omar, showing(where_ivy("8.2")))
        await settled(omar)
        await settled(ivy)
        elapsed = time.monotonic() - started
    received = rosters(omar, since=start)
    assert where(received[-1]) == where_ivy("8.2"), "the latest position wins"
    assert len(received) <= most_rosters(elapsed)
    assert not [frame for frame in ivy.frames if frame["type"] == "error"]


async def test_a_section_with_invisible_characters_is_refused_and_shown_to_no_one(
    served: Served, as_user: Api
) -> None:
    refused = [
        "5.2\u200b",  # zero-width space
        "\u202e2.5",  # right-to-left override: would read as 5.2
        "5.\u20602",  # word joiner
        "lay\u00adsummary",  # soft hyphen
        "5.2\x00",
        "\U000e0035.2",  # a tag character
        "Protocol Summary",  # not a section number
        "\u0665.\u0662",  # Arabic-Indic digits: looks like a number, is not one
        "5." * 150,  # too long
        52,
    ]
    async with (
        listening(served, query=QUERY, headers=await as_user("omar")) as omar,
        listening(served, query=QUERY, headers=await as_user("ivy")) as ivy,
    ):
        start = len(omar.frames)
        problems = []
        for section in refused:
            await ivy.send(presence(section))
            problems.append((await ivy.until("error"))["problem"])
        await ivy.send(presence("5.2"))
        shown = await until_roster(omar, bool)
        await settled(omar)
        await settled(ivy)
    assert [problem["status"] for problem in problems] == [400] * len(refused)
    assert all(problem["type"].endswith("/bad-live-message") for problem in problems)
    assert "U+200B ZERO WIDTH SPACE" in problems[0]["detail"]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in problems[1]["detail"]
    assert where(shown) == where_ivy("5.2")
    assert rosters(omar, since=start) == [shown], "no refused section reached anyone"


async def test_the_limit_counts_every_message_and_closes_only_the_sender(
    served: Served, services: Services, as_user: Api
) -> None:
    """Pings and garbage count too: a client cannot flood by sending what is refused."""
    async with (
        listening(served, query=QUERY, headers=await as_user("omar")) as omar,
        listening(served, query=QUERY, headers=await as_user("ivy")) as ivy,
    ):

        async def garble() -> None:
            with contextlib.suppress(ConnectionClosed):
                for _ in range(FLOOD):
                    await ivy.socket.send("not json")

        started = time.monotonic()
        garbling = asyncio.create_task(garble())
        closed = await ivy.until_closed()
        elapsed = time.monotonic() - started
        await garbling
        await settled(omar)
        assert services.live.connections == 1
    assert closed.code == CLOSE_TOO_MANY_MESSAGES
    limits = services.settings.live
    errors = [frame for frame in ivy.frames if frame["type"] == "error"]
    assert 0 < len(errors) <= limits.message_burst + limits.message_rate * elapsed
