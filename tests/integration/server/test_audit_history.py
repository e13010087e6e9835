"""Replaying from checkpoints gives exactly the fold from the first event, at every
position, however few checkpoints and trials are kept; building a long history does not
hold up other requests."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest

from domain.charter import DEFAULT_CHARTER
from domain.engagement import CommentSubjectKind
from domain.streams import comments_stream, trial_stream
from domain.workspace_events import TrialCreated
from events import StreamAppend
from server.audit.history import TrialHistory
from server.demo import DEMO_TRIAL
from server.services import Services
from tests.integration.server.conftest import OTHER_TRIAL, Api
from tests.integration.server.long_threads import logged, post_comments


@pytest.mark.parametrize("every", [3, 1, 2])
async def test_checkpoints_replay_every_position_as_a_fold_from_the_start(
    services: Services, demo: object, every: int
) -> None:
    head = await services.store.head_position()
    snapshotted = TrialHistory(services.store, snapshot_every=every)
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
    assert await history.at(DEMO_TRIAL, before.at) == replace(before, next=after.position)


async def test_a_trial_dropped_from_memory_replays_as_before(
    services: Services, demo: object, other_trial: None
) -> None:
    head = await services.store.head_position()
    one_trial = TrialHistory(services.store, snapshot_every=2, max_trials=1)
    middle = await one_trial.at(DEMO_TRIAL, head // 2)
    other = await one_trial.at(OTHER_TRIAL, head)
    assert one_trial.checkpoint_spacing(DEMO_TRIAL) is None  # the demo trial was dropped
    assert await one_trial.at(DEMO_TRIAL, head // 2) == middle
    from_scratch = TrialHistory(services.store, snapshot_every=head + 1)
    assert middle == await from_scratch.at(DEMO_TRIAL, head // 2)
    assert other == await from_scratch.at(OTHER_TRIAL, head)
    three_trials = TrialHistory(services.store, max_trials=4)
    for trial_id in (DEMO_TRIAL, OTHER_TRIAL, "no-such-trial"):
        await three_trials.at(trial_id, head)
    assert three_trials.checkpoint_spacing(DEMO_TRIAL) is not None  # all three are kept


LONG_TRIAL = "long-trial"


async def write_long_trial(services: Services, comments: int) -> None:
    """A trial of one thread of ``comments`` comments, written straight to the log."""
    created = TrialCreated(
        trial_id=LONG_TRIAL, title="Long", charter=DEFAULT_CHARTER, created_by="u-1"
    )
    await services.store.append(StreamAppend(trial_stream(LONG_TRIAL), [logged(created, "u-1")]))
    await post_comments(services.store, LONG_TRIAL, "5.2", comments, "u-1")


async def test_another_trial_is_answered_while_a_long_history_is_built(
    services: Services, app_client: httpx.AsyncClient, as_user: Api, trial: str
) -> None:
    await write_long_trial(services, 20_000)
    head = await services.store.head_position()
    started = asyncio.Event()
    build = asyncio.create_task(
        services.history.at(LONG_TRIAL, head, progress=lambda read, _: started.set())
    )
    await started.wait()
    answered = await app_client.get(f"{trial}/protocol", headers=await as_user("ivy"))
    assert answered.status_code == 200, answered.text
    replay = await app_client.get(f"{trial}/audit/replay", headers=await as_user("aud"))
    assert replay.status_code == 200, replay.text
    assert not build.done()  # both were answered while the long trial was still being read
    replayed = await build
    thread = replayed.states[comments_stream(LONG_TRIAL, CommentSubjectKind.SECTION, "5.2")]
    assert len(thread.comments) == 20_000
