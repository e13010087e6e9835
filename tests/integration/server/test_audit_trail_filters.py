"""An audit trail narrowed by person and time, and read a page at a time."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from server.demo import DemoPerson
from tests.integration.server.conftest import Api


async def trail(
    client: httpx.AsyncClient, as_user: Api, trial: str, **params: str
) -> httpx.Response:
    return await client.get(
        f"{trial}/audit/trail",
        params={"record": "workspace"} | params,
        headers=await as_user("aud"),
    )


async def whole_trail(
    client: httpx.AsyncClient, as_user: Api, trial: str, record: str = "workspace"
) -> list[dict[str, Any]]:
    response = await trail(client, as_user, trial, record=record)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def test_a_trail_narrowed_to_one_person_holds_only_what_they_changed(
    app_client: httpx.AsyncClient, demo: dict[str, DemoPerson], as_user: Api, trial: str
) -> None:
    everything = await whole_trail(app_client, as_user, trial, "dispute/D-1")
    ivy = demo["ivy"].user_id
    response = await trail(app_client, as_user, trial, record="dispute/D-1", by=ivy)
    assert response.status_code == 200, response.text
    assert response.json() == [row for row in everything if row["user_id"] == ivy]
    assert 0 < len(response.json()) < len(everything), "the dispute has others' changes too"


async def test_a_trail_narrowed_to_a_time_window_holds_the_events_recorded_in_it(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    everything = await whole_trail(app_client, as_user, trial)
    times = sorted({row["recorded_at"] for row in everything})
    assert len(times) >= 3
    since, until = times[1], times[-2]
    response = await trail(app_client, as_user, trial, since=since, until=until)
    assert response.status_code == 200, response.text
    assert response.json() == [r for r in everything if since <= r["recorded_at"] <= until]
    # The same instant written with another offset is the same window.
    shifted = since.replace("Z", "+00:00")
    again = await trail(app_client, as_user, trial, since=shifted, until=until)
    assert again.json() == response.json()


async def test_a_trail_read_a_page_at_a_time_is_the_whole_trail_with_no_event_split(
    app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    everything = await whole_trail(app_client, as_user, trial)
    pages: list[list[dict[str, Any]]] = []
    response = await trail(app_client, as_user, trial, limit="5")
    while True:
        assert response.status_code == 200, response.text
        pages.append(response.json())
        following = response.links.get("next")
        if following is None:
            break
        assert len(response.json()) >= 5
        url = urlsplit(following["url"])
        response = await app_client.get(f"{url.path}?{url.query}", headers=await as_user("aud"))
    assert len(pages) > 1
    assert [row for page in pages for row in page] == everything
    for earlier, later in itertools.pairwise(pages):
        assert earlier[-1]["position"] < later[0]["position"], "an event is never split"


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"since": "yesterday"}, "malformed-time"),
        ({"until": "2026-11-21T09:30:00"}, "malformed-time"),  # no offset: whose 9:30?
        ({"since": "2026-11-21T10:00:00Z", "until": "2026-11-21T09:00:00Z"}, "empty-time-window"),
        ({"limit": "0"}, "malformed-limit"),
        ({"limit": "10001"}, "malformed-limit"),
        ({"limit": "ten"}, "malformed-limit"),
        ({"limit": "²"}, "malformed-limit"),  # a digit to str.isdigit, not to int()
        ({"after": "-1"}, "malformed-position"),
        ({"after": "²"}, "malformed-position"),
    ],
)
async def test_a_malformed_narrowing_is_a_problem(
    app_client: httpx.AsyncClient,
    as_user: Api,
    trial: str,
    params: dict[str, str],
    problem: str,
) -> None:
    response = await trail(app_client, as_user, trial, **params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(problem)
