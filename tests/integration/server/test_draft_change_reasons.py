"""Issue 19 over HTTP (Annex 11 §9): adding or removing a draft's subsection and settling an
edit conflict state why; the proposer's reason stays with the conflict; the trail shows
each. A change without a reason is refused and records nothing."""

from __future__ import annotations

from typing import Any

import httpx

from server.demo import DRAFT_TEXTS, DRAFT_TRIAL, DemoPerson, load_draft_trial
from server.services import Services
from tests.integration.server.conftest import Api

DRAFT = f"/api/trials/{DRAFT_TRIAL}"
SECTIONS = f"{DRAFT}/protocol/sections"
BANDS = {"number": "5.2.1", "heading": "Age bands", "text": "40-60, 61-85"}


async def trail_reasons(client: httpx.AsyncClient, as_user: Api) -> dict[str, set[str]]:
    trail = await client.get(f"{DRAFT}/audit/trail?record=protocol", headers=await as_user("alex"))
    assert trail.status_code == 200, trail.text
    reasons: dict[str, set[str]] = {}
    for row in trail.json():
        reasons.setdefault(row["event"], set()).add(row["reason"])
    return reasons


def refused(response: httpx.Response, kind: str, detail: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"].endswith(f"/{kind}"), problem
    assert detail in problem["detail"], problem
    return problem


async def test_a_subsection_is_added_and_removed_with_a_reason_or_not_at_all(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    await load_draft_trial(services, list(demo.values()))
    ivy = await as_user("ivy")
    head = await services.store.head_position()

    missing = await app_client.post(SECTIONS, json=BANDS, headers=ivy)
    assert missing.status_code == 422, missing.text
    assert missing.json()["type"].endswith("/invalid-body")
    assert "reason" in missing.json()["detail"]
    blank = await app_client.post(SECTIONS, json={**BANDS, "reason": " "}, headers=ivy)
    refused(blank, "revision-reason-missing", "say why subsection 5.2.1 is added")
    assert await services.store.head_position() == head

    why_add = "Age bands for the stratified analysis"
    added = await app_client.post(SECTIONS, json={**BANDS, "reason": why_add}, headers=ivy)
    assert added.status_code == 201, added.text
    assert added.json()["events"][0]["data"]["reason"] == why_add

    head = await services.store.head_position()
    gone = f"{SECTIONS}/5.2.1"
    missing = await app_client.request("DELETE", gone, json={}, headers=ivy)
    assert missing.status_code == 422, missing.text
    assert missing.json()["type"].endswith("/invalid-body")
    assert "reason" in missing.json()["detail"]
    blank = await app_client.request("DELETE", gone, json={"reason": ""}, headers=ivy)
    refused(blank, "revision-reason-missing", "say why subsection 5.2.1 is removed")
    assert await services.store.head_position() == head

    why_remove = "The bands are set in the analysis plan"
    removed = await app_client.request("DELETE", gone, json={"reason": why_remove}, headers=ivy)
    assert removed.status_code == 200, removed.text

    reasons = await trail_reasons(app_client, as_user)
    assert reasons["SectionAdded"] == {why_add}
    assert reasons["SectionRemoved"] == {why_remove}


async def test_a_conflict_keeps_the_proposers_reason_and_its_resolution_states_why(
    app_client: httpx.AsyncClient, as_user: Api, services: Services, demo: dict[str, DemoPerson]
) -> None:
    await load_draft_trial(services, list(demo.values()))
    section = f"{SECTIONS}/5.2"
    text = DRAFT_TEXTS["5.2"]
    for who, old, new in (("ivy", "40 to", "45 to"), ("omar", "80", "75")):
        body = {"base_revision": 1, "text": text.replace(old, new), "reason": f"{who}'s range"}
        revised = await app_client.put(section, json=body, headers=await as_user(who))
        assert revised.status_code == 200, revised.text
    protocol = (await app_client.get(f"{DRAFT}/protocol", headers=await as_user("ivy"))).json()
    [conflict] = protocol["open_conflicts"]
    assert (conflict["number"], conflict["reason"]) == ("5.2", "omar's range")

    ivy = await as_user("ivy")
    resolution = f"{DRAFT}/protocol/conflicts/{conflict['conflict_number']}/resolution"
    settled = text.replace("40 to 80", "45 to 75")
    head = await services.store.head_position()
    missing = await app_client.post(
        resolution, json={"head_revision": 2, "text": settled}, headers=ivy
    )
    assert missing.status_code == 422, missing.text
    assert missing.json()["type"].endswith("/invalid-body")
    assert "reason" in missing.json()["detail"]
    blank = await app_client.post(
        resolution, json={"head_revision": 2, "text": settled, "reason": "\n"}, headers=ivy
    )
    refused(blank, "revision-reason-missing", "say why edit conflict 1 is settled so")
    assert await services.store.head_position() == head

    why = "Ivy's lower limit and Omar's upper one, as agreed"
    resolved = await app_client.post(
        resolution, json={"head_revision": 2, "text": settled, "reason": why}, headers=ivy
    )
    assert resolved.status_code == 200, resolved.text
    reasons = await trail_reasons(app_client, as_user)
    assert reasons["SectionEditConflicted"] == {"omar's range"}
    assert reasons["SectionConflictResolved"] == {why}
