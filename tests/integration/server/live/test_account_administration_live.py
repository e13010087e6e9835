"""A system administrator disabling an account over the API ends its live connections at
once, and its session stops working; a real server (uvicorn) and a real websocket."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.demo import DemoPerson
from server.live.connection import LiveSettings
from server.live.messages import CLOSE_SIGNED_OUT
from server.services import Services, Settings
from tests.integration.server.conftest import Api
from tests.integration.server.live.conftest import Served, listening
from tests.integration.server.live.test_access import sign_in


@pytest.fixture
def settings(signing_key: Path) -> Settings:
    """Heartbeats an hour apart: a close within the test cannot come from one."""
    return Settings(signing_key=signing_key, live=LiveSettings(heartbeat_seconds=3600))


async def test_disabling_an_account_over_the_api_closes_its_live_connections(
    served: Served, services: Services, demo: dict[str, DemoPerson], as_user: Api
) -> None:
    sam = demo["sam"]
    cookie = await sign_in(served, sam)
    headers = {"Cookie": cookie, "Origin": served.http}
    async with (
        served.client(await as_user("alex")) as admin,
        served.client({"Cookie": cookie}) as browser,
        listening(served, query="trial=asthma-301", headers=headers) as live,
    ):
        disabled = await admin.post(
            f"/api/accounts/{sam.user_id}/disable", json={"reason": "left the sponsor"}
        )
        assert disabled.status_code == 200, disabled.text
        closed = await live.until_closed()
        assert (closed.code, closed.reason) == (CLOSE_SIGNED_OUT, "your account was disabled")
        assert (await browser.get("/api/trials")).status_code == 401
