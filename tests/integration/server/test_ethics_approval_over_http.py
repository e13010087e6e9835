"""The ethics committee's approval over HTTP is not taken on trust: its meeting date must
fall between the amendment's submission (by the server's clock) and today anywhere on
Earth, and its vote must meet the charter's committee quorum, which the trial's admins
set like any other charter rule. Every refusal names its rule and records nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api

DETAILS = {
    "summary": "Exclude current vapers",
    "primary_reason": "New Safety Information Available",
    "safety_or_rights_impact": {"likely": True, "explanation": "Vapers' lung risk"},
    "data_reliability_impact": {"likely": False, "explanation": "Same measures"},
    "enrollment": {"value": 35, "unit": "percent"},
}
VAPERS = {
    "number": "5.3",
    "heading": "Exclusion Criteria",
    "text": "Current smoker, vaper or more than 10 pack-years",
    "description": "Exclude vapers",
    "rationale": "The study drug's safety in vapers is unknown",
}


async def submitted_a2(client: httpx.AsyncClient, trial: str, ivy: dict[str, str]) -> str:
    """Ivy opens, fills and submits the substantial A-2; its path."""
    opening = {"amendment_id": "A-2", "base_version": 1, "details": DETAILS}
    opened = await client.post(f"{trial}/amendments", json=opening, headers=ivy)
    assert opened.status_code == 201, opened.text
    a2 = f"{trial}/amendments/A-2"
    proposed = await client.post(f"{a2}/changes", json={"change": VAPERS}, headers=ivy)
    assert proposed.status_code == 201, proposed.text
    submitted = await client.post(f"{a2}/submission", json={}, headers=ivy)
    assert submitted.status_code == 200, submitted.text
    [event] = [e for e in submitted.json()["events"] if e["type"] == "AmendmentSubmitted"]
    at = datetime.fromisoformat(event["data"]["submitted_at"].removesuffix("Z") + "+00:00")
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=5)  # the server's clock
    return a2


def problem(response: httpx.Response) -> tuple[int, str, str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    return response.status_code, body["rule"], body["detail"]


@pytest.fixture
async def a2(app_client: httpx.AsyncClient, trial: str, as_user: Api) -> str:
    return await submitted_a2(app_client, trial, await as_user("ivy"))


async def test_an_approval_dated_before_submission_or_in_the_future_is_refused(
    app_client: httpx.AsyncClient,
    trial: str,
    a2: str,
    as_user: Api,
    demo: dict[str, DemoPerson],
    services: Services,
) -> None:
    elena = await as_user("elena")
    shown = (await app_client.get(a2, headers=elena)).json()
    today = datetime.now(UTC).date()
    approval: dict[str, Any] = {
        "content_hash": shown["content_hash"],
        "meeting_date": today.isoformat(),
        "in_favour": 6,
        "against": 1,
        "abstaining": 0,
        "minutes_reference": "CREC minutes 2026/07 item 3",
        "password": demo["elena"].password,
    }
    head = await services.store.head_position()
    refusals = [
        (date(1999, 1, 1), "EthicsMeetingBeforeSubmission", "the committee met on 1999-01-01"),
        (today + timedelta(days=2), "EthicsMeetingInFuture", "lies in the future"),
    ]
    for meeting, rule, detail in refusals:
        dated = {**approval, "meeting_date": meeting.isoformat()}
        refused = await app_client.post(f"{a2}/ethics-approval", json=dated, headers=elena)
        status, named, said = problem(refused)
        assert (status, named) == (422, rule)
        assert detail in said
    assert await services.store.head_position() == head
    assert (await app_client.get(a2, headers=elena)).json()["signatures"] == []

    recorded = await app_client.post(f"{a2}/ethics-approval", json=approval, headers=elena)
    assert recorded.status_code == 201, recorded.text
    [signature] = (await app_client.get(a2, headers=elena)).json()["signatures"]
    assert signature["committee_vote"]["meeting_date"] == today.isoformat()


async def test_a_vote_is_judged_by_the_charters_committee_quorum(
    app_client: httpx.AsyncClient,
    trial: str,
    a2: str,
    as_user: Api,
    demo: dict[str, DemoPerson],
    services: Services,
) -> None:
    elena, alex = await as_user("elena"), await as_user("alex")
    charter = (await app_client.get(trial, headers=alex)).json()["charter"]
    assert charter["ethics_committee"]["membership"] == 9
    approval: dict[str, Any] = {
        "content_hash": (await app_client.get(a2, headers=elena)).json()["content_hash"],
        "meeting_date": datetime.now(UTC).date().isoformat(),
        "abstaining": 0,
        "minutes_reference": "CREC minutes 2026/07 item 3",
        "password": demo["elena"].password,
    }
    head = await services.store.head_position()
    refusals = [
        ((3, 1, 0), "CommitteeVoteNotQuorate", "4 of the committee's 9 members were present"),
        ((4, 1, 4), "CommitteeVoteNotCarried", "4 in favour of 9 members present"),
        ((8, 1, 1), "CommitteeVoteExceedsMembership", "the charter's ethics committee has 9"),
    ]
    for (in_favour, against, abstaining), rule, detail in refusals:
        vote = {"in_favour": in_favour, "against": against, "abstaining": abstaining}
        refused = await app_client.post(
            f"{a2}/ethics-approval", json={**approval, **vote}, headers=elena
        )
        status, named, said = problem(refused)
        assert (status, named) == (422, rule)
        assert detail in said

    committee = {**charter["ethics_committee"], "membership": 0}
    nobody = {"charter": {**charter, "ethics_committee": committee}, "reason": "typo"}
    invalid = await app_client.put(f"{trial}/charter", json=nobody, headers=alex)
    status, named, said = problem(invalid)
    assert (status, named) == (422, "InvalidCharter")
    assert "the ethics committee needs members" in said
    assert await services.store.head_position() == head

    five = {"charter": {**charter, "ethics_committee": {**committee, "membership": 5}}}
    amended = await app_client.put(
        f"{trial}/charter", json={**five, "reason": "Our committee has five members"}, headers=alex
    )
    assert amended.status_code == 200, amended.text
    quorate = {**approval, "in_favour": 3, "against": 1}
    recorded = await app_client.post(f"{a2}/ethics-approval", json=quorate, headers=elena)
    assert recorded.status_code == 201, recorded.text
    [signature] = (await app_client.get(a2, headers=elena)).json()["signatures"]
    assert (signature["committee_vote"]["in_favour"], signature["committee_vote"]["against"]) == (
        3,
        1,
    )
