"""Two ``concord serve`` processes on one PostgreSQL: what one commits, the other's
listeners hear (the store's doorbell, LISTEN/NOTIFY, wakes every process), and who is
where in a trial is seen through either (server/live/presence_relay.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.server.live.conftest import Listener, Served, listening
from tests.integration.server.serving import serve_demo

pytestmark = pytest.mark.postgres

TRIAL = "/api/trials/asthma-301"


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    """Sign the client in (it then sends its CSRF token); its session cookie header."""
    response = await client.post("/api/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return f"concord_session={client.cookies['concord_session']}"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A demo person signed in through one of the servers."""

    server: Served
    client: httpx.AsyncClient
    cookie: str

    def listening(self) -> Any:
        """A live connection to the demo trial through this person's server."""
        headers = {"Cookie": self.cookie, "Origin": self.server.http}
        return listening(self.server, query="trial=asthma-301", headers=headers)


@asynccontextmanager
async def omar_and_ivy_apart(
    tmp_path: Path, postgres_url: str
) -> AsyncIterator[tuple[SignedIn, SignedIn]]:
    """Two servers on one database: Omar signed in through the first, Ivy the second."""
    with (
        serve_demo(tmp_path / "first", database_url=postgres_url) as first,
        serve_demo(tmp_path / "second", database_url=postgres_url, demo=False) as second,
    ):
        on_first = Served(first.base, first.base.replace("http", "ws", 1))
        on_second = Served(second.base, second.base.replace("http", "ws", 1))
        async with on_first.client() as omar, on_second.client() as ivy:
            yield (
                SignedIn(on_first, omar, await sign_in(omar, "omar", first.passwords["omar"])),
                SignedIn(on_second, ivy, await sign_in(ivy, "ivy", first.passwords["ivy"])),
            )


async def test_an_event_committed_through_one_server_reaches_the_listeners_of_the_other(
    tmp_path: Path, postgres_url: str
) -> None:
    async with (
        omar_and_ivy_apart(tmp_path, postgres_url) as (omar, ivy),
        ivy.listening() as ivy_listens,
        omar.listening() as omar_listens,
    ):
        through_first = await omar.client.post(
            f"{TRIAL}/comments/section/5.2",
            json={"comment_id": "from-first", "text": "Written through the first server"},
        )
        assert through_first.status_code == 201, through_first.text
        through_second = await ivy.client.post(
            f"{TRIAL}/comments/section/5.2",
            json={"comment_id": "from-second", "text": "Written through the second server"},
        )
        assert through_second.status_code == 201, through_second.text
        last = through_second.json()["position"]
        await ivy_listens.until_position(last)
        await omar_listens.until_position(last)
    texts = ["Written through the first server", "Written through the second server"]
    assert [e["data"]["text"] for e in ivy_listens.events] == texts
    assert omar_listens.events == ivy_listens.events


async def test_who_is_where_is_seen_through_either_server(
    tmp_path: Path, postgres_url: str
) -> None:
    async with (
        omar_and_ivy_apart(tmp_path, postgres_url) as (omar, ivy),
        omar.listening() as omar_listens,
    ):
        async with ivy.listening() as ivy_listens:
            await ivy_listens.send(
                {"type": "presence", "trial": "asthma-301", "section": "5.2"}
                | {"activity": "editing"}
            )
            ivy_seen_on_first = await until_present(omar_listens, "Dr Ivy Chen")
            await omar_listens.send({"type": "presence", "trial": "asthma-301", "section": "3.1"})
            both_seen_on_second = await until_present(ivy_listens, "Dr Omar Haddad")
        gone = await until_absent(omar_listens, "Dr Ivy Chen")
    [ivy_entry] = ivy_seen_on_first
    assert (ivy_entry["section"], ivy_entry["activity"]) == ("5.2", "editing")
    assert {(e["name"], e["section"]) for e in both_seen_on_second} == {
        ("Dr Ivy Chen", "5.2"),
        ("Dr Omar Haddad", "3.1"),
    }
    assert [e["name"] for e in gone] == ["Dr Omar Haddad"]


async def until_present(listener: Listener, name: str) -> list[dict[str, Any]]:
    """Read presence rosters until one shows ``name``; that roster."""
    while True:
        roster = (await listener.until("presence"))["present"]
        if name in {entry["name"] for entry in roster}:
            return list(roster)


async def until_absent(listener: Listener, name: str) -> list[dict[str, Any]]:
    """Read presence rosters until one no longer shows ``name``; that roster."""
    while True:
        roster = (await listener.until("presence"))["present"]
        if name not in {entry["name"] for entry in roster}:
            return list(roster)
