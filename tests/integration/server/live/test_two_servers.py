"""Two ``concord serve`` processes on one PostgreSQL: what one commits, the other's
listeners hear (the store's doorbell, LISTEN/NOTIFY, wakes every process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.server.live.conftest import Listener, Served, listening
from tests.integration.server.serving import serve_demo

pytestmark = pytest.mark.postgres


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    """Sign the client in (it then sends its CSRF token); its session cookie header."""
    response = await client.post("/api/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return f"concord_session={client.cookies['concord_session']}"


async def test_an_event_committed_through_one_server_reaches_the_listeners_of_the_other(
    tmp_path: Path, postgres_url: str
) -> None:
    trial = "/api/trials/asthma-301"
    with (
        serve_demo(tmp_path / "first", database_url=postgres_url) as first,
        serve_demo(tmp_path / "second", database_url=postgres_url, demo=False) as second,
    ):
        passwords = first.passwords
        on_first = Served(first.base, first.base.replace("http", "ws", 1))
        on_second = Served(second.base, second.base.replace("http", "ws", 1))
        async with on_first.client() as omar, on_second.client() as ivy:
            omar_cookie = await sign_in(omar, "omar", passwords["omar"])
            ivy_cookie = await sign_in(ivy, "ivy", passwords["ivy"])
            async with (
                listening(
                    on_second,
                    query="trial=asthma-301",
                    headers={"Cookie": ivy_cookie, "Origin": second.base},
                ) as ivy_listens,
                listening(
                    on_first,
                    query="trial=asthma-301",
                    headers={"Cookie": omar_cookie, "Origin": first.base},
                ) as omar_listens,
            ):
                through_first = await omar.post(
                    f"{trial}/comments/section/5.2",
                    json={"comment_id": "from-first", "text": "Written through the first server"},
                )
                assert through_first.status_code == 201, through_first.text
                through_second = await ivy.post(
                    f"{trial}/comments/section/5.2",
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
    with (
        serve_demo(tmp_path / "first", database_url=postgres_url) as first,
        serve_demo(tmp_path / "second", database_url=postgres_url, demo=False) as second,
    ):
        passwords = first.passwords
        on_first = Served(first.base, first.base.replace("http", "ws", 1))
        on_second = Served(second.base, second.base.replace("http", "ws", 1))
        async with on_first.client() as omar, on_second.client() as ivy:
            omar_cookie = await sign_in(omar, "omar", passwords["omar"])
            ivy_cookie = await sign_in(ivy, "ivy", passwords["ivy"])
            async with listening(
                on_first,
                query="trial=asthma-301",
                headers={"Cookie": omar_cookie, "Origin": first.base},
            ) as omar_listens:
                async with listening(
                    on_second,
                    query="trial=asthma-301",
                    headers={"Cookie": ivy_cookie, "Origin": second.base},
                ) as ivy_listens:
                    await ivy_listens.send(
                        {"type": "presence", "trial": "asthma-301", "section": "5.2"}
                        | {"activity": "editing"}
                    )
                    ivy_seen_on_first = await until_present(omar_listens, "Dr Ivy Chen")
                    await omar_listens.send(
                        {"type": "presence", "trial": "asthma-301", "section": "3.1"}
                    )
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
