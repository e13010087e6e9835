"""Aggregate states saved beside the log: a restarted process starts a stream's fold
from its newest saved state and folds only the events after it; a saved state that does
not check out is ignored and the stream folded from its first event."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.actor import Actor
from domain.codec import decode, encode
from domain.frozen import with_entry
from domain.protocol import ReviseSection
from domain.protocol_state import ProtocolState
from domain.streams import parse_stream, protocol_stream
from events.snapshots import ProjectionSnapshots, projection_snapshots
from server.bootstrap import open_services
from server.commands.aggregates import KINDS, PROTOCOL
from server.commands.errors import StateWarmingUp
from server.commands.state_cache import StateCache
from server.commands.state_snapshots import SavedState, StateSnapshots, snapshot_name
from server.commands.targets import protocol_target
from server.database import create_engine_for
from server.demo import DEMO_TRIAL, DRAFT_TRIAL, DemoPerson, load_draft_trial
from server.services import Services, Settings
from tests.integration.server.conftest import client_of

STREAM = protocol_stream(DRAFT_TRIAL)


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(url)
    yield engine
    await engine.dispose()


async def test_every_state_of_the_demo_is_saved_and_read_back_as_it_was(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    streams = {event.stream_id async for page in services.store.pages() for event in page}
    kinds = set()
    for stream_id in sorted(streams):
        stream = parse_stream(stream_id)
        if stream is None:
            continue
        kind = KINDS[stream.kind]
        state = (await services.states.load(kind, stream_id)).state
        assert decode(type(kind.new), encode(state)) == state, stream_id  # type: ignore[arg-type]
        kinds.add(kind.name)
    assert {"workspace", "protocol", "amendment", "motion", "dispute", "comments"} <= kinds


async def _revise(services: Services, person: DemoPerson, times: int) -> None:
    for n in range(times):
        state = await services.states.load(PROTOCOL, STREAM)
        head = state.state.sections["5.2"].head.revision
        await services.commands.execute(
            protocol_target(DRAFT_TRIAL),
            person.user_id,
            _revision(head, f"Age {n} to 80"),
        )


def _revision(head: int, text: str) -> Callable[[Actor], ReviseSection]:
    return lambda actor: ReviseSection(
        actor=actor, number="5.2", base_revision=head, text=text, reason="r"
    )


async def test_a_restarted_cache_starts_from_the_saved_state_and_folds_what_came_after(
    services: Services, engine: AsyncEngine, demo: dict[str, DemoPerson]
) -> None:
    await load_draft_trial(services, list(demo.values()))
    saved_states = StateSnapshots(ProjectionSnapshots(engine), save_after=3)
    first = StateCache(services.store, snapshots=saved_states)
    await first.load(PROTOCOL, STREAM)
    await _revise(services, demo["ivy"], 4)
    await first.load(PROTOCOL, STREAM)  # 4 events past its start: saves the state
    await saved_states.close()
    saved = await saved_states.newest(STREAM, ProtocolState)
    assert saved is not None
    assert saved.state.sections["5.2"].head.text == "Age 3 to 80"

    # What a restart starts from is the saved state: one saved with other words shows.
    altered = SavedState(_with_text(saved.state, "Only in the snapshot"), saved.version, 0)
    await _overwrite(engine, saved_states, altered, saved.position)
    await _revise(services, demo["ivy"], 1)  # and the event after it is folded on top
    restarted = StateCache(services.store, snapshots=saved_states)
    loaded = await restarted.load(PROTOCOL, STREAM)
    assert loaded.version == saved.version + 1
    revisions = loaded.state.sections["5.2"].revisions
    assert [r.text for r in revisions[-2:]] == ["Only in the snapshot", "Age 0 to 80"]


async def test_a_saved_state_that_does_not_check_out_is_ignored_and_the_log_folded(
    services: Services,
    engine: AsyncEngine,
    demo: dict[str, DemoPerson],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await load_draft_trial(services, list(demo.values()))
    saved_states = StateSnapshots(ProjectionSnapshots(engine), save_after=1)
    cache = StateCache(services.store, snapshots=saved_states)
    await cache.load(PROTOCOL, STREAM)
    await _revise(services, demo["ivy"], 2)
    await cache.load(PROTOCOL, STREAM)
    await saved_states.close()
    from_log = (await StateCache(services.store).load(PROTOCOL, STREAM)).state

    async with engine.begin() as conn:  # damage the bytes: the digest no longer matches
        await conn.execute(
            update(projection_snapshots)
            .where(projection_snapshots.c.name == snapshot_name(STREAM))
            .values(data=b'{"version": 1, "state": {}}')
        )
    assert await saved_states.newest(STREAM, ProtocolState) is None
    assert "digest does not match" in caplog.text
    loaded = await StateCache(services.store, snapshots=saved_states).load(PROTOCOL, STREAM)
    assert loaded.state == from_log
    await saved_states.close()  # the fold from the log is saved again
    resaved = await saved_states.newest(STREAM, ProtocolState)
    assert resaved is not None
    assert resaved.state == from_log


def _with_text(state: ProtocolState, text: str) -> ProtocolState:
    section = state.sections["5.2"]
    head = replace(section.head, text=text)
    changed = replace(section, revisions=(*section.revisions[:-1], head))
    return replace(state, sections=with_entry(state.sections, "5.2", changed))


async def _overwrite(
    engine: AsyncEngine, saved_states: StateSnapshots, altered: SavedState[ProtocolState], at: int
) -> None:
    """Replace the saved state at position ``at`` by ``altered`` (a well-formed snapshot:
    its digest matches)."""
    async with engine.begin() as conn:
        await conn.execute(
            projection_snapshots.delete().where(
                projection_snapshots.c.name == snapshot_name(STREAM)
            )
        )
    saved_states.save_later(STREAM, SavedState(altered.state, altered.version, at))
    await saved_states.close()


async def test_a_load_that_cannot_wait_for_a_first_fold_is_told_to_ask_again(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    await load_draft_trial(services, list(demo.values()))
    impatient = StateCache(services.store, patience=0.0)
    with pytest.raises(StateWarmingUp, match=f"{STREAM} is being read from the log"):
        await impatient.load(PROTOCOL, STREAM)
    await impatient.settled()  # the fold went on without the caller who gave up
    loaded = await impatient.load(PROTOCOL, STREAM)
    assert loaded == await StateCache(services.store).load(PROTOCOL, STREAM)


async def test_a_restarted_server_answers_503_with_retry_after_while_it_reads_a_stream(
    services: Services, demo: dict[str, DemoPerson], url: str, settings: Settings
) -> None:
    issued = await services.tokens.issue(demo["ivy"].user_id, "tests")
    headers = {"Authorization": f"Bearer {issued.token}"}
    path = f"/api/trials/{DEMO_TRIAL}/protocol"
    impatient = replace(settings, warm_up_wait=0.0)
    async with open_services(url, settings=impatient) as restarted, client_of(restarted) as client:
        busy = await client.get(path, headers=headers)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "5"
        assert busy.headers["Content-Type"] == "application/problem+json"
        assert busy.json()["type"].endswith("/state-warming-up")
        await restarted.states.settled()
        answered = await client.get(path, headers=headers)
        assert answered.status_code == 200
        assert answered.json()["trial_id"] == DEMO_TRIAL
