"""Audit checkpoints saved beside the log: a restarted server replays a trial from them
exactly as a fold from the first event would, keeps only a budget of states decoded, and
ignores (then rebuilds from the log) a row that does not check out."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.streams import StreamKind, protocol_stream, trial_stream
from server.audit.checkpoint_store import (
    MARKER,
    SCHEMA_VERSION,
    MemoryCheckpoints,
    Row,
    StoredCheckpoints,
    audit_checkpoints,
    digest,
)
from server.audit.history import Streams, TrialHistory
from server.audit.replay_view import replay_json, replay_streams, replay_view
from server.audit.resident_states import ResidentStates
from server.database import create_engine_for
from server.demo import DEMO_TRIAL, DemoPerson
from server.personal_data import drop_snapshots_with_personal_data
from server.services import Services
from tests.integration.server.conftest import Cli

EVERY = 4


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(url)
    yield engine
    await engine.dispose()


async def _every_position(history: TrialHistory, services: Services) -> None:
    """``history`` answers every position as a fold from the first event does."""
    head = await services.store.head_position()
    scratch = TrialHistory(services.store, snapshot_every=head + 1)
    for position in range(0, head + 1, 3):
        assert await history.at(DEMO_TRIAL, position) == await scratch.at(DEMO_TRIAL, position)


async def _rows(engine: AsyncEngine, *where: object) -> int:
    query = select(func.count()).select_from(audit_checkpoints).where(*where)  # type: ignore[arg-type]
    async with engine.connect() as conn:
        return int(await conn.scalar(query) or 0)


async def test_a_restarted_history_replays_from_the_saved_checkpoints(
    services: Services, demo: dict[str, DemoPerson], engine: AsyncEngine
) -> None:
    head = await services.store.head_position()
    first = TrialHistory(
        services.store, checkpoints=StoredCheckpoints(engine), snapshot_every=EVERY
    )
    await first.at(DEMO_TRIAL, head)
    markers = await _rows(engine, audit_checkpoints.c.stream_id == MARKER)
    trial_events = len(await first.positions(DEMO_TRIAL))
    assert markers == trial_events // EVERY
    resident = ResidentStates()
    restarted = TrialHistory(
        services.store,
        checkpoints=StoredCheckpoints(engine),
        resident=resident,
        snapshot_every=EVERY,
    )
    await restarted.at(DEMO_TRIAL, head)
    assert len(resident) > 0  # read back from the rows, not folded from the log
    await _every_position(restarted, services)
    assert await _rows(engine, audit_checkpoints.c.stream_id == MARKER) == markers  # none again


async def test_a_budget_of_a_few_bytes_still_answers_every_position(
    services: Services, demo: dict[str, DemoPerson], engine: AsyncEngine
) -> None:
    resident = ResidentStates(budget=2_000)
    history = TrialHistory(
        services.store,
        checkpoints=StoredCheckpoints(engine),
        resident=resident,
        snapshot_every=EVERY,
    )
    await _every_position(history, services)
    assert resident.cost <= 2_000


async def test_a_replay_of_some_streams_holds_those_alone(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    head = await services.store.head_position()
    history = TrialHistory(services.store, snapshot_every=EVERY)
    everything = await history.at(DEMO_TRIAL, head)
    protocol = protocol_stream(DEMO_TRIAL)
    some = await history.at(
        DEMO_TRIAL, head, streams=Streams(frozenset({StreamKind.WORKSPACE}), frozenset({protocol}))
    )
    assert set(some.states) == {trial_stream(DEMO_TRIAL), protocol}
    assert some.states[protocol] == everything.states[protocol]
    assert any("comments" in stream for stream in everything.states)


async def test_a_replay_lists_the_saved_lines_as_its_states_would(
    services: Services,
    demo: dict[str, DemoPerson],
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    head = await services.store.head_position()
    stored = StoredCheckpoints(engine)
    await TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY).at(
        DEMO_TRIAL, head
    )
    table = audit_checkpoints
    motion = table.c.stream_id.like(f"trial/{DEMO_TRIAL}/motion/%")
    assert await _rows(engine, motion, table.c.line.is_not(None)) >= 1
    async with engine.begin() as conn:  # a line forged, its digest left as it was
        await conn.execute(update(table).where(motion).values(line=b'{"motion_id":"forged"}'))
    restarted = TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY)
    scratch = TrialHistory(services.store, snapshot_every=head + 1)
    with caplog.at_level(logging.WARNING, logger="server.audit.checkpoint_store"):
        for position in range(0, head + 1, 3):
            replayed = await restarted.at(DEMO_TRIAL, position, streams=replay_streams())
            assert set(replayed.states) <= {trial_stream(DEMO_TRIAL), protocol_stream(DEMO_TRIAL)}
            whole = await scratch.at(DEMO_TRIAL, position)
            assert replay_view(replayed) == replay_view(whole)
            assert json.loads(replay_json(replayed)) == replay_view(whole)
    assert "its line's digest does not match its line" in caplog.text
    assert replay_view(replayed)["motions"]  # the demo's motion, at the head


@pytest.mark.parametrize(
    "damage",
    [
        {"data": b"not a state"},
        {"digest": "0" * 64},
        {"log_hash": "0" * 64},
        {"schema_version": SCHEMA_VERSION + 1},
        {"position": 10**9},
    ],
    ids=["bytes", "digest", "log-hash", "schema", "position"],
)
async def test_a_damaged_state_is_ignored_and_rebuilt_from_the_log(
    services: Services,
    demo: dict[str, DemoPerson],
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
    damage: dict[str, object],
) -> None:
    head = await services.store.head_position()
    stored = StoredCheckpoints(engine)
    await TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY).at(
        DEMO_TRIAL, head
    )
    table = audit_checkpoints
    workspace = table.c.stream_id == trial_stream(DEMO_TRIAL)
    assert await _rows(engine, workspace) >= 2  # rebuilt from the version before
    async with engine.begin() as conn:
        count = await conn.scalar(select(func.max(table.c.count)).where(workspace))
        one = (workspace, table.c.count == count)
        if "data" in damage:
            damage = {**damage, "digest": digest(b"not a state")}  # damaged, yet consistent
        await conn.execute(update(table).where(*one).values(**damage))
    restarted = TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY)
    with caplog.at_level(logging.WARNING, logger="server.audit.checkpoint_store"):
        await _every_position(restarted, services)
    assert "ignoring the audit checkpoint" in caplog.text
    async with engine.connect() as conn:
        mended = (await conn.execute(select(table).where(*one))).one()
    assert (mended.schema_version, mended.position <= head) == (SCHEMA_VERSION, True)
    assert mended.digest == digest(bytes(mended.data)) != digest(b"not a state")
    caplog.clear()
    again = TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY)
    with caplog.at_level(logging.WARNING, logger="server.audit.checkpoint_store"):
        await _every_position(again, services)
    assert "ignoring" not in caplog.text  # mended


async def test_a_damaged_markers_positions_are_read_from_the_log_and_saved_again(
    services: Services,
    demo: dict[str, DemoPerson],
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    head = await services.store.head_position()
    stored = StoredCheckpoints(engine)
    await TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY).at(
        DEMO_TRIAL, head
    )
    table = audit_checkpoints
    marker = (table.c.stream_id == MARKER, table.c.count == 2 * EVERY)
    async with engine.begin() as conn:
        await conn.execute(update(table).where(*marker).values(digest="0" * 64))
    restarted = TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY)
    with caplog.at_level(logging.WARNING, logger="server.audit.checkpoint_store"):
        await _every_position(restarted, services)
    assert f"at {2 * EVERY} events (marker): its digest does not match" in caplog.text
    async with engine.connect() as conn:
        row = (await conn.execute(select(table).where(*marker))).one()
    assert row.digest == digest(bytes(row.data))  # saved again as the log was read


async def test_a_marker_counting_otherwise_than_the_log_ends_the_index_before_it(
    services: Services,
    demo: dict[str, DemoPerson],
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    head = await services.store.head_position()
    stored = StoredCheckpoints(engine)
    await TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY).at(
        DEMO_TRIAL, head
    )
    table = audit_checkpoints
    marker = (table.c.stream_id == MARKER, table.c.count == 2 * EVERY)
    async with engine.begin() as conn:  # its bytes and hash check out: its count does not
        await conn.execute(update(table).where(*marker).values(count=2 * EVERY - 1))
    restarted = TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY)
    with caplog.at_level(logging.WARNING):
        await _every_position(restarted, services)
    assert f"trial {DEMO_TRIAL} past {EVERY} events are wrong" in caplog.text
    await restarted.settled()
    assert (await stored.index(DEMO_TRIAL)).checkpoints[:3] == [0, EVERY, 2 * EVERY]


async def test_an_erasure_deletes_the_audit_checkpoints(
    services: Services, demo: dict[str, DemoPerson], engine: AsyncEngine
) -> None:
    head = await services.store.head_position()
    stored = StoredCheckpoints(engine)
    await TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY).at(
        DEMO_TRIAL, head
    )
    saved = await _rows(engine)
    assert saved > 0
    middle = head // 2
    earlier = await _rows(engine, audit_checkpoints.c.position <= middle)
    assert await drop_snapshots_with_personal_data(engine, up_to=middle) >= earlier
    assert await _rows(engine) == saved - earlier
    await drop_snapshots_with_personal_data(engine)
    assert await _rows(engine) == 0
    await _every_position(
        TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY), services
    )


class FullDisk(MemoryCheckpoints):
    """Checkpoints that cannot be saved."""

    async def save(self, trial_id: str, rows: Sequence[Row]) -> None:
        raise OSError("no space left on device")


async def test_checkpoints_that_cannot_be_saved_are_logged_and_rebuilt_when_needed(
    services: Services, demo: dict[str, DemoPerson], caplog: pytest.LogCaptureFixture
) -> None:
    history = TrialHistory(
        services.store, checkpoints=FullDisk(), resident=ResidentStates(0), snapshot_every=EVERY
    )
    with caplog.at_level(logging.INFO):
        await _every_position(history, services)
    assert "could not save the audit checkpoints of trial" in caplog.text
    assert "from the log" in caplog.text  # each state rebuilt when it was needed


async def test_a_history_forgotten_while_it_builds_saves_nothing_more(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    head = await services.store.head_position()
    kept = MemoryCheckpoints()
    history = TrialHistory(services.store, checkpoints=kept, snapshot_every=1)
    started = asyncio.Event()
    build = asyncio.create_task(
        history.at(DEMO_TRIAL, head, progress=lambda read, _: started.set(), within=60)
    )
    await started.wait()
    history.forget_all()
    await build  # answered for the request that waited for it
    await history.settled()
    assert (await kept.index(DEMO_TRIAL)).checkpoints == [0]  # nothing saved, nothing kept
    await history.close()


async def test_rows_of_no_stream_of_a_trial_are_passed_over(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    head = await services.store.head_position()
    kept = MemoryCheckpoints()
    await TrialHistory(services.store, checkpoints=kept, snapshot_every=EVERY).at(DEMO_TRIAL, head)
    position = (await kept.index(DEMO_TRIAL)).ends[1]
    await kept.save(DEMO_TRIAL, [Row("not/a/stream", EVERY, position, 1, b"")])
    await _every_position(
        TrialHistory(services.store, checkpoints=kept, snapshot_every=EVERY), services
    )


async def test_rows_past_the_last_good_marker_are_pruned_and_the_table_stays_one_builds_size(
    services: Services,
    demo: dict[str, DemoPerson],
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    head = await services.store.head_position()
    stored = StoredCheckpoints(engine)
    await TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY).at(
        DEMO_TRIAL, head
    )
    one_build = await _rows(engine)
    table = audit_checkpoints
    async with engine.begin() as conn:
        await conn.execute(
            update(table)
            .where(table.c.stream_id == MARKER, table.c.count == 2 * EVERY)
            .values(schema_version=SCHEMA_VERSION - 1)
        )
        first = (
            await conn.execute(
                select(table).where(table.c.stream_id != MARKER, table.c.count == EVERY).limit(1)
            )
        ).one()
        await conn.execute(
            update(table)
            .where(table.c.stream_id == first.stream_id, table.c.count == EVERY)
            .values(schema_version=SCHEMA_VERSION - 1)
        )
        # what a build with another spacing left behind, past every marker
        await conn.execute(table.insert().values({**first._asdict(), "count": 10_000}))
    with caplog.at_level(logging.INFO, logger="server.audit.checkpoint_store"):
        index = await stored.index(DEMO_TRIAL)
    assert index.checkpoints == [0, EVERY]  # the damaged marker ends it
    assert f"out ({EVERY} events): its next build saves them again" in caplog.text
    assert await _rows(engine, table.c.count > EVERY) == 0
    # a row the index vouches for stays, read or not: its stream changed there
    assert await _rows(engine, table.c.schema_version < SCHEMA_VERSION) == 1  # the marker's gone
    restarted = TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY)
    await _every_position(restarted, services)  # rebuilt from the log past EVERY, and saved
    await restarted.settled()
    assert await _rows(engine, table.c.schema_version < SCHEMA_VERSION) == 0  # replaced
    assert await _rows(engine) == one_build


async def test_the_cli_replays_from_the_saved_checkpoints(
    services: Services,
    demo: dict[str, DemoPerson],
    engine: AsyncEngine,
    url: str,
    concord: Cli,
    caplog: pytest.LogCaptureFixture,
) -> None:
    head = await services.store.head_position()
    stored = StoredCheckpoints(engine)
    await TrialHistory(services.store, checkpoints=stored, snapshot_every=EVERY).at(
        DEMO_TRIAL, head
    )
    table = audit_checkpoints
    of_protocol = table.c.stream_id == protocol_stream(DEMO_TRIAL)
    async with engine.begin() as conn:  # the protocol's latest state saved: the head reads it
        last = await conn.scalar(select(func.max(table.c.count)).where(of_protocol))
        damaged = await conn.execute(
            update(table).where(of_protocol, table.c.count == last).values(digest="0" * 64)
        )
    assert damaged.rowcount == 1
    with caplog.at_level(logging.WARNING, logger="server.audit.checkpoint_store"):
        code, out = await concord("--db", url, "replay", "--trial", DEMO_TRIAL, "--at", str(head))
    assert code == 0
    # it read the rows saved (the damaged one too: ignored, and rebuilt from the log) ...
    assert f"at {last} events (state of {protocol_stream(DEMO_TRIAL)})" in caplog.text
    # ... and answers as a fold from the first event does
    scratch = await TrialHistory(services.store, snapshot_every=head + 1).at(DEMO_TRIAL, head)
    assert json.loads(out) == json.loads(json.dumps(replay_view(scratch), ensure_ascii=False))
