"""An account disabled or reset anywhere (here: by the operator's command, another
process) stops acting in this server at once: its live connections close, and a token or
session this server had just believed no longer works — not at the next heartbeat, nor
when the credential cache's 5 seconds are up."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.demo import DemoPerson
from server.live.connection import LiveSettings
from server.live.messages import CLOSE_SIGNED_OUT
from server.services import Services, Settings
from tests.integration.server.conftest import Cli
from tests.integration.server.live.conftest import Served, listening
from tests.integration.server.live.test_access import sign_in


@pytest.fixture
def settings(signing_key: Path) -> Settings:
    """Heartbeats an hour apart: a close within the test cannot come from one."""
    return Settings(signing_key=signing_key, live=LiveSettings(heartbeat_seconds=3600))


@pytest.mark.parametrize(
    ("command", "told"),
    [
        (("disable", "sam", "--reason", "left the sponsor"), "your account was disabled"),
        (("reset", "sam"), "your password was reset: sign in with the new one"),
    ],
)
async def test_the_operator_disabling_or_resetting_an_account_ends_its_access_here_at_once(
    served: Served,
    services: Services,
    demo: dict[str, DemoPerson],
    concord: Cli,
    url: str,
    command: tuple[str, ...],
    told: str,
) -> None:
    sam = demo["sam"]
    cookie = await sign_in(served, sam)
    token = (await services.tokens.issue(sam.user_id, "sam's script")).token
    bearer = {"Authorization": f"Bearer {token}"}
    async with served.client(bearer) as scripted, served.client({"Cookie": cookie}) as browser:
        assert (await scripted.get("/api/trials")).status_code == 200  # believed, and cached
        assert (await browser.get("/api/trials")).status_code == 200
        headers = {"Cookie": cookie, "Origin": served.http}
        async with listening(served, query="trial=asthma-301", headers=headers) as live:
            code, _ = await concord("--db", url, "user", *command)
            assert code == 0
            closed = await live.until_closed()
        assert (closed.code, closed.reason) == (CLOSE_SIGNED_OUT, told)
        assert (await browser.get("/api/trials")).status_code == 401
        after = await scripted.get("/api/trials")
        assert after.status_code == (401 if command[0] == "disable" else 403)
