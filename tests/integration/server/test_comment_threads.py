"""The trial's list of comment threads: where people have commented, in the order the
threads began, for those who may read the trial."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from server.demo import DEMO_TRIAL, DemoPerson
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.long_threads import post_comments


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


async def test_a_sections_thread_answers_its_history_with_times_and_actors(
    app_client: httpx.AsyncClient, as_user: Api, trial: str, demo: dict[str, DemoPerson]
) -> None:
    pat, sam = await as_user("pat"), await as_user("sam")
    thread = f"{trial}/comments/section/5.2"
    nobody_yet = await app_client.get(f"{thread}/history", headers=pat)
    assert nobody_yet.status_code == 200, nobody_yet.text
    assert nobody_yet.json() == {"events": []}

    posted = await app_client.post(thread, json={"text": "Up to 80?"}, headers=pat)
    assert posted.status_code == 201, posted.text
    comment_id = posted.json()["events"][0]["data"]["comment_id"]
    replied = await app_client.post(
        thread, json={"text": "We will ask.", "in_reply_to": comment_id}, headers=sam
    )
    assert replied.status_code == 201, replied.text
    settled = await app_client.post(
        f"{thread}/{comment_id}/disposition",
        json={"disposition": "declined", "reason": "Spirometry norms"},
        headers=sam,
    )
    assert settled.status_code == 200, settled.text

    events = (await app_client.get(f"{thread}/history", headers=pat)).json()["events"]
    assert [(e["type"], e["actor"]) for e in events] == [
        ("CommentPosted", demo["pat"].user_id),
        ("CommentPosted", demo["sam"].user_id),
        ("FeedbackDispositioned", demo["sam"].user_id),
    ]
    assert events[1]["data"]["in_reply_to"] == comment_id
    positions = [e["position"] for e in events]
    assert positions == sorted(positions)
    times = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert times == sorted(times)


async def test_a_thread_about_something_comments_cannot_be_about_is_not_found(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    answer = await app_client.get(
        f"{trial}/comments/motion/M-1/history", headers=await as_user("pat")
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_a_long_threads_history_is_whole_and_in_order(
    services: Services,
    app_client: httpx.AsyncClient,
    as_user: Api,
    trial: str,
    demo: dict[str, DemoPerson],
) -> None:
    """Longer than a page of the answer's reads (1,000 events): every comment once, in
    log order, the JSON whole."""
    pat = demo["pat"].user_id
    await post_comments(services.store, DEMO_TRIAL, "5.2", 2_345, pat)
    answer = await app_client.get(
        f"{trial}/comments/section/5.2/history", headers=await as_user("pat")
    )
    assert answer.status_code == 200, answer.text
    events = answer.json()["events"]
    assert [e["data"]["comment_id"] for e in events] == [f"C-{n}" for n in range(1, 2_346)]
    assert {e["actor"] for e in events} == {pat}
    positions = [e["position"] for e in events]
    assert positions == sorted(positions)
