"""Signing out closes the session's live connections at once, not at the next heartbeat."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.demo import DemoPerson
from server.live.connection import LiveSettings
from server.live.messages import CLOSE_SIGNED_OUT
from server.services import Settings
from tests.integration.server.live.conftest import Served, listening
from tests.integration.server.live.test_access import sign_in


@pytest.fixture
def settings(signing_key: Path) -> Settings:
    """Heartbeats an hour apart: a close within the test cannot come from one."""
    return Settings(signing_key=signing_key, live=LiveSettings(heartbeat_seconds=3600))


async def test_signing_out_closes_the_session_listeners_at_once(
    served: Served, demo: dict[str, DemoPerson]
) -> None:
    cookie = await sign_in(served, demo["sam"])
    headers = {"Cookie": cookie, "Origin": served.http}
    async with (
        listening(served, query="trial=asthma-301", headers=headers) as sam,
        listening(served, query="trial=asthma-301", headers=headers) as sam_elsewhere,
    ):
        async with served.client({"Cookie": cookie}) as client:
            csrf = (await client.get("/api/session")).json()["csrf_token"]
            signed_out = await client.delete("/api/session", headers={"X-CSRF-Token": csrf})
        assert signed_out.status_code == 204
        closed = [await sam.until_closed(), await sam_elsewhere.until_closed()]
    assert [c.code for c in closed] == [CLOSE_SIGNED_OUT, CLOSE_SIGNED_OUT]
    assert [c.reason for c in closed] == ["signed out", "signed out"]
