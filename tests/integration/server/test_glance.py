"""The trial at a glance (``GET /glance``): when each record was opened, and what became
of the patient advocates' comments, counted from the comment threads as the log timed
them."""

from __future__ import annotations

from datetime import datetime

import httpx

from tests.integration.server.conftest import Api


async def test_the_figures_count_advocates_comments_and_their_dispositions(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    pat, sam, ivy = await as_user("pat"), await as_user("sam"), await as_user("ivy")
    before = await app_client.get(f"{trial}/glance", headers=pat)
    assert before.status_code == 200, before.text
    figures = before.json()
    # The demo: A-1, M-1 and D-1 opened; Pat's comment C-1 on A-1 awaits its disposition.
    assert sorted((o["kind"], o["id"]) for o in figures["opened"]) == [
        ("amendment", "A-1"),
        ("dispute", "D-1"),
        ("motion", "M-1"),
    ]
    times = [datetime.fromisoformat(o["at"]) for o in figures["opened"]]
    assert times == sorted(times)
    assert figures["dispositions"] == {
        "adopted": 0,
        "partly_adopted": 0,
        "declined": 0,
        "awaiting": 1,
    }
    assert figures["time_to_disposition"] == {
        "dispositioned": 0,
        "median_seconds": None,
        "longest_seconds": None,
    }

    for who, text in ((pat, "Plain words, please"), (ivy, "Noted"), (pat, "And larger print")):
        posted = await app_client.post(
            f"{trial}/comments/section/11.3", json={"text": text}, headers=who
        )
        assert posted.status_code == 201, posted.text
    thread = (await app_client.get(f"{trial}/comments/section/11.3", headers=sam)).json()
    first = next(c for c in thread["comments"].values() if c["text"] == "Plain words, please")
    for path, disposition in (
        ("amendment/A-1/C-1", "adopted"),
        (f"section/11.3/{first['comment_id']}", "declined"),
    ):
        given = await app_client.post(
            f"{trial}/comments/{path}/disposition",
            json={"disposition": disposition, "reason": "Considered"},
            headers=sam,
        )
        assert given.status_code in (200, 201), given.text

    after = (await app_client.get(f"{trial}/glance", headers=ivy)).json()
    # Ivy's comment needs no disposition and is not counted.
    assert sum(day["comments"] for day in after["advocate_comments"]) == 3
    assert after["dispositions"] == {
        "adopted": 1,
        "partly_adopted": 0,
        "declined": 1,
        "awaiting": 1,
    }
    waited = after["time_to_disposition"]
    assert waited["dispositioned"] == 2
    assert 0 <= waited["median_seconds"] <= waited["longest_seconds"]


async def test_only_the_trials_readers_get_its_figures(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    assert (await app_client.get(f"{trial}/glance")).status_code == 401
    unknown = await app_client.get("/api/trials/no-such-trial/glance", headers=await as_user("pat"))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
