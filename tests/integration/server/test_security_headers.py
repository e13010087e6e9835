"""Every kind of answer carries the security headers: the page, its scripts and styles,
API answers, problems (the server's own failures too), streamed and whole exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from server.app import create_app
from server.http import session_routes
from server.http.security_headers import CONTENT_SECURITY_POLICY
from server.services import Services
from tests.integration.server.conftest import Api


@pytest.fixture
def url(sqlite_url: str) -> str:
    """Headers do not depend on the database."""
    return sqlite_url


def assert_guarded(answer: httpx.Response, cache_control: str) -> None:
    where = f"{answer.request.method} {answer.request.url.path} ({answer.status_code})"
    headers = answer.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, where
    assert headers["x-frame-options"] == "DENY", where
    assert headers["x-content-type-options"] == "nosniff", where
    assert headers["referrer-policy"] == "no-referrer", where
    assert headers["cache-control"] == cache_control, where


def test_the_policy_allows_nothing_inline_and_no_framing() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


async def test_the_page_and_its_files_may_be_cached_if_revalidated(
    app_client: httpx.AsyncClient,
) -> None:
    for path in ("/", "/js/main.js", "/app.css", "/favicon.svg"):
        answer = await app_client.get(path)
        assert answer.status_code == 200, path
        assert_guarded(answer, "no-cache")
        assert answer.headers["etag"]
    missing = await app_client.get("/no-such-file.js")
    assert missing.status_code == 404
    assert_guarded(missing, "no-cache")


async def test_api_answers_and_problems_are_never_stored(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    ivy = await as_user("ivy")
    answers = [
        await app_client.get("/api/trials", headers=ivy),
        await app_client.get(f"{trial}/protocol", headers=ivy),
        await app_client.get("/openapi.json"),
        await app_client.get("/api/trials"),  # 401 problem
        await app_client.get("/api/no-such-route"),  # 404 problem
        await app_client.post("/api/session", content=b"[", headers={"content-type": "text/x"}),
        await app_client.put(f"{trial}/charter", headers=ivy, json={}),  # 403 problem
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 401, 404, 415, 403]
    for answer in answers:
        assert_guarded(answer, "no-store")


async def test_exports_are_never_stored(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    auditor = await as_user("aud")
    for kind in ("jsonl", "csv", "pdf"):  # the first two are streamed
        answer = await app_client.get(f"{trial}/audit/export.{kind}", headers=auditor)
        assert answer.status_code == 200, kind
        assert_guarded(answer, "no-store")


async def test_the_servers_own_failure_carries_them_too(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing(request: Request) -> Response:
        raise RuntimeError("a bug")

    monkeypatch.setattr(session_routes, "current_session", failing)

    @asynccontextmanager
    async def given() -> AsyncIterator[Services]:
        yield services

    app = create_app(given)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://concord.test") as client:
            answer = await client.get("/api/session")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert_guarded(answer, "no-store")
