"""Over HTTP: what a dispute, a comment or a motion refers to must exist, nobody resolves a
dispute about their own work, and one substantial amendment is under evaluation at a time
(unless the charter allows more, and then each links to the others). Every refusal names
its rule and records nothing."""

from __future__ import annotations

from typing import Any

import httpx

from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.test_amendment_over_http import sign_in

SUBSTANTIAL = {
    "summary": "Exclude current vapers",
    "primary_reason": "New Safety Information Available",
    "safety_or_rights_impact": {"likely": True, "explanation": "Vapers' lung risk"},
    "data_reliability_impact": {"likely": False, "explanation": "Same measures"},
    "enrollment": {"value": 35, "unit": "percent"},
}


def problem(response: httpx.Response) -> tuple[int, str, str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    return response.status_code, body["rule"], body["detail"]


async def test_a_reference_to_a_record_the_trial_lacks_is_refused_and_records_nothing(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    pat, sam = await as_user("pat"), await as_user("sam")
    head = await services.store.head_position()
    concern = {"concern": "Too much burden"}
    refused = [
        (f"{trial}/disputes", {"subject_kind": "amendment", "subject_id": "A-999", **concern}),
        (f"{trial}/disputes", {"subject_kind": "section", "subject_id": "5.2.9", **concern}),
        (f"{trial}/disputes", {"subject_kind": "decision", "subject_id": "M-99", **concern}),
        (f"{trial}/comments/amendment/A-999", {"text": "Transport?"}),
        (f"{trial}/comments/section/5.2.9", {"text": "Transport?"}),
    ]
    for path, body in refused:
        status, rule, detail = problem(await app_client.post(path, json=body, headers=pat))
        assert (status, rule) == (404, "SubjectNotFound"), path
        assert any(name in detail for name in ("amendment A-999", "section 5.2.9", "motion M-99"))
    motion: dict[str, Any] = {
        "question": "Fund transport for older participants?",
        "options": ["yes", "no"],
        "quorum_rule": "simple-majority",
        "deadline": "2099-01-01T00:00:00Z",
        "subject": "A-999",
    }
    members = (await app_client.get(trial, headers=sam)).json()["members"]
    # every member who may vote (an auditor never does)
    voting = (u for u, m in members.items() if m["roles"] and "auditor" not in m["roles"])
    motion["eligible_voters"] = sorted(voting)
    status, rule, detail = problem(
        await app_client.post(f"{trial}/motions", json=motion, headers=sam)
    )
    assert (status, rule) == (404, "SubjectNotFound")
    assert "'A-999', which is no amendment or dispute or motion" in detail
    assert await services.store.head_position() == head

    # The records the demo has are found.
    for subject_kind, subject_id in (("amendment", "A-1"), ("section", "5.2"), ("decision", "M-1")):
        raised = await app_client.post(
            f"{trial}/disputes",
            json={"subject_kind": subject_kind, "subject_id": subject_id, "concern": "Why?"},
            headers=pat,
        )
        assert raised.status_code == 201, raised.text
    commented = await app_client.post(
        f"{trial}/comments/section/1.3", json={"text": "ok"}, headers=pat
    )
    assert commented.status_code == 201, commented.text
    for subject in ("A-1", "D-1", "M-1"):
        tabled = await app_client.post(
            f"{trial}/motions", json={**motion, "subject": subject}, headers=sam
        )
        assert tabled.status_code == 201, tabled.text


async def resolving(
    client: httpx.AsyncClient, trial: str, dispute_id: str, headers: dict[str, str]
) -> httpx.Response:
    body = {"resolution": "Keep it", "rationale": "Weighed both sides"}
    return await client.post(
        f"{trial}/disputes/{dispute_id}/resolution", json=body, headers=headers
    )


async def raised(
    client: httpx.AsyncClient, trial: str, kind: str, subject_id: str, headers: dict[str, str]
) -> str:
    body = {"subject_kind": kind, "subject_id": subject_id, "concern": "Too much burden"}
    response = await client.post(f"{trial}/disputes", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["events"][0]["data"]["dispute_id"])


async def test_nobody_resolves_a_dispute_about_their_own_work(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    pat, ivy, omar = await as_user("pat"), await as_user("ivy"), await as_user("omar")
    about_a1 = await raised(app_client, trial, "amendment", "A-1", pat)  # Ivy wrote A-1
    about_53 = await raised(app_client, trial, "section", "5.3", pat)  # Ivy revised 5.3
    head = await services.store.head_position()
    for dispute_id, what in ((about_a1, "amendment A-1"), (about_53, "section 5.3")):
        status, rule, detail = problem(await resolving(app_client, trial, dispute_id, ivy))
        assert (status, rule) == (403, "ConflictOfInterest")
        assert f"is an author of {what}" in detail
    nowhere = await resolving(app_client, trial, "D-404", omar)
    assert problem(nowhere)[:2] == (404, "DisputeNotFound")
    assert await services.store.head_position() == head
    shown = (await app_client.get(f"{trial}/disputes/{about_a1}", headers=pat)).json()
    assert shown["resolved_by"] is None
    resolved = await resolving(app_client, trial, about_a1, omar)  # another site's investigator
    assert resolved.status_code == 200, resolved.text


async def test_the_charter_may_also_exclude_the_authors_organizations(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    pat, alex = await as_user("pat"), await as_user("alex")
    about_m1 = await raised(app_client, trial, "decision", "M-1", pat)  # Samira tabled M-1
    charter: dict[str, Any] = (await app_client.get(trial, headers=alex)).json()["charter"]
    assert charter["conflicts_of_interest"] == {"same_organization": False}
    widened = {**charter, "conflicts_of_interest": {"same_organization": True}}
    amended = await app_client.put(
        f"{trial}/charter",
        json={"charter": widened, "reason": "Colleagues of the authors step aside"},
        headers=alex,
    )
    assert amended.status_code == 200, amended.text
    head = await services.store.head_position()
    # Alex, a trial admin of Northwind like Samira, may resolve at this level but not now.
    status, rule, detail = problem(await resolving(app_client, trial, about_m1, alex))
    assert (status, rule) == (403, "ConflictOfInterest")
    assert "belongs to northwind" in detail
    assert await services.store.head_position() == head
    resolved = await resolving(app_client, trial, about_m1, await as_user("omar"))
    assert resolved.status_code == 200, resolved.text


async def opened_substantial(
    client: httpx.AsyncClient, trial: str, amendment_id: str, section: str, ivy: dict[str, str]
) -> str:
    """Ivy opens the substantial ``amendment_id`` changing ``section``; its path."""
    opening = {"amendment_id": amendment_id, "base_version": 1, "details": SUBSTANTIAL}
    assert (await client.post(f"{trial}/amendments", json=opening, headers=ivy)).status_code == 201
    path = f"{trial}/amendments/{amendment_id}"
    change = {
        "number": section,
        "heading": "Exclusion Criteria" if section == "5.3" else "Schedule of Activities",
        "text": f"Changed by {amendment_id}",
        "description": f"Change {section}",
        "rationale": "Safety",
    }
    proposed = await client.post(f"{path}/changes", json={"change": change}, headers=ivy)
    assert proposed.status_code == 201, proposed.text
    return path


async def test_one_substantial_amendment_is_under_evaluation_at_a_time(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    ivy, sam = await as_user("ivy"), await as_user("sam")
    a2 = await opened_substantial(app_client, trial, "A-2", "5.3", ivy)
    a3 = await opened_substantial(app_client, trial, "A-3", "1.3", ivy)
    assert (await app_client.post(f"{a2}/submission", json={}, headers=ivy)).status_code == 200
    head = await services.store.head_position()
    status, rule, detail = problem(await app_client.post(f"{a3}/submission", json={}, headers=ivy))
    assert (status, rule) == (409, "SubstantialModificationPending")
    assert "substantial amendment A-2 is under evaluation" in detail
    # Nor is the submitted, minor A-1 made substantial meanwhile.
    made_substantial = await app_client.put(
        f"{trial}/amendments/A-1/details", json={"details": SUBSTANTIAL}, headers=ivy
    )
    assert problem(made_substantial)[:2] == (409, "SubstantialModificationPending")
    assert await services.store.head_position() == head
    assert (await app_client.get(a3, headers=ivy)).json()["status"] == "draft"

    withdrawn = await app_client.post(
        f"{a2}/withdrawal", json={"reason": "Folded into A-3"}, headers=sam
    )
    assert withdrawn.status_code == 200, withdrawn.text
    submitted = await app_client.post(f"{a3}/submission", json={}, headers=ivy)
    assert submitted.status_code == 200, submitted.text
    assert (await app_client.get(a3, headers=ivy)).json()["concurrent_with"] == []


async def test_where_the_charter_allows_several_each_links_to_the_others(
    app_client: httpx.AsyncClient, services: Services, as_user: Api, trial: str
) -> None:
    ivy, alex = await as_user("ivy"), await as_user("alex")
    charter = (await app_client.get(trial, headers=alex)).json()["charter"]
    assert charter["concurrent_substantial_modifications"] is False
    amended = await app_client.put(
        f"{trial}/charter",
        json={
            "charter": {**charter, "concurrent_substantial_modifications": True},
            "reason": "Our regulator evaluates modifications in parallel",
        },
        headers=alex,
    )
    assert amended.status_code == 200, amended.text
    a2 = await opened_substantial(app_client, trial, "A-2", "5.3", ivy)
    a3 = await opened_substantial(app_client, trial, "A-3", "1.3", ivy)
    assert (await app_client.post(f"{a2}/submission", json={}, headers=ivy)).status_code == 200
    submitted = await app_client.post(f"{a3}/submission", json={}, headers=ivy)
    assert submitted.status_code == 200, submitted.text
    noted = [e for e in submitted.json()["events"] if e["type"] == "ConcurrentModificationNoted"]
    assert [e["data"]["concurrent_with"] for e in noted] == [["A-2"]]
    assert (await app_client.get(a3, headers=ivy)).json()["concurrent_with"] == ["A-2"]
    assert (await app_client.get(a2, headers=ivy)).json()["concurrent_with"] == ["A-3"]
    # The minor A-1 is not linked to them.
    assert (await app_client.get(f"{trial}/amendments/A-1", headers=ivy)).json()[
        "concurrent_with"
    ] == []


async def test_a_section_an_amendment_wrote_is_its_authors_work_not_the_mergers(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    sam, ivy, pat = demo["sam"], await as_user("ivy"), await as_user("pat")
    told = await app_client.post(
        f"{trial}/comments/amendment/A-1/C-1/disposition",
        json={"disposition": "adopted", "reason": "Taxi vouchers are added to 11.3"},
        headers=ivy,
    )
    assert told.status_code == 200, told.text
    csrf = await sign_in(app_client, sam)
    a1 = (await app_client.get(f"{trial}/amendments/A-1")).json()
    signing = {"meaning": "approval", "content_hash": a1["content_hash"], "password": sam.password}
    signed = await app_client.post(f"{trial}/amendments/A-1/signatures", json=signing, headers=csrf)
    assert signed.status_code == 201, signed.text
    merge = {"effective_date": "2030-01-01"}
    merged = await app_client.post(f"{trial}/amendments/A-1/merge", json=merge, headers=csrf)
    assert merged.status_code == 200, merged.text

    about_52 = await raised(app_client, trial, "section", "5.2", pat)  # A-1 wrote 5.2
    status, rule, detail = problem(await resolving(app_client, trial, about_52, ivy))
    assert (status, rule) == (403, "ConflictOfInterest")
    assert f"{demo['ivy'].user_id} is an author of section 5.2" in detail
    # Samira merged A-1 but did not write it: she may settle the dispute.
    resolved = await resolving(app_client, trial, about_52, csrf)
    assert resolved.status_code == 200, resolved.text
