"""Answering while the server opens its services: pages at once, the API once it can.

Opening the services catches the projections up with the log: milliseconds from their
snapshots, but the first start on a long log (or after a snapshot format changed) reads
it all (9 s at a million events). Rather than listen to nobody meanwhile,
:func:`opened_in_background` opens them in a task of their own and lets the server
start; :class:`UntilReady` answers every API request, the live websocket included, with
a 503 problem and ``Retry-After`` until they are open, and serves the pages (which ask
again when told to). A quick opening (the usual) is awaited for a moment, so that no
request ever sees the 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from server.http.problems import Problem

logger = logging.getLogger(__name__)

STARTUP_GRACE_SECONDS = 2.0
"""How long the server waits for its services before it answers 503 meanwhile."""

RETRY_AFTER_SECONDS = 5

API_PREFIX = "/api/"


@asynccontextmanager
async def opened_in_background(
    open_services: Callable[[], AbstractAsyncContextManager[Any]],
    opened: Callable[[Any], None],
    *,
    grace: float = STARTUP_GRACE_SECONDS,
) -> AsyncIterator[None]:
    """Open the services in a task, calling ``opened(services)`` once they are, and keep
    them open until exit. Waits ``grace`` seconds for them first; an opening that fails
    within it fails the start, a later failure is logged (the API then stays 503)."""
    ready, stop = asyncio.Event(), asyncio.Event()

    async def keep_open() -> None:
        async with open_services() as services:
            opened(services)
            ready.set()
            await stop.wait()

    task = asyncio.create_task(keep_open(), name="open the services")
    task.add_done_callback(_log_failure)
    became_ready = asyncio.create_task(ready.wait())
    await asyncio.wait({task, became_ready}, timeout=grace, return_when=asyncio.FIRST_COMPLETED)
    became_ready.cancel()
    if task.done():
        task.result()  # it failed (or exited) at once: so does the start
    if not ready.is_set():
        logger.warning("the services are still opening: the API answers 503 until they are")
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):  # a failure was logged when it happened
            await task


class UntilReady:
    """Answers the API with 503 (problem+json, ``Retry-After``) and refuses the live
    websocket until ``app.state.services`` is set; anything else passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] in ("http", "websocket")
            and scope["path"].startswith(API_PREFIX)
            and not hasattr(scope["app"].state, "services")
        ):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})  # try again later
                return
            problem = Problem(
                503,
                "starting-up",
                "the server is still reading the log to catch up; ask again in a moment",
                title="The server is starting",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            await problem.response(scope["path"])(scope, receive, send)
            return
        await self._app(scope, receive, send)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (failure := task.exception()) is not None:
        logger.error("the services could not be opened", exc_info=failure)
