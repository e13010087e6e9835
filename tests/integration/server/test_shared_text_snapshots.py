"""Shared-text snapshots: a document opens from its newest snapshot plus the updates
after it, and a snapshot that does not check out is ignored (the log is folded instead)."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.actor import Actor
from domain.shared_text import EditSharedText, StartSharedText
from domain.streams import shared_text_stream
from server.coediting.documents import SharedDocuments
from server.coediting.rich_text import first_state
from server.coediting.snapshots import Snapshot, TextSnapshots, shared_text_snapshots
from server.commands.targets import shared_text_target
from server.database import create_engine_for
from server.demo import DRAFT_TRIAL, DemoPerson, load_draft_trial
from server.services import Services

STREAM = shared_text_stream(DRAFT_TRIAL, "5.2")
LINES = [f"Line {n}" for n in range(12)]


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def typed(services: Services, demo: dict[str, DemoPerson]) -> str:
    """Section 5.2's shared text, started by Ivy, with one paragraph added per line of
    LINES (13 events); its markup."""
    await load_draft_trial(services, list(demo.values()))
    ivy = demo["ivy"].user_id
    target = shared_text_target(DRAFT_TRIAL, "5.2")
    start = base64.b64encode(first_state("Age 40 to 80 years")).decode()
    await services.commands.execute(
        target,
        ivy,
        lambda actor: StartSharedText(actor=actor, number="5.2", from_revision=1, update=start),
    )
    doc: Doc[Any] = Doc()
    doc.apply_update(base64.b64decode(start))
    for line in LINES:
        before = doc.get_state()
        paragraph = doc.get("default", type=XmlFragment).children.append(XmlElement("paragraph"))
        paragraph.children.append(XmlText(line))
        await services.commands.execute(target, ivy, _edit(doc.get_update(before)))
    return "\n\n".join(["Age 40 to 80 years", *LINES])


def _edit(update: bytes) -> Callable[[Actor], EditSharedText]:
    sent = base64.b64encode(update).decode()
    return lambda actor: EditSharedText(actor=actor, number="5.2", update=sent)


async def test_a_document_saves_a_snapshot_and_the_next_process_opens_from_it(
    services: Services, engine: AsyncEngine, typed: str, demo: dict[str, DemoPerson]
) -> None:
    snapshots = TextSnapshots(engine)
    first = SharedDocuments(services.store, snapshots, snapshot_every=5)
    document = await first.open(STREAM)
    assert document.markup() == typed
    await first.close()  # the snapshot is saved in the background
    saved = await snapshots.newest(STREAM, stream_version=13)
    assert saved is not None
    assert saved.version == 13
    assert saved.fold.writers == (demo["ivy"].user_id,)
    assert saved.fold.edits == 12

    # A snapshot is where a document starts: one saved with other words is what opens.
    forged: Doc[Any] = Doc()
    forged.get("default", type=XmlFragment).children.append(
        XmlElement("paragraph")
    ).children.append(XmlText("From the snapshot"))
    await snapshots.save(STREAM, Snapshot(14, forged.get_update(), saved.fold))
    assert await snapshots.newest(STREAM, stream_version=13) is None  # beyond the stream
    async with engine.begin() as conn:
        await conn.execute(update(shared_text_snapshots).values(stream_version=13))
    # (its digest still matches: the version is not part of it)
    reopened = await SharedDocuments(services.store, snapshots).open(STREAM)
    assert reopened.markup() == "From the snapshot"
    assert reopened.version == 13


async def test_a_damaged_snapshot_is_ignored_and_the_log_is_folded_instead(
    services: Services,
    engine: AsyncEngine,
    typed: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    snapshots = TextSnapshots(engine)
    first = SharedDocuments(services.store, snapshots, snapshot_every=5)
    await first.open(STREAM)
    await first.close()
    async with engine.begin() as conn:
        await conn.execute(update(shared_text_snapshots).values(state=b"\x00damaged"))
    with caplog.at_level(logging.WARNING, logger="server.coediting.snapshots"):
        document = await SharedDocuments(services.store, snapshots).open(STREAM)
    assert document.markup() == typed
    assert document.version == 13
    assert "its digest does not match its bytes" in caplog.text
    async with engine.begin() as conn:
        await conn.execute(update(shared_text_snapshots).values(format=99))
    assert await snapshots.newest(STREAM, stream_version=13) is None


async def test_the_command_service_starts_a_long_text_s_fold_from_its_document(
    services: Services, typed: str, demo: dict[str, DemoPerson]
) -> None:
    target = shared_text_target(DRAFT_TRIAL, "5.2")
    loaded = await services.states.load(target.kind, target.stream_id)
    document = await services.texts.open(STREAM)
    assert (loaded.version, loaded.state) == (document.version, document.fold)
    assert loaded.state.writers == (demo["ivy"].user_id,)
