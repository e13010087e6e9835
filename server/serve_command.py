"""``concord serve`` and ``concord demo``: open every service, load the demo, listen.

Imported by :mod:`server.cli` only for these two commands: they open the whole
composition root (:mod:`server.bootstrap`), which the other commands never need.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.streams import trial_stream
from events import open_store
from server.bootstrap import open_services
from server.http.body_deadline import DEFAULT_BODY_TIMEOUT_SECONDS
from server.services import Services, Settings

if TYPE_CHECKING:
    from server.demo import DemoPerson

DEMO_PASSWORDS_HINT = (
    "Its passwords were shown once, when it was loaded. For a new one-time password:"
    " concord user reset USERNAME (usernames: concord user list)."
)


async def _load_demo(services: Services) -> None:
    from server.demo import load_demo, load_draft_trial

    people = await load_demo(services)
    await load_draft_trial(services, people)
    _print_demo(people)


def _print_demo(people: list[DemoPerson]) -> None:
    from server.demo import DEMO_TRIAL, DRAFT_TRIAL

    print(f"Demo trial '{DEMO_TRIAL}' loaded. Sign in as any of these (passwords shown once):")
    for person in people:
        print(
            f"  {person.username:<6} {person.password}  {person.printed_name}, {person.role.value}"
        )
    print(
        f"Also '{DRAFT_TRIAL}', whose protocol is still a draft: sign in as ivy and as omar"
        " in two browsers and edit a section together."
    )


async def demo(url: str) -> int:
    """``concord demo``: load the demo trial unless it is there; the exit status."""
    from server.demo import DEMO_TRIAL

    store = await open_store(url)  # is it there? One read, before opening every projection
    try:
        loaded = bool(await store.read_stream(trial_stream(DEMO_TRIAL), limit=1))
    finally:
        await store.close()
    if loaded:
        print(f"the demo trial '{DEMO_TRIAL}' is already loaded in {url}")
        print(DEMO_PASSWORDS_HINT)
        return 1
    async with open_services(url) as services:
        await _load_demo(services)
    return 0


@dataclass(frozen=True)
class Listening:
    """Where ``concord serve`` listens and what it believes of the connections it gets."""

    host: str
    port: int
    forwarded_allow_ips: tuple[str, ...] = ()
    """Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (none: the
    connection's own address is the client's)."""
    body_timeout: float = DEFAULT_BODY_TIMEOUT_SECONDS


def serve(url: str, listening: Listening, with_demo: bool, settings: Settings) -> int:
    """``concord serve``: answer on ``listening`` until interrupted; the exit status."""
    import uvicorn

    from server.app import create_app
    from server.collector import tune_for_serving

    @asynccontextmanager
    async def services_with_banner() -> AsyncIterator[Services]:
        async with open_services(url, settings=settings) as services:
            if with_demo:  # the demo's module (the whole domain's commands) only then
                from server.demo import DEMO_TRIAL

                if services.directory.trial(DEMO_TRIAL) is None:
                    await _load_demo(services)
                else:
                    print(f"The demo trial '{DEMO_TRIAL}' was loaded earlier.", DEMO_PASSWORDS_HINT)
            tune_for_serving()
            address = f"http://{listening.host}:{listening.port}/"
            print(f"Concord is running on {address} (database: {url})", flush=True)
            yield services

    app = create_app(services_with_banner, body_timeout=listening.body_timeout)
    trusted = listening.forwarded_allow_ips
    uvicorn.run(
        app,
        host=listening.host,
        port=listening.port,
        log_level="warning",
        # No per-message compression on websockets: it would compress every live event
        # once per listener (a zlib stream each), which costs more than the small frames save.
        ws_per_message_deflate=False,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: anyone
        # connecting there could then be any client to the sign-in throttle
        proxy_headers=bool(trusted),
        forwarded_allow_ips=",".join(trusted) if trusted else None,
    )
    return 0
