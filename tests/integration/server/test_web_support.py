"""What the web front end reads besides the aggregates: the page itself, what the
signed-in person may attempt, and the signatures an amendment still needs."""

from __future__ import annotations

import httpx

from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api


async def test_the_front_end_is_served_at_the_root_and_unknown_api_paths_stay_problems(
    app_client: httpx.AsyncClient,
) -> None:
    page = await app_client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/js/main.js">' in page.text
    script = await app_client.get("/js/main.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    for method in ("GET", "POST", "PATCH"):
        unknown = await app_client.request(method, "/api/no-such-route")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
    assert (await app_client.post("/index.html")).status_code == 405


async def test_access_names_the_callers_roles_and_the_actions_they_may_attempt(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    advocate = (await app_client.get(f"{trial}/access", headers=await as_user("pat"))).json()
    assert advocate["roles"] == ["patient_advocate"]
    assert "comment:post" in advocate["actions"]
    assert "amendment:sign" in advocate["actions"]
    assert "protocol:edit" not in advocate["actions"]
    auditor = (await app_client.get(f"{trial}/access", headers=await as_user("aud"))).json()
    assert set(auditor["actions"]) == {"trial:read", "audit:read", "audit:export"}


async def test_an_amendment_names_the_signatures_it_needs_and_those_still_missing(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    sam = await as_user("sam")
    before = (await app_client.get(f"{trial}/amendments/A-1", headers=sam)).json()
    assert [r["name"] for r in before["required_signatures"]] == ["sponsor approval"]
    assert before["missing_signatures"] == before["required_signatures"]
    assert before["required_signatures"][0]["signatories"]["roles"] == ["sponsor_lead"]

    signing = {
        "meaning": "approval",
        "content_hash": before["content_hash"],
        "password": demo["sam"].password,
    }
    signed = await app_client.post(f"{trial}/amendments/A-1/signatures", json=signing, headers=sam)
    assert signed.status_code == 201, signed.text
    after = (await app_client.get(f"{trial}/amendments/A-1", headers=sam)).json()
    assert after["missing_signatures"] == []
    assert after["status"] == "approved"


async def test_an_auditor_verifies_the_log_over_http(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    await services.checkpoints.sign_head()
    found = (
        await app_client.get(f"{trial}/audit/verification", headers=await as_user("aud"))
    ).json()
    head = await services.store.head_position()
    assert found["ok"] is True
    assert (found["checked"], found["head_position"], found["checkpoints"]) == (head, head, 1)
    assert found["first_bad_position"] is None
    assert found["summary"].startswith(f"ok: {head} events")
    refused = await app_client.get(f"{trial}/audit/verification", headers=await as_user("ivy"))
    assert refused.status_code == 403
