"""A request's body must arrive in time, and a client that leaves mid-body is not an error.

uvicorn bounds neither how long a client may take to send a body nor how many such
clients wait: a few dozen connections that send headers and half a body would each hold
a request (and whatever it holds) for as long as they like. :class:`BodyDeadline` gives
the whole body :data:`DEFAULT_BODY_TIMEOUT_SECONDS` from the moment the request reaches
the app; a body still incomplete then is answered 408 and the connection closed.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.http.problems import Problem

logger = logging.getLogger(__name__)

DEFAULT_BODY_TIMEOUT_SECONDS = 30.0
"""A request's body is a JSON command of at most 1 MiB: 30 s is generous on any link."""


def body_timed_out(seconds: float) -> Problem:
    return Problem(
        408,
        "body-timeout",
        f"the request's body did not arrive within {seconds:g} seconds",
        title="The request's body came too slowly",
        headers={"Connection": "close"},
    )


class BodyDeadline:
    """Bounds the time to receive each HTTP request's body (``seconds`` from its start).

    Until the body is complete and while no answer has begun, each ``receive`` waits at
    most until the deadline, then raises the 408 problem (the app's problem handler
    answers it). After that ``receive`` is the server's own again: a streamed answer
    waiting for the client to disconnect waits as long as it streams.
    """

    def __init__(self, app: ASGIApp, *, seconds: float = DEFAULT_BODY_TIMEOUT_SECONDS) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        waiting = True  # for the body, and before any answer

        async def receive_in_time() -> Message:
            nonlocal waiting
            if not waiting:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise body_timed_out(self.seconds) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                waiting = False
            return message

        async def send_answer(message: Message) -> None:
            nonlocal waiting
            if message["type"] == "http.response.start":
                waiting = False
            await send(message)

        await self.app(scope, receive_in_time, send_answer)


async def client_went_away(request: Request, exc: Exception) -> Response:
    """The app's handler for :class:`ClientDisconnect`: the client closed its connection
    before its body was read. Nobody is left to answer and nothing is wrong with the
    server: no error is logged (a debug line only), and the problem is answered to no one."""
    assert isinstance(exc, ClientDisconnect)
    logger.debug(
        "%s %s: the client left before its body was read", request.method, request.url.path
    )
    problem = Problem(400, "client-disconnected", "the client left before sending its body")
    return problem.response(request.url.path)
