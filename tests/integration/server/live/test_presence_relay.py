"""Presence across processes on PostgreSQL (server/live/presence_relay.py): two relays on
one database stand for two server processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.database import create_engine_for
from server.live import presence_relay
from server.live.presence_relay import PostgresPresenceRelay, Roster

pytestmark = pytest.mark.postgres

TRIAL = "asthma-301"
WAIT = 10.0


def entry(name: str, section: str | None = "5.2") -> dict[str, Any]:
    return {"user_id": f"u-{name}", "name": name, "section": section, "activity": "viewing"}


class Process:
    """A relay with what its process would hold: its own rosters, and a record of the
    trials whose other-process rosters changed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.relay = PostgresPresenceRelay(engine)
        self.ours: dict[str, Roster] = {}
        self._changed = asyncio.Condition()
        self.changes = 0

    def start(self) -> None:
        self.relay.start(self._on_change, lambda: dict(self.ours))

    def be_present(self, trial: str, roster: Roster) -> None:
        self.ours[trial] = roster
        self.relay.publish(trial, roster)

    def _on_change(self, _trial: str) -> None:
        async def note() -> None:
            async with self._changed:
                self.changes += 1
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(note())

    async def until(self, seen: Callable[[Roster], bool], trial: str = TRIAL) -> Roster:
        """Wait (on change notices, not on time) until the others' roster satisfies ``seen``."""
        async with asyncio.timeout(WAIT):
            async with self._changed:
                await self._changed.wait_for(lambda: seen(self.relay.theirs(trial)))
        return self.relay.theirs(trial)


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(postgres_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def processes(engine: AsyncEngine) -> AsyncIterator[Callable[[], Process]]:
    made: list[Process] = []

    def make() -> Process:
        process = Process(engine)
        made.append(process)
        return process

    yield make
    for process in made:
        await process.relay.close(process.ours)


async def test_a_roster_reaches_the_other_process_and_so_does_its_goodbye(
    processes: Callable[[], Process],
) -> None:
    first, second = processes(), processes()
    first.start()
    second.start()
    first.be_present(TRIAL, [entry("Ivy")])
    assert await second.until(lambda roster: bool(roster)) == [entry("Ivy")]
    assert first.relay.theirs(TRIAL) == [], "a process does not count itself twice"
    await first.relay.close(first.ours)
    assert await second.until(lambda roster: not roster) == []


async def test_a_process_that_starts_later_hears_who_is_already_there(
    processes: Callable[[], Process], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(presence_relay, "REFRESH_SECONDS", 3600.0)  # no refresh helps it
    first = processes()
    first.start()
    first.be_present(TRIAL, [entry("Omar", "3.1")])
    late = processes()
    late.start()
    assert await late.until(lambda roster: bool(roster)) == [entry("Omar", "3.1")]


async def test_a_process_that_vanished_without_goodbye_is_forgotten(
    processes: Callable[[], Process], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(presence_relay, "REFRESH_SECONDS", 0.2)
    monkeypatch.setattr(presence_relay, "FORGET_AFTER_SECONDS", 1.0)
    vanishing, staying = processes(), processes()
    vanishing.start()
    staying.start()
    vanishing.be_present(TRIAL, [entry("Pat")])
    assert await staying.until(lambda roster: bool(roster)) == [entry("Pat")]
    for task in vanishing.relay._tasks:  # killed: no goodbye, no refresh
        task.cancel()
    assert await staying.until(lambda roster: not roster) == []


async def test_a_roster_too_large_for_one_notification_arrives_cut_to_what_fits(
    processes: Callable[[], Process],
) -> None:
    crowded, other = processes(), processes()
    crowded.start()
    other.start()
    everyone = [entry(f"Participant {n:03}", f"{n}.1") for n in range(200)]
    crowded.be_present(TRIAL, everyone)
    received = await other.until(lambda roster: bool(roster))
    assert 0 < len(received) < len(everyone)
    assert received == everyone[: len(received)]
