"""End to end: the web front end in headless Chromium (Debian's ``/usr/bin/chromium``,
driven by playwright-python) against a real uvicorn serving the demo trial.

Without Chromium the tests skip with the reason; under CI (``CI`` set) they fail instead,
so a missing browser cannot pass silently. Each journey saves a screenshot of its final
screen in ``test-artifacts/``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from server.demo import DRAFT_TRIAL, DemoPerson, load_draft_trial
from server.services import Services
from tests.e2e.csp import watch_for_violations
from tests.integration.server.conftest import demo, services, settings, signing_key
from tests.integration.server.live.conftest import serving

__all__ = ["demo", "services", "settings", "signing_key"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

expect.set_options(timeout=15_000)


@pytest.fixture
def url(sqlite_url: str) -> str:
    """The end-to-end tests run on SQLite (the API tests cover PostgreSQL)."""
    return sqlite_url


@pytest.fixture
async def site(services: Services) -> AsyncIterator[str]:
    """The base URL of the app served by uvicorn on a loopback port."""
    async with serving(services) as served:
        yield served.http


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium: skip without it, except under CI, where its absence fails."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the end-to-end tests")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


class SignIn(Protocol):
    def __call__(
        self, username: str, *, account: tuple[str, str] | None = None, width: int = 1366
    ) -> Awaitable[Page]: ...


@pytest.fixture
async def sign_in(
    browser: Browser, site: str, demo: dict[str, DemoPerson]
) -> AsyncIterator[SignIn]:
    """``await sign_in("ivy")``: a page of a new browser context, signed in through the
    form with the keyboard. A script error or a Content-Security-Policy violation on any
    page fails the test. Someone who is not
    a demo person gives ``account=(password, printed name)``; ``width`` is the viewport's
    (390 for a phone held upright)."""
    errors: list[str] = []

    async def signed_in(
        username: str, *, account: tuple[str, str] | None = None, width: int = 1366
    ) -> Page:
        password, printed_name = account or (demo[username].password, demo[username].printed_name)
        context = await browser.new_context(base_url=site, viewport={"width": width, "height": 900})
        await watch_for_violations(context, site, errors, username)
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{username}: {error}"))
        await page.goto("/")
        # by keyboard alone: the username field has the focus, Tab moves on, Enter submits
        await expect(page.get_by_label("Username")).to_be_focused()
        await page.keyboard.type(username)
        await page.keyboard.press("Tab")
        await expect(page.get_by_label("Password")).to_be_focused()
        await page.keyboard.type(password)
        await page.keyboard.press("Enter")
        await expect(page.locator("#who")).to_contain_text(printed_name)
        return page

    yield signed_in
    assert errors == []


async def screenshot(page: Page, name: str) -> None:
    """Keep the journey's final screen as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


Api = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def api(site: str, services: Services, demo: dict[str, DemoPerson]) -> AsyncIterator[Api]:
    """``client = await api("alex")``: an HTTP client of the site with that person's API
    token, for what a journey needs done beforehand by someone else."""
    clients: list[httpx.AsyncClient] = []

    async def client_of(username: str) -> httpx.AsyncClient:
        issued = await services.tokens.issue(demo[username].user_id, "e2e")
        client = httpx.AsyncClient(
            base_url=site, headers={"Authorization": f"Bearer {issued.token}"}, timeout=15
        )
        clients.append(client)
        return client

    yield client_of
    for client in clients:
        await client.aclose()


async def ok(response: Awaitable[httpx.Response]) -> dict[str, Any]:
    answered = await response
    assert answered.is_success, answered.text
    body: dict[str, Any] = answered.json()
    return body


@pytest.fixture
async def draft_trial(services: Services, demo: dict[str, DemoPerson]) -> str:
    """The demo's second trial, whose protocol is still a draft (so sections are edited
    directly), with Ivy and Omar as investigators; Ivy drafted it."""
    await load_draft_trial(services, list(demo.values()))
    return DRAFT_TRIAL
