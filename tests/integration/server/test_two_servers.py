"""Two server processes on one database: each caches states and credentials, and neither
may decide on a state the other has moved past."""

from __future__ import annotations

import asyncio

import httpx

from domain.streams import amendment_stream
from server.bootstrap import open_services
from server.commands.aggregates import AMENDMENT
from server.demo import DEMO_TRIAL
from server.services import Services
from tests.integration.server.conftest import Api, client_of

COMMENT = {"text": "Spirometry criteria hold", "section": "5.2"}


async def test_a_command_after_another_server_appended_still_succeeds(
    app_client: httpx.AsyncClient, url: str, as_user: Api, trial: str
) -> None:
    ivy = await as_user("ivy")
    comments = f"{trial}/amendments/A-1/review-comments"
    here = await app_client.post(comments, json=COMMENT, headers=ivy)
    assert here.status_code == 201, here.text
    version = int(here.headers["etag"].strip('"'))
    async with open_services(url) as other, client_of(other) as other_client:
        there = await other_client.post(comments, json=COMMENT, headers=ivy)
        assert there.headers["etag"] == f'"{version + 1}"'

        # This server last saw version `version`; the log is at version + 1.
        unpinned = await app_client.post(comments, json=COMMENT, headers=ivy)
        assert unpinned.status_code == 201, unpinned.text
        assert unpinned.headers["etag"] == f'"{version + 2}"'

        there = await other_client.post(comments, json=COMMENT, headers=ivy)
        assert there.headers["etag"] == f'"{version + 3}"'
        pinned = await app_client.post(
            comments, json=COMMENT, headers={**ivy, "If-Match": there.headers["etag"]}
        )
        assert pinned.status_code == 201, pinned.text
        assert pinned.headers["etag"] == f'"{version + 4}"'

        stale = await app_client.post(
            comments, json=COMMENT, headers={**ivy, "If-Match": there.headers["etag"]}
        )
        assert stale.status_code == 412
        assert stale.json()["current_version"] == version + 4


async def test_commands_decided_on_an_append_the_log_refuses_are_decided_again(
    app_client: httpx.AsyncClient, services: Services, url: str, as_user: Api, trial: str
) -> None:
    ivy = await as_user("ivy")
    comments = f"{trial}/amendments/A-1/review-comments"
    here = await app_client.post(comments, json=COMMENT, headers=ivy)
    version = int(here.headers["etag"].strip('"'))
    async with open_services(url) as other, client_of(other) as other_client:
        there = await other_client.post(comments, json=COMMENT, headers=ivy)
        assert there.status_code == 201

    # Both are decided on this server's older state, the second on the first's queued
    # append; the log refuses the first, so it must refuse the second too.
    both = await asyncio.gather(
        *(
            app_client.post(comments, json={**COMMENT, "text": f"Point {n}"}, headers=ivy)
            for n in range(2)
        )
    )
    assert [answer.status_code for answer in both] == [201, 201]
    assert sorted(answer.headers["etag"] for answer in both) == [
        f'"{version + 2}"',
        f'"{version + 3}"',
    ]
    stream_id = amendment_stream(DEMO_TRIAL, "A-1")
    head = await services.store.head_position()
    assert await services.states.load(AMENDMENT, stream_id) == await services.states.load_at(
        AMENDMENT, stream_id, head
    )
