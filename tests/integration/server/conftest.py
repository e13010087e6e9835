"""The app on a real database (SQLite and PostgreSQL), driven through an ASGI client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from domain.actor import Actor
from domain.roles import OrganizationKind
from server.app import create_app
from server.bootstrap import open_services
from server.cli import main
from server.demo import DEMO_TRIAL, DemoPerson, load_demo
from server.services import Services, Settings
from tests.integration.server.founders import founding, make_trial_creator


@pytest.fixture
def signing_key(tmp_path: Path) -> Path:
    """Where the server under test keeps its Ed25519 key (created on first use)."""
    return tmp_path / "signing-key.pem"


@pytest.fixture
def settings(signing_key: Path) -> Settings:
    """How the server under test runs (a test directory may override this)."""
    return Settings(signing_key=signing_key)


@pytest.fixture
async def services(url: str, settings: Settings) -> AsyncIterator[Services]:
    async with open_services(url, settings=settings) as opened:
        yield opened


@asynccontextmanager
async def client_of(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client (no credentials) of the app serving from ``services``."""

    @asynccontextmanager
    async def given() -> AsyncIterator[Services]:
        yield services

    app = create_app(given)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://concord.test") as client:
            yield client


@pytest.fixture
async def app_client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client of the app (no credentials)."""
    async with client_of(services) as client:
        yield client


@pytest.fixture
async def demo(services: Services) -> dict[str, DemoPerson]:
    """The demo trial, its people by username (each with their password)."""
    return {person.username: person for person in await load_demo(services)}


Api = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
async def as_user(services: Services, demo: dict[str, DemoPerson]) -> Api:
    """``await as_user("ivy")``: request headers carrying an API token of that demo person.

    The tokens are issued before the test begins (issuing one is recorded in the person's
    account stream), so a test may take the log's head, ask as anyone, and check that a
    refusal recorded nothing."""
    tokens = {
        username: (await services.tokens.issue(person.user_id, "tests")).token
        for username, person in demo.items()
    }

    async def headers(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[username]}"}

    return headers


@pytest.fixture
def trial() -> str:
    """The demo trial's API path."""
    return f"/api/trials/{DEMO_TRIAL}"


Cli = Callable[..., Awaitable[tuple[int, str]]]


@pytest.fixture
def concord(
    capsys: pytest.CaptureFixture[str], signing_key: Path, monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """``await concord("verify", ...)``: the CLI with the server's key, on a thread of its
    own (it runs its own event loop); returns its exit status and standard output."""
    monkeypatch.setenv("CONCORD_SIGNING_KEY", str(signing_key))

    async def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(argv))
        return code, capsys.readouterr().out

    return run


OTHER_TRIAL = "other-trial"


@pytest.fixture
async def other_trial(services: Services) -> None:
    """A trial none of the demo people belong to."""
    founder = await services.accounts.create_user("olga", "Olga Other", "another long password")
    await make_trial_creator(services, founder.user_id)
    actor = Actor(
        user_id=founder.user_id,
        printed_name=founder.printed_name,
        organization_id="elsewhere",
        organization_kind=OrganizationKind.SPONSOR,
    )
    command = await founding(services, actor, OTHER_TRIAL, "Another trial", "Elsewhere Pharma")
    await services.commands.create_trial(actor, command, {"actor": founder.user_id})
