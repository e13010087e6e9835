"""Issue 21 over HTTP: an auditor is never put to a vote (refused, nothing recorded), and a
motion's and a dispute's pages read their own history: each event with the log's time and
who caused it, an escalation with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api


def motion_body(demo: dict[str, DemoPerson], *voters: str) -> dict[str, object]:
    return {
        "question": "Offer home spirometry?",
        "options": ["yes", "no"],
        "eligible_voters": [demo[v].user_id for v in voters],
        "quorum_rule": "simple-majority",
        "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }


async def test_an_auditor_is_refused_as_a_voter_and_nothing_is_recorded(
    app_client: httpx.AsyncClient,
    trial: str,
    as_user: Api,
    demo: dict[str, DemoPerson],
    services: Services,
) -> None:
    sam = await as_user("sam")
    head = await services.store.head_position()
    refused = await app_client.post(
        f"{trial}/motions", json=motion_body(demo, "sam", "aud"), headers=sam
    )
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["rule"] == "NotAnEligibleVoter"
    assert demo["aud"].user_id in refused.json()["detail"]
    assert await services.store.head_position() == head


async def test_a_motion_and_a_dispute_answer_their_history_with_times_and_actors(
    app_client: httpx.AsyncClient,
    trial: str,
    as_user: Api,
    demo: dict[str, DemoPerson],
) -> None:
    sam, ivy, pat = await as_user("sam"), await as_user("ivy"), await as_user("pat")
    tabled = await app_client.post(
        f"{trial}/motions", json=motion_body(demo, "sam", "ivy"), headers=sam
    )
    assert tabled.status_code == 201, tabled.text
    motion = f"{trial}/motions/{tabled.json()['events'][0]['data']['motion_id']}"
    voted = await app_client.post(f"{motion}/votes", json={"option": "no"}, headers=ivy)
    assert voted.status_code == 201, voted.text
    history = (await app_client.get(f"{motion}/history", headers=pat)).json()["events"]
    assert [(e["type"], e["actor"]) for e in history] == [
        ("MotionTabled", demo["sam"].user_id),
        ("VoteCast", demo["ivy"].user_id),
    ]
    assert all(e["recorded_at"] for e in history)
    assert history[0]["position"] < history[1]["position"]

    raised = await app_client.post(
        f"{trial}/disputes",
        json={"subject_kind": "amendment", "subject_id": "A-1", "concern": "No transport"},
        headers=pat,
    )
    assert raised.status_code == 201, raised.text
    dispute = f"{trial}/disputes/{raised.json()['events'][0]['data']['dispute_id']}"
    escalated = await app_client.post(
        f"{dispute}/escalation", json={"reason": "Needs a budget decision"}, headers=ivy
    )
    assert escalated.status_code == 200, escalated.text
    history = (await app_client.get(f"{dispute}/history", headers=sam)).json()["events"]
    assert [(e["type"], e["actor"]) for e in history] == [
        ("DisputeRaised", demo["pat"].user_id),
        ("DisputeEscalated", demo["ivy"].user_id),
    ]
    assert history[1]["data"]["reason"] == "Needs a budget decision"

    for missing in (f"{trial}/motions/M-99/history", f"{trial}/disputes/D-99/history"):
        answer = await app_client.get(missing, headers=sam)
        assert answer.status_code == 404, missing
        assert answer.json()["type"].endswith("not-found")
