"""An amendment from review to a new protocol version, as its users drive it over HTTP."""

from __future__ import annotations

import httpx

from server.demo import DemoPerson
from tests.integration.server.conftest import Api


async def sign_in(client: httpx.AsyncClient, person: DemoPerson) -> dict[str, str]:
    """Sign in with the password; the client keeps the cookie, the CSRF header is returned."""
    response = await client.post(
        "/api/session", json={"username": person.username, "password": person.password}
    )
    assert response.status_code == 200, response.text
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=lax" in response.headers["set-cookie"].lower()
    return {"X-CSRF-Token": response.json()["csrf_token"]}


async def test_sponsor_signs_with_password_and_merges_once_feedback_is_dispositioned(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    sam = demo["sam"]
    csrf = await sign_in(app_client, sam)
    a1 = await app_client.get(f"{trial}/amendments/A-1")
    assert a1.status_code == 200
    content_hash = a1.json()["content_hash"]
    signing = {"meaning": "approval", "content_hash": content_hash, "password": sam.password}

    no_csrf = await app_client.post(f"{trial}/amendments/A-1/signatures", json=signing)
    assert no_csrf.status_code == 403
    assert no_csrf.headers["content-type"] == "application/problem+json"
    wrong = {**signing, "password": "not the password at all"}
    refused = await app_client.post(f"{trial}/amendments/A-1/signatures", json=wrong, headers=csrf)
    assert refused.status_code == 403
    assert refused.json()["title"] == "Signature not confirmed"
    unchanged = await app_client.get(f"{trial}/amendments/A-1")
    assert unchanged.headers["etag"] == a1.headers["etag"]

    signed = await app_client.post(f"{trial}/amendments/A-1/signatures", json=signing, headers=csrf)
    assert signed.status_code == 201, signed.text
    approved = (await app_client.get(f"{trial}/amendments/A-1")).json()
    assert approved["status"] == "approved"
    [signature] = approved["signatures"]
    assert signature["printed_name"] == "Samira Reyes"
    assert signature["meaning"] == "approval"
    assert signature["content_hash"] == content_hash

    merge = {"effective_date": "2030-01-01"}
    blocked = await app_client.post(f"{trial}/amendments/A-1/merge", json=merge, headers=csrf)
    assert blocked.status_code == 409
    assert blocked.json()["rule"] == "FeedbackAwaitingDisposition"

    disposition = {"disposition": "adopted", "reason": "Taxi vouchers are added to 11.3"}
    told = await app_client.post(
        f"{trial}/comments/amendment/A-1/C-1/disposition",
        json=disposition,
        headers=await as_user("ivy"),
    )
    assert told.status_code == 200, told.text

    merged = await app_client.post(f"{trial}/amendments/A-1/merge", json=merge, headers=csrf)
    assert merged.status_code == 200, merged.text
    protocol = (await app_client.get(f"{trial}/protocol", headers=await as_user("aud"))).json()
    assert protocol["current_version"] == 2
    inclusion = next(s for s in protocol["sections"] if s["number"] == "5.2")
    assert "Age 18 to 75 years" in inclusion["text"]


async def test_a_stale_if_match_is_refused_and_the_current_version_named(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    ivy = await as_user("ivy")
    current = await app_client.get(f"{trial}/amendments/A-1", headers=ivy)
    version = int(current.headers["etag"].strip('"'))
    comment = {"text": "Spirometry criteria hold", "section": "5.2"}

    stale = await app_client.post(
        f"{trial}/amendments/A-1/review-comments",
        json=comment,
        headers={**ivy, "If-Match": f'"{version - 1}"'},
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == version
    fresh = await app_client.post(
        f"{trial}/amendments/A-1/review-comments",
        json=comment,
        headers={**ivy, "If-Match": current.headers["etag"]},
    )
    assert fresh.status_code == 201
    assert fresh.headers["etag"] == f'"{version + 1}"'
