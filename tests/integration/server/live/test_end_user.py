"""Ending a user (an account disabled, a password reset) closes every live connection of
theirs at once, whatever credential opened it, and nobody else's; a user who must change
their password cannot open one, and one already open closes at its next heartbeat."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.demo import DemoPerson
from server.live.connection import LiveSettings
from server.live.messages import CLOSE_SIGNED_OUT
from server.services import Services, Settings
from tests.integration.server.conftest import Api
from tests.integration.server.live.conftest import Served, listening
from tests.integration.server.live.test_access import refused, sign_in
from tests.integration.server.test_tokens_over_http import must_change_password

QUERY = "trial=asthma-301"


@pytest.fixture
def settings(signing_key: Path) -> Settings:
    """Heartbeats an hour apart: a close within the test cannot come from one."""
    return Settings(signing_key=signing_key, live=LiveSettings(heartbeat_seconds=3600))


async def test_ending_a_user_closes_all_their_connections_at_once(
    served: Served, services: Services, demo: dict[str, DemoPerson], as_user: Api
) -> None:
    sam = demo["sam"]
    cookie = await sign_in(served, sam)
    by_session = {"Cookie": cookie, "Origin": served.http}
    async with served.client(await as_user("sam")) as client:
        ticket = (await client.post("/api/live/tickets")).json()["ticket"]
    async with (
        listening(served, query=QUERY, headers=by_session) as in_browser,
        listening(served, query=QUERY, headers=by_session) as in_other_tab,
        listening(served, query=QUERY, headers=await as_user("sam")) as by_token,
        listening(served, query=f"{QUERY}&ticket={ticket}") as by_ticket,
        listening(served, query=QUERY, headers=await as_user("ivy")) as ivy,
    ):
        ended = services.live.end_user(sam.user_id, "account disabled")

        closed = [
            await listener.until_closed()
            for listener in (in_browser, in_other_tab, by_token, by_ticket)
        ]
        await ivy.send({"type": "ping"})
        assert (await ivy.until("pong"))["type"] == "pong", "ivy's connection stays open"

    assert ended == 4
    assert {(c.code, c.reason) for c in closed} == {(CLOSE_SIGNED_OUT, "account disabled")}


async def test_a_user_who_must_change_their_password_cannot_listen(
    served: Served, services: Services, demo: dict[str, DemoPerson], as_user: Api, url: str
) -> None:
    sam = demo["sam"]
    cookie = await sign_in(served, sam)
    token = await as_user("sam")
    ticket = await services.live_tickets.issue(sam.user_id)
    await must_change_password(url, sam)

    answers = [
        await refused(served, QUERY, token),
        await refused(served, QUERY, {"Cookie": cookie, "Origin": served.http}),
        await refused(served, f"{QUERY}&ticket={ticket.ticket}"),
    ]

    for answer in answers:
        assert answer["status"] == 403
        assert answer["type"].endswith("/password-change-required")
        assert answer["detail"] == "change your password first: POST /api/session/password"


async def test_revoking_a_token_closes_the_connections_it_opened_at_once(
    served: Served, services: Services, demo: dict[str, DemoPerson]
) -> None:
    sam = demo["sam"]
    revoked = await services.tokens.issue(sam.user_id, "revoked")
    kept = await services.tokens.issue(sam.user_id, "kept")
    async with (
        listening(served, query=QUERY, headers=bearer(revoked.token)) as by_revoked,
        listening(served, query=QUERY, headers=bearer(kept.token)) as by_kept,
    ):
        async with served.client(bearer(kept.token)) as client:
            answer = await client.delete(f"/api/tokens/{revoked.token_id}")
        assert answer.status_code == 204

        closed = await by_revoked.until_closed()
        await by_kept.send({"type": "ping"})
        await by_kept.until("pong")

    assert (closed.code, closed.reason) == (CLOSE_SIGNED_OUT, "the API token was revoked")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
