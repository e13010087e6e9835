"""A slow listener is closed without holding back a fast one; presence; heartbeats."""

from __future__ import annotations

import secrets
import socket
from typing import Any

from server.demo import DemoPerson
from server.live.messages import CLOSE_SIGNED_OUT, CLOSE_TOO_SLOW
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.live.conftest import Served, listening
from tests.integration.server.live.test_resume import comment

LONG_TEXT = secrets.token_urlsafe(150_000)
"""~200 kB that no compression shrinks: a few fill the socket buffers of a reader that
does not read."""
MAX_COMMENTS = 400


def small_window_socket(served: Served) -> socket.socket:
    """A client socket that accepts little at a time: a reader on a slow line."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", int(served.http.rsplit(":", 1)[1])))
    sock.setblocking(False)
    return sock


async def test_a_slow_listener_is_closed_and_loses_nothing_while_a_fast_one_keeps_up(
    served: Served, services: Services, as_user: Api, trial: str
) -> None:
    query = "trial=asthma-301"
    ivy, omar = await as_user("ivy"), await as_user("omar")
    written: list[int] = []
    async with (
        served.client(await as_user("alex")) as admin,
        listening(served, query=query, headers=omar, max_size=None) as fast,
        listening(
            served,
            query=query,
            headers=ivy,
            max_size=None,
            max_queue=1,
            sock=small_window_socket(served),
        ) as slow,
    ):
        while services.live.connections == 2 and len(written) < MAX_COMMENTS:
            written.append(await comment(admin, trial, LONG_TEXT))
            await fast.until_position(written[-1])
        assert services.live.connections == 1, "the slow listener was let go"
        after_slow_left = await comment(admin, trial, "Only the fast one hears this live")
        written.append(after_slow_left)
        await fast.until_position(after_slow_left)
        closed = await slow.until_closed()
    assert fast.positions == written
    assert closed.code == CLOSE_TOO_SLOW
    assert "too slow" in closed.reason
    received = slow.positions
    assert received == written[: len(received)], "what came, came in order and once"
    resume = f"{query}&after={received[-1]}"
    async with listening(served, query=resume, headers=ivy, max_size=None) as again:
        pass
    assert received + again.positions == written


async def test_presence_tells_everyone_in_the_trial_who_is_where(
    served: Served, as_user: Api
) -> None:
    query = "trial=asthma-301"
    async with listening(served, query=query, headers=await as_user("omar")) as omar:
        async with listening(served, query=query, headers=await as_user("ivy")) as ivy:
            await ivy.send(
                {"type": "presence", "trial": "asthma-301", "section": "5.2", "activity": "editing"}
            )
            seen_by_ivy = await ivy.until("presence")
            seen_by_omar = await omar.until("presence")
        gone = await omar.until("presence")
    ivy_editing = {
        "user_id": seen_by_ivy["present"][0]["user_id"],
        "name": "Dr Ivy Chen",
        "section": "5.2",
        "activity": "editing",
    }
    assert seen_by_ivy["present"] == [ivy_editing]
    assert seen_by_omar == seen_by_ivy
    assert gone == {"type": "presence", "trial": "asthma-301", "present": []}


async def test_a_caret_in_a_shared_text_travels_with_presence_as_sent(
    served: Served, as_user: Api
) -> None:
    query = "trial=asthma-301"
    caret = {"anchor": {"type": {"client": 7, "clock": 3}, "assoc": 0}, "head": None}
    omar_headers, ivy_headers = await as_user("omar"), await as_user("ivy")
    async with (
        listening(served, query=query, headers=omar_headers) as omar,
        listening(served, query=query, headers=ivy_headers) as ivy,
    ):
        await ivy.send(
            {
                "type": "presence",
                "trial": "asthma-301",
                "section": "5.2",
                "activity": "editing",
                "cursor": caret,
                "amendment": "A-1",
            }
        )
        seen = await omar.until("presence")
        wrongs: tuple[dict[str, Any], ...] = (
            {"cursor": {"anchor": {}}},  # no head
            {"cursor": "here"},
            {"amendment": "A 1"},
            {"section": None, "cursor": caret},
        )
        for wrong in wrongs:
            await ivy.send({"type": "presence", "trial": "asthma-301", "section": "5.2", **wrong})
            refused = await ivy.until("error")
            assert refused["problem"]["type"].endswith("/bad-live-message"), wrong
    [entry] = seen["present"]
    assert (entry["cursor"], entry["amendment"], entry["section"]) == (caret, "A-1", "5.2")


async def test_a_message_the_server_cannot_take_gets_a_problem_and_the_line_stays_open(
    served: Served, as_user: Api
) -> None:
    async with listening(served, query="trial=asthma-301", headers=await as_user("pat")) as pat:
        await pat.socket.send("not json")
        garbled = await pat.until("error")
        await pat.socket.send(b'{"type": "ping"}')
        binary = await pat.until("error")
        await pat.send({"type": "presence", "trial": "copd-202", "section": None})
        elsewhere = await pat.until("error")
        await pat.send({"type": "ping"})
        await pat.until("pong")
    assert garbled["problem"]["status"] == 400
    assert garbled["problem"]["type"].endswith("/bad-live-message")
    assert "binary" in binary["problem"]["detail"]
    assert elsewhere["problem"]["status"] == 403


async def test_revoking_the_token_closes_its_listener_at_the_next_heartbeat(
    served: Served, services: Services, demo: dict[str, DemoPerson]
) -> None:
    pat = demo["pat"].user_id
    issued = await services.tokens.issue(pat, "live")
    headers = {"Authorization": f"Bearer {issued.token}"}
    async with listening(served, query="trial=asthma-301", headers=headers) as listener:
        heartbeat = await listener.until("heartbeat")
        assert await services.tokens.revoke(pat, issued.token_id)
        closed = await listener.until_closed()
    assert heartbeat["position"] >= 0
    assert closed.code == CLOSE_SIGNED_OUT
