"""Credentials the server remembers between requests stop working the moment this server
disables their user or ends them."""

from __future__ import annotations

import httpx

from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api


async def test_disabling_a_user_stops_their_token_and_session_at_once(
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
) -> None:
    sam = demo["sam"]
    script = await as_user("sam")
    signed_in = await app_client.post(
        "/api/session", json={"username": "sam", "password": sam.password}
    )
    assert signed_in.status_code == 200
    assert (await app_client.get(trial, headers=script)).status_code == 200
    assert (await app_client.get(trial)).status_code == 200
    await services.accounts.disable(sam.user_id, reason="left the study")
    assert (await app_client.get(trial, headers=script)).status_code == 401
    assert (await app_client.get(trial)).status_code == 401
    await services.accounts.enable(sam.user_id, reason="back on the study")
    assert (await app_client.get(trial, headers=script)).status_code == 200


async def test_a_password_change_ends_every_session_at_once(
    app_client: httpx.AsyncClient, services: Services, demo: dict[str, DemoPerson], trial: str
) -> None:
    sam = demo["sam"]
    await app_client.post("/api/session", json={"username": "sam", "password": sam.password})
    assert (await app_client.get(trial)).status_code == 200
    await services.accounts.set_password(sam.user_id, "another long passphrase")
    assert (await app_client.get(trial)).status_code == 401
