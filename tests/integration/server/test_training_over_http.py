"""Training over HTTP: attestations are plausible (not by the person trained, not dated in
the future, the time taken from the server's clock) and a mistaken one is withdrawn with a
reason once no role the member holds needs the course. Every refusal says which rule and
changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from domain.charter import ETHICS_TRAINING, GCP_TRAINING
from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api


async def view(client: httpx.AsyncClient, trial: str, headers: dict[str, str]) -> dict[str, Any]:
    shown = await client.get(trial, headers=headers)
    assert shown.status_code == 200, shown.text
    body: dict[str, Any] = shown.json()
    return body


def refusal(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code, response.json()["rule"]


async def test_a_mistaken_attestation_is_withdrawn_once_no_held_role_needs_it(
    app_client: httpx.AsyncClient, trial: str, as_user: Api, demo: dict[str, DemoPerson]
) -> None:
    alex = await as_user("alex")
    ivy = demo["ivy"].user_id
    withdrawals = f"{trial}/members/{ivy}/training-withdrawals"
    mistake = {"course": GCP_TRAINING, "reason": "the certificate is another Dr Chen's"}
    before = await view(app_client, trial, alex)
    assert GCP_TRAINING in before["members"][ivy]["training"]

    still_needed = await app_client.post(withdrawals, json=mistake, headers=alex)
    assert refusal(still_needed) == (409, "TrainingStillRequired")
    assert "revoke investigator first" in still_needed.json()["detail"]
    no_reason = await app_client.post(withdrawals, json={**mistake, "reason": " "}, headers=alex)
    assert refusal(no_reason) == (422, "RequiredTextMissing")
    never_attested = {"course": ETHICS_TRAINING, "reason": "typo"}
    unknown = await app_client.post(withdrawals, json=never_attested, headers=alex)
    assert refusal(unknown) == (404, "TrainingAttestationNotFound")
    by_ivy = await app_client.post(withdrawals, json=mistake, headers=await as_user("ivy"))
    assert by_ivy.status_code == 403
    assert await view(app_client, trial, alex) == before

    revoked = await app_client.post(
        f"{trial}/members/{ivy}/role-revocations",
        json={"role": "investigator", "reason": "training in doubt"},
        headers=alex,
    )
    assert revoked.status_code == 200, revoked.text
    withdrawn = await app_client.post(withdrawals, json=mistake, headers=alex)
    assert withdrawn.status_code == 200, withdrawn.text
    [event] = withdrawn.json()["events"]
    assert event["type"] == "TrainingAttestationWithdrawn"
    assert event["data"] == {
        "trial_id": before["trial_id"],
        "user_id": ivy,
        "course": GCP_TRAINING,
        "completed_on": before["members"][ivy]["training"][GCP_TRAINING],
        "reason": "the certificate is another Dr Chen's",
        "withdrawn_by": demo["alex"].user_id,
    }
    after = await view(app_client, trial, alex)
    assert GCP_TRAINING not in after["members"][ivy]["training"]
    regrant = await app_client.post(
        f"{trial}/members/{ivy}/roles",
        json={"role": "investigator", "reason": "back at the site"},
        headers=alex,
    )
    assert refusal(regrant) == (403, "TrainingNotAttested")


async def test_an_attestation_is_neither_in_the_future_nor_by_the_person_trained(
    app_client: httpx.AsyncClient,
    services: Services,
    trial: str,
    as_user: Api,
    demo: dict[str, DemoPerson],
) -> None:
    alex = await as_user("alex")
    ivy = demo["ivy"].user_id
    before = await view(app_client, trial, alex)
    today = services.clock().date()

    def training(completed_on: str) -> dict[str, Any]:
        return {"training": {"course": ETHICS_TRAINING, "completed_on": completed_on}}

    in_two_days = (today + timedelta(days=2)).isoformat()
    future = await app_client.post(
        f"{trial}/members/{ivy}/training", json=training(in_two_days), headers=alex
    )
    assert refusal(future) == (422, "TrainingDateInFuture")
    own = await app_client.post(
        f"{trial}/members/{demo['alex'].user_id}/training",
        json=training(today.isoformat()),
        headers=alex,
    )
    assert refusal(own) == (403, "SelfAttestedTraining")
    assert "another member (e.g. a trial admin) must attest it" in own.json()["detail"]
    # The time comes from the server's clock, not from the client.
    clocked = await app_client.post(
        f"{trial}/members/{ivy}/training",
        json={**training(today.isoformat()), "attested_at": "2099-01-01T00:00:00Z"},
        headers=alex,
    )
    assert clocked.status_code == 422
    assert clocked.json()["type"].endswith("/unknown-fields")
    assert await view(app_client, trial, alex) == before

    attested = await app_client.post(
        f"{trial}/members/{ivy}/training", json=training(today.isoformat()), headers=alex
    )
    assert attested.status_code == 200, attested.text
    [event] = attested.json()["events"]
    assert event["data"]["attested_by"] == demo["alex"].user_id
    after = await view(app_client, trial, alex)
    assert after["members"][ivy]["training"][ETHICS_TRAINING] == today.isoformat()
