"""A page of another origin cannot show Concord in a frame, even to someone signed in.

Ports do not make another site: a page served from another port of the same host sends
the session cookie (SameSite=Lax) with the frame's request. Without ``frame-ancestors``
such a page could show the signed-in app under its own, clickjacking it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from playwright.async_api import expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.e2e.conftest import SignIn, screenshot


@asynccontextmanager
async def page_framing(site: str) -> AsyncIterator[str]:
    """Another origin (a second port on 127.0.0.1) serving one page that frames ``site``."""

    async def framing(request: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><title>Elsewhere</title><h1>Another site</h1>"
            f'<iframe src="{site}/" title="Concord framed" width="900" height="600"></iframe>'
        )

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    config = uvicorn.Config(Starlette(routes=[Route("/", framing)]), log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        listener.close()


async def test_a_page_of_another_origin_cannot_frame_the_signed_in_app(
    sign_in: SignIn, site: str
) -> None:
    ivy = await sign_in("ivy")
    async with page_framing(site) as elsewhere:
        refusal = "frame-ancestors 'none'"
        async with ivy.expect_console_message(lambda m: refusal in m.text) as refused:
            await ivy.goto(elsewhere)
        told = (await refused.value).text  # on the framing page's console
        assert told.startswith(f"Framing '{site}/' violates"), told
        assert "has been blocked" in told
        await expect(ivy.get_by_role("heading", name="Another site")).to_be_visible()
        framed = ivy.frame_locator("iframe")
        await expect(framed.locator("#who")).to_have_count(0)
        await expect(framed.locator("body")).not_to_contain_text("Dr Ivy Chen")
        await screenshot(ivy, "framing-refused")
        # the app itself, in its own tab, is still signed in
        await ivy.goto(site)
        await expect(ivy.locator("#who")).to_contain_text("Dr Ivy Chen")
