"""A motion's quorum over HTTP: recused members are not present for the vote, so three of
four recusing leave the fourth unable to decide alone; the motion lapses for want of a
quorum, and closing it while a voter may still vote is refused and records nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from server.demo import DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api


async def test_three_recusals_of_four_leave_the_motion_without_a_quorum(
    app_client: httpx.AsyncClient,
    trial: str,
    as_user: Api,
    demo: dict[str, DemoPerson],
    services: Services,
) -> None:
    sam = await as_user("sam")
    voters = ("sam", "ivy", "omar", "pat")
    deadline = datetime.now(UTC) + timedelta(days=7)
    tabled = await app_client.post(
        f"{trial}/motions",
        json={
            "question": "Adopt the home spirometry amendment?",
            "options": ["yes", "no"],
            "eligible_voters": [demo[v].user_id for v in voters],
            "quorum_rule": "simple-majority",
            "deadline": deadline.isoformat(),
        },
        headers=sam,
    )
    assert tabled.status_code == 201, tabled.text
    motion = f"{trial}/motions/{tabled.json()['events'][0]['data']['motion_id']}"
    for username in ("sam", "ivy"):
        recused = await app_client.post(
            f"{motion}/recusals", json={"reason": "co-authored it"}, headers=await as_user(username)
        )
        assert recused.status_code == 201, recused.text
    voted = await app_client.post(
        f"{motion}/votes", json={"option": "yes"}, headers=await as_user("pat")
    )
    assert voted.status_code == 201, voted.text

    head = await services.store.head_position()
    early = await app_client.post(f"{motion}/closure", json={}, headers=sam)
    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["rule"] == "VotingStillOpen"
    assert await services.store.head_position() == head

    omar = await as_user("omar")
    last = await app_client.post(f"{motion}/recusals", json={"reason": "site PI"}, headers=omar)
    assert last.status_code == 201, last.text
    closed = await app_client.post(f"{motion}/closure", json={}, headers=sam)
    assert closed.status_code == 200, closed.text
    [event] = closed.json()["events"]
    assert event["type"] == "MotionLapsed"
    assert event["data"]["count"] == {
        "tally": [{"option": "yes", "votes": 1}, {"option": "no", "votes": 0}],
        "votes_cast": 1,
        "eligible_voters": 4,
        "votes_needed": 2,
        "recused": 3,
    }
    shown = (await app_client.get(motion, headers=sam)).json()
    assert shown["status"] == "lapsed"
    assert shown["outcome"] is None
