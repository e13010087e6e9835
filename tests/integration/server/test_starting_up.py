"""While the services open (a first start on a long log), the pages are served and the API
answers 503 with Retry-After; once they are open, the API answers; an opening that fails
at once fails the start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from server.app import create_app
from server.bootstrap import open_services
from server.services import Services, Settings


async def test_the_api_answers_503_until_the_services_are_open_and_the_pages_meanwhile(
    url: str, settings: Settings
) -> None:
    release, entered = asyncio.Event(), asyncio.Event()

    @asynccontextmanager
    async def slow_to_open() -> AsyncIterator[Services]:
        await release.wait()  # as if catching up with a long log
        async with open_services(url, settings=settings) as services:
            entered.set()
            yield services

    app = create_app(slow_to_open, startup_grace=0.0)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://concord.test") as client:
            starting = await client.get("/api/session")
            assert starting.status_code == 503
            assert starting.headers["Retry-After"] == "5"
            assert starting.headers["Content-Type"] == "application/problem+json"
            assert starting.json()["type"].endswith("/starting-up")
            page = await client.get("/")
            assert page.status_code == 200
            assert "text/html" in page.headers["Content-Type"]

            release.set()
            await entered.wait()
            assert (await client.get("/api/session")).status_code == 401  # answered: nobody


async def test_services_that_cannot_be_opened_fail_the_start() -> None:
    @asynccontextmanager
    async def broken() -> AsyncIterator[Services]:
        raise RuntimeError("the database is not there")
        yield  # pragma: no cover

    app = create_app(broken)
    with pytest.raises(RuntimeError, match="the database is not there"):
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover
