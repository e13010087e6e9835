"""A listener sees every event of its trial once, in log order, across reconnects."""

from __future__ import annotations

import itertools

import httpx

from events import EventStore
from server.services import Services
from tests.integration.server.conftest import Api
from tests.integration.server.live.conftest import Served, listening

_comment_ids = itertools.count(1)


async def comment(client: httpx.AsyncClient, trial: str, text: str = "Noted") -> int:
    """Post a comment on section 5.2; the position of the event it appended."""
    response = await client.post(
        f"{trial}/comments/section/5.2",
        json={"comment_id": f"live-{next(_comment_ids)}", "text": text},
    )
    assert response.status_code == 201, response.text
    position: int = response.json()["position"]
    return position


async def trial_positions(store: EventStore, trial_id: str, after: int) -> list[int]:
    events = await store.read_all(after=after, limit=10_000)
    return [
        e.position
        for e in events
        if e.stream_id == f"trial/{trial_id}" or e.stream_id.startswith(f"trial/{trial_id}/")
    ]


async def test_a_listener_resumes_where_it_left_off_with_no_gap_and_no_repeat(
    served: Served, services: Services, as_user: Api, trial: str
) -> None:
    headers = await as_user("ivy")
    start = await services.store.head_position()
    async with served.client(await as_user("omar")) as omar:
        query = f"trial=asthma-301&after={start}"
        async with listening(served, query=query, headers=headers) as ivy:
            first = await comment(omar, trial)
            await ivy.until_position(first)
            seen = list(ivy.positions)
        meanwhile = [await comment(omar, trial) for _ in range(3)]
        resume = f"trial=asthma-301&after={seen[-1]}"
        async with listening(served, query=resume, headers=headers) as again:
            assert again.positions == meanwhile, "the backlog comes first, before 'ready'"
            live = await comment(omar, trial, "Written while listening again")
            await again.until_position(live)
            seen += again.positions
    assert seen == await trial_positions(services.store, "asthma-301", start)
    assert again.events[-1]["data"]["text"] == "Written while listening again"
    assert again.events[-1]["type"] == "CommentPosted"


async def test_a_listener_from_position_zero_gets_the_whole_history_of_its_trial(
    served: Served, services: Services, as_user: Api
) -> None:
    auditor = await as_user("aud")
    async with listening(served, query="trial=asthma-301&after=0", headers=auditor) as aud:
        pass
    assert aud.positions == await trial_positions(services.store, "asthma-301", 0)
    assert aud.events[0]["type"] == "TrialCreated"
    assert len(aud.frames[0]["events"]) > 1, "the backlog travels in batches"


async def test_without_after_a_listener_hears_only_what_happens_next(
    served: Served, as_user: Api, trial: str
) -> None:
    async with (
        served.client(await as_user("omar")) as omar,
        listening(served, query="trial=asthma-301", headers=await as_user("ivy")) as ivy,
    ):
        position = await comment(omar, trial)
        await ivy.until_position(position)
    assert ivy.positions == [position]
