"""Replaying from snapshots gives exactly the fold from the first event, at every position."""

from __future__ import annotations

from dataclasses import replace

import httpx

from domain.engagement import CommentSubjectKind
from domain.streams import comments_stream
from server.audit.history import TrialHistory
from server.demo import DEMO_TRIAL
from server.services import Services
from tests.integration.server.conftest import Api


async def test_snapshots_replay_every_position_as_a_fold_from_the_start(
    services: Services, demo: object
) -> None:
    head = await services.store.head_position()
    snapshotted = TrialHistory(services.store, snapshot_every=3)
    for position in range(head + 1):
        from_scratch = await TrialHistory(services.store, snapshot_every=head + 1).at(
            DEMO_TRIAL, position
        )
        replayed = await snapshotted.at(DEMO_TRIAL, position)
        assert replayed == from_scratch, position


async def test_a_projection_follows_the_log_as_it_grows(
    services: Services, app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    history = TrialHistory(services.store, snapshot_every=4)
    before = await history.at(DEMO_TRIAL, await services.store.head_position())
    posted = await app_client.post(
        f"{trial}/comments/section/5.2",
        json={"text": "Is 75 the right upper limit?"},
        headers=await as_user("pat"),
    )
    assert posted.status_code == 201, posted.text
    after = await history.at(DEMO_TRIAL, 10**9)
    assert (after.position, after.previous) == (posted.json()["position"], before.position)
    thread = after.states[comments_stream(DEMO_TRIAL, CommentSubjectKind.SECTION, "5.2")]
    assert [c.text for c in thread.comments.values()] == ["Is 75 the right upper limit?"]
    assert await history.at(DEMO_TRIAL, before.position) == replace(before, next=after.position)
