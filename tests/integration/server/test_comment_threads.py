"""The trial's list of comment threads: where people have commented, in the order the
threads began, for those who may read the trial."""

from __future__ import annotations

import httpx

from tests.integration.server.conftest import Api


async def test_the_threads_are_listed_in_the_order_they_began(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    pat = await as_user("pat")
    before = await app_client.get(f"{trial}/comments", headers=pat)
    assert before.status_code == 200, before.text
    assert before.json() == [{"subject_kind": "amendment", "subject_id": "A-1"}]
    for thread in ("section/5.2", "section/1.3", "section/5.2"):
        posted = await app_client.post(
            f"{trial}/comments/{thread}", json={"text": f"On {thread}"}, headers=pat
        )
        assert posted.status_code == 201, posted.text
    after = await app_client.get(f"{trial}/comments", headers=pat)
    assert after.json() == [
        {"subject_kind": "amendment", "subject_id": "A-1"},
        {"subject_kind": "section", "subject_id": "5.2"},
        {"subject_kind": "section", "subject_id": "1.3"},
    ]


async def test_only_members_may_list_the_threads(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    anonymous = await app_client.get(f"{trial}/comments")
    assert anonymous.status_code == 401
    missing = await app_client.get(
        "/api/trials/no-such-trial/comments", headers=await as_user("pat")
    )
    assert missing.status_code in (403, 404)
