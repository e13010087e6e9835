"""Erasing someone's personal data over HTTP as the rules ask: a system admin requests it,
each trial the person took part in approves it (docs/event-store.md, "Personal data")."""

from __future__ import annotations

from typing import Any

import httpx

from domain.account_events import SystemRole
from server.demo import DEMO_TRIAL
from server.services import Services
from tests.integration.server.founders import grant_system_role


def erasure_path(user_id: str) -> str:
    return f"/api/accounts/{user_id}/personal-data/erasure"


async def second_system_admin(services: Services, username: str = "vera") -> dict[str, str]:
    """Headers of a new account holding system_admin (the demo's alex is the other)."""
    account = await services.accounts.create_user(username, "Vera Approver", "a long passphrase")
    await grant_system_role(services, account.user_id, SystemRole.SYSTEM_ADMIN)
    issued = await services.tokens.issue(account.user_id, "tests")
    return {"Authorization": f"Bearer {issued.token}"}


async def request_erasure(
    client: httpx.AsyncClient, user_id: str, reason: str, requester: dict[str, str]
) -> dict[str, Any]:
    """Request the erasure (202); the request as the API shows it."""
    requested = await client.post(erasure_path(user_id), json={"reason": reason}, headers=requester)
    assert requested.status_code == 202, requested.text
    answer: dict[str, Any] = requested.json()
    return answer


async def approve_erasure(
    client: httpx.AsyncClient,
    user_id: str,
    approver: dict[str, str],
    trial_id: str | None = DEMO_TRIAL,
) -> httpx.Response:
    """``approver``'s approval for ``trial_id`` (None: as the second system admin)."""
    return await client.post(
        f"{erasure_path(user_id)}/approvals", json={"trial_id": trial_id}, headers=approver
    )


async def erase(
    client: httpx.AsyncClient,
    user_id: str,
    reason: str,
    *,
    requester: dict[str, str],
    approver: dict[str, str],
) -> httpx.Response:
    """Request and approve (for the demo trial) the erasure of ``user_id``'s data: the
    answer of the approval that carried it out."""
    await request_erasure(client, user_id, reason, requester)
    return await approve_erasure(client, user_id, approver)
