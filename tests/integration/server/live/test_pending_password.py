"""A password reset made through another server process (or the command line) is noticed
by an open connection at its next heartbeat: it closes with the sign-out code."""

from __future__ import annotations

from server.demo import DemoPerson
from server.live.messages import CLOSE_SIGNED_OUT
from tests.integration.server.conftest import Api
from tests.integration.server.live.conftest import Served, listening
from tests.integration.server.live.test_access import sign_in
from tests.integration.server.test_tokens_over_http import must_change_password


async def test_a_listener_whose_password_must_be_changed_is_closed_at_the_heartbeat(
    served: Served, demo: dict[str, DemoPerson], as_user: Api, url: str
) -> None:
    sam = demo["sam"]
    by_session = {"Cookie": await sign_in(served, sam), "Origin": served.http}
    async with (
        listening(served, query="trial=asthma-301", headers=by_session) as in_browser,
        listening(served, query="trial=asthma-301", headers=await as_user("sam")) as by_token,
        listening(served, query="trial=asthma-301", headers=await as_user("ivy")) as ivy,
    ):
        await must_change_password(url, sam)  # behind this process's back

        closed = [await in_browser.until_closed(), await by_token.until_closed()]
        await ivy.until("heartbeat")
        await ivy.send({"type": "ping"})
        await ivy.until("pong")

    assert [c.code for c in closed] == [CLOSE_SIGNED_OUT, CLOSE_SIGNED_OUT]
    assert "password" in closed[0].reason
