"""``concord demo`` loads the demo trials once and prints who may sign in; a second run
finds them there and changes nothing."""

from __future__ import annotations

from events import EventStore
from server.demo import DEMO_TRIAL
from tests.integration.server.conftest import Cli


async def test_the_demo_loads_once(store: EventStore, url: str, concord: Cli) -> None:
    code, out = await concord("--db", url, "demo")
    assert code == 0
    assert out.startswith(f"Demo trial '{DEMO_TRIAL}' loaded.")
    head = await store.head_position()
    code, out = await concord("--db", url, "demo")
    assert code == 1
    assert out.startswith(f"the demo trial '{DEMO_TRIAL}' is already loaded in {url}\n")
    assert "concord user reset USERNAME" in out  # how to get a password again
    assert await store.head_position() == head
