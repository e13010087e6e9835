"""API tokens over HTTP: issued with an expiry, listed, revoked, refused once expired; the
token or session that acted is named in each event's meta; and a user who must change
their password may do nothing else. On SQLite and PostgreSQL, with a clock the test moves."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from domain.account_events import account_stream
from events import RecordedEvent
from server.bootstrap import open_services
from server.database import create_engine_for
from server.demo import DemoPerson
from server.services import Services, Settings
from tests.integration.server.conftest import client_of
from tests.integration.server.live.test_resume import comment

TRIAL = "/api/trials/asthma-301"


class FakeClock:
    """A clock that stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **amount: float) -> None:
        self.now += timedelta(**amount)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def services(url: str, settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    async with open_services(url, settings=settings, clock=clock) as opened:
        yield opened


async def bearer(services: Services, person: DemoPerson) -> tuple[str, dict[str, str]]:
    """A new API token of ``person``: its id, and headers carrying it."""
    issued = await services.tokens.issue(person.user_id, "tests")
    return issued.token_id, {"Authorization": f"Bearer {issued.token}"}


async def event_at(services: Services, position: int) -> RecordedEvent:
    (event,) = await services.store.read_all(after=position - 1, limit=1)
    return event


def moment(value: Any) -> datetime:
    """An ISO moment the API answered, which must carry its zone."""
    assert isinstance(value, str)
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, f"{value} has no zone"
    return parsed


async def test_a_token_is_issued_with_its_expiry_listed_and_revoked(
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    clock: FakeClock,
) -> None:
    token_id, headers = await bearer(services, demo["ivy"])

    issued = await app_client.post(
        "/api/tokens", json={"name": "nightly export", "lifetime_days": 30}, headers=headers
    )

    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body.keys() == {"token_id", "name", "expires_at", "token"}
    assert body["name"] == "nightly export"
    assert moment(body["expires_at"]) == clock.now + timedelta(days=30)
    new_headers = {"Authorization": f"Bearer {body['token']}"}
    clock.advance(minutes=5)
    assert (await app_client.get(TRIAL, headers=new_headers)).status_code == 200

    listed = {
        t["token_id"]: t for t in (await app_client.get("/api/tokens", headers=headers)).json()
    }
    assert listed.keys() == {token_id, body["token_id"]}
    new = listed[body["token_id"]]
    assert new.keys() == {
        "token_id", "name", "created_at", "expires_at", "last_used_at", "revoked_at"
    }  # fmt: skip
    assert moment(new["created_at"]) == clock.now - timedelta(minutes=5)
    assert moment(new["expires_at"]) == clock.now + timedelta(days=30, minutes=-5)
    assert moment(new["last_used_at"]) == clock.now
    assert new["revoked_at"] is None
    assert moment(listed[token_id]["expires_at"]) == clock.now + timedelta(days=90, minutes=-5)
    assert body["token"] not in json.dumps(listed)

    revoked = await app_client.delete(f"/api/tokens/{body['token_id']}", headers=headers)
    assert revoked.status_code == 204
    refused = await app_client.get(TRIAL, headers=new_headers)
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("/unauthenticated")
    again = await app_client.delete(f"/api/tokens/{body['token_id']}", headers=headers)
    assert again.status_code == 404
    assert again.json()["type"].endswith("/token-not-found")
    listed = {
        t["token_id"]: t for t in (await app_client.get("/api/tokens", headers=headers)).json()
    }
    assert moment(listed[body["token_id"]]["revoked_at"]) == clock.now


async def test_nobody_lists_or_revokes_another_persons_tokens(
    app_client: httpx.AsyncClient, services: Services, demo: dict[str, DemoPerson]
) -> None:
    ivy_token, ivy = await bearer(services, demo["ivy"])
    omar_token, omar = await bearer(services, demo["omar"])

    listed = (await app_client.get("/api/tokens", headers=omar)).json()
    assert [t["token_id"] for t in listed] == [omar_token]
    refused = await app_client.delete(f"/api/tokens/{ivy_token}", headers=omar)
    assert refused.status_code == 404
    assert (await app_client.get(TRIAL, headers=ivy)).status_code == 200
    assert (await app_client.get("/api/tokens")).status_code == 401


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"name": "too long", "lifetime_days": 366}, "invalid-token-lifetime"),
        ({"name": "none", "lifetime_days": 0}, "invalid-token-lifetime"),
        ({"name": "negative", "lifetime_days": -5}, "invalid-token-lifetime"),
        ({"name": "text", "lifetime_days": "30"}, "invalid-token-lifetime"),
        ({"name": "fraction", "lifetime_days": 1.5}, "invalid-token-lifetime"),
        ({"name": "boolean", "lifetime_days": True}, "invalid-token-lifetime"),
        ({"name": "huge", "lifetime_days": 10**30}, "invalid-token-lifetime"),
        ({"name": "   "}, "invalid-body"),
        ({"lifetime_days": 30}, "invalid-body"),
        ({"name": "x", "expires_at": "2099-01-01"}, "unknown-fields"),
    ],
)
async def test_a_bad_token_request_is_refused_and_issues_nothing(
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    body: dict[str, Any],
    problem: str,
) -> None:
    _, headers = await bearer(services, demo["ivy"])
    head = await services.store.head_position()

    refused = await app_client.post("/api/tokens", json=body, headers=headers)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith(f"/{problem}")
    assert len(await services.tokens.list_for(demo["ivy"].user_id)) == 1
    assert await services.store.head_position() == head


async def test_the_maximum_lifetime_is_named_when_exceeded(
    app_client: httpx.AsyncClient, services: Services, demo: dict[str, DemoPerson]
) -> None:
    _, headers = await bearer(services, demo["ivy"])
    refused = await app_client.post(
        "/api/tokens", json={"name": "forever", "lifetime_days": 366}, headers=headers
    )
    assert refused.json()["detail"] == (
        "a token lives from 1 to 365 days; lifetime_days 366 is outside that"
    )


async def test_an_expired_token_is_refused(
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    clock: FakeClock,
) -> None:
    _, headers = await bearer(services, demo["ivy"])
    issued = await app_client.post(
        "/api/tokens", json={"name": "a day", "lifetime_days": 1}, headers=headers
    )
    short_id = issued.json()["token_id"]
    short = {"Authorization": f"Bearer {issued.json()['token']}"}
    clock.advance(days=1, seconds=-1)
    assert (await app_client.get(TRIAL, headers=short)).status_code == 200

    clock.advance(seconds=1)

    refused = await app_client.get(TRIAL, headers=short)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the API token is unknown, expired or revoked"
    assert refused.headers["www-authenticate"] == 'Bearer realm="concord"'
    listed = {
        t["token_id"]: t for t in (await app_client.get("/api/tokens", headers=headers)).json()
    }
    assert moment(listed[short_id]["expires_at"]) == clock.now
    assert listed[short_id]["revoked_at"] is None


async def test_an_event_names_the_token_that_made_it(
    app_client: httpx.AsyncClient, services: Services, demo: dict[str, DemoPerson]
) -> None:
    token_id, headers = await bearer(services, demo["alex"])
    app_client.headers.update(headers | {"X-Request-ID": "req-1"})

    event = await event_at(services, await comment(app_client, TRIAL))

    assert event.meta == {
        "actor": demo["alex"].user_id,
        "via": "token",
        "token_id": token_id,
        "request_id": "req-1",
    }


async def test_an_event_names_the_session_that_made_it(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    alex = demo["alex"]
    async with client_of(services) as browser:
        signed_in = await browser.post(
            "/api/session", json={"username": alex.username, "password": alex.password}
        )
        assert signed_in.status_code == 200, signed_in.text
        browser.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
        session = await services.sessions.resolve(browser.cookies["concord_session"])
        assert session is not None

        event = await event_at(services, await comment(browser, TRIAL))

    assert event.meta["via"] == "session"
    assert event.meta["session_id"] == session.session_id
    assert "token_id" not in event.meta
    assert browser.cookies["concord_session"] not in json.dumps(event.meta)


async def test_issuing_and_revoking_over_http_are_in_the_account_stream_without_the_secret(
    app_client: httpx.AsyncClient, services: Services, demo: dict[str, DemoPerson]
) -> None:
    ivy = demo["ivy"]
    acting_token, headers = await bearer(services, ivy)
    app_client.headers.update(headers)

    issued = (
        await app_client.post(
            "/api/tokens", json={"name": "export"}, headers={"X-Request-ID": "issue-1"}
        )
    ).json()
    revoked = await app_client.delete(
        f"/api/tokens/{issued['token_id']}", headers={"X-Request-ID": "revoke-1"}
    )
    assert revoked.status_code == 204

    trail = [
        e
        for e in await services.store.read_stream(account_stream(ivy.user_id))
        if e.type.startswith("ApiToken")
    ]
    meta = {"actor": ivy.user_id, "via": "token", "token_id": acting_token}
    assert [(e.type, e.data, e.meta) for e in trail][-2:] == [
        (
            "ApiTokenIssued",
            {
                "user_id": ivy.user_id,
                "token_id": issued["token_id"],
                "name": "export",
                "expires_at": issued["expires_at"],
            },
            meta | {"request_id": "issue-1"},
        ),
        (
            "ApiTokenRevoked",
            {"user_id": ivy.user_id, "token_id": issued["token_id"], "revoked_by": ivy.user_id},
            meta | {"request_id": "revoke-1"},
        ),
    ]
    everything = json.dumps(
        [(e.data, e.meta) for e in await services.store.read_all(limit=100_000)]
    )
    assert issued["token"] not in everything
    assert issued["token"].removeprefix("concord_") not in everything


async def must_change_password(url: str, person: DemoPerson) -> None:
    """Set the flag as an administrator's reset will, straight in the database."""
    engine = create_engine_for(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE users SET must_change_password = :yes WHERE id = :id"),
                {"yes": True, "id": person.user_id},
            )
    finally:
        await engine.dispose()


PENDING = [
    ("GET", TRIAL, None),
    ("GET", f"{TRIAL}/audit/trail", None),
    ("POST", f"{TRIAL}/comments/section/5.2", {"comment_id": "c-pending", "text": "Noted"}),
    ("GET", "/api/tokens", None),
    ("POST", "/api/tokens", {"name": "another"}),
    ("POST", "/api/live/tickets", None),
]


@pytest.mark.parametrize(("method", "path", "body"), PENDING)
async def test_a_user_who_must_change_their_password_may_do_nothing_else(
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    url: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    alex = demo["alex"]
    token_id, headers = await bearer(services, alex)
    async with client_of(services) as browser:
        signed_in = await browser.post(
            "/api/session", json={"username": alex.username, "password": alex.password}
        )
        browser.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
        await must_change_password(url, alex)
        head = await services.store.head_position()

        answers = [
            await app_client.request(method, path, json=body, headers=headers),
            await browser.request(method, path, json=body),
        ]

    for answer in answers:
        assert answer.status_code == 403, answer.text
        problem = answer.json()
        assert problem["type"].endswith("/password-change-required")
        assert problem["detail"] == "change your password first: POST /api/session/password"
    assert await services.store.head_position() == head
    assert [t.token_id for t in await services.tokens.list_for(alex.user_id)] == [token_id]
