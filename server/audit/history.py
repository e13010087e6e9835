"""The state of a trial at any position, fast, in bounded memory: checkpoints kept as
per-stream version lists.

For each trial an auditor asks about, :class:`TrialHistory` keeps the positions of the
trial's events and **checkpoints**: every ``snapshot_every`` events of the trial, the state
of each stream that changed since the previous checkpoint (never a copy of every stream:
a stream's state at checkpoint ``c`` is its last version at or before ``c``, found by
bisection). The state at position ``p`` is the nearest checkpoint at or before ``p`` plus
the trial's events after it, read from the log and folded.

Memory has a ceiling that does not grow with the log: a trial keeps at most
``max_checkpoints`` checkpoints (past that, every other one is dropped and the spacing
doubles, so the events folded per answer grow instead), and at most ``max_trials`` trials
are kept, the least recently asked about dropped first. The projection is built on first
use and brought up to the log's head on every later call, so it is never behind the log;
building and folding give the event loop a turn every few milliseconds
(:class:`server.audit.loop_share.LoopShare`), so other requests are served meanwhile.

A stream's versions are ``(count, state)`` pairs (the state after the trial's first
``count`` events), so they can be seeded from persisted snapshots of single streams.
"""

from __future__ import annotations

import asyncio
from array import array
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.streams import trial_stream
from events import EventStore
from server.audit.loop_share import LoopShare
from server.audit.progress import Progress
from server.audit.trial_fold import TrialFold, TrialStates
from server.collector import freeze_long_lived

SNAPSHOT_EVERY = 250
"""Trial events between checkpoints while a trial has fewer than ``MAX_CHECKPOINTS``."""
MAX_CHECKPOINTS = 512
"""Checkpoints kept per trial. Past it, every other one is dropped: at 1,000,000 events
one checkpoint every 2,000 events, folded in well under 200 ms (bench/replay.py)."""
MAX_TRIALS = 4
"""Trials whose projection is kept; the least recently asked about is dropped first (and
built again when asked about again)."""
READ_PAGE = 1_000
"""Events per read: decoding a page runs on the event loop with some drivers."""


@dataclass(frozen=True, slots=True)
class Replayed:
    """A trial as it was once the log had reached ``at``."""

    trial_id: str
    at: int
    """The log position asked for (the head if a later one was asked for)."""
    position: int
    """The trial's last event at or before ``at`` (0: the trial did not exist yet)."""
    recorded_at: datetime | None
    """When the event at ``position`` was recorded."""
    previous: int | None
    """The trial's event before ``position``: one step back."""
    next: int | None
    """The trial's first event after ``at``: one step forward."""
    events: int
    """How many of the trial's events the state folds."""
    states: TrialStates


class HistoryBuilding(Exception):
    """The trial's projection is still being built (``read`` of ``head`` positions)."""

    def __init__(self, trial_id: str, read: int, head: int) -> None:
        percent = 100 * read // head if head else 0
        super().__init__(f"the history of trial {trial_id} is being built: {percent}% read")
        self.read, self.head = read, head


@dataclass(slots=True)
class _Versions:
    """One stream's states at checkpoints: ``states[i]`` from ``counts[i]`` trial events on."""

    counts: array[int] = field(default_factory=lambda: array("q"))
    states: list[Any] = field(default_factory=list)

    def at(self, count: int) -> Any:
        """The state after the trial's first ``count`` events (None: no version yet)."""
        i = bisect_right(self.counts, count)
        return self.states[i - 1] if i else None

    def kept_for(self, spacing: int) -> _Versions:
        """The versions some checkpoint (a multiple of ``spacing``) still needs: the last
        one at or before each, and the newest."""
        counts, kept = self.counts, _Versions()
        for i, count in enumerate(counts):
            next_checkpoint = -(-count // spacing) * spacing
            if i + 1 == len(counts) or counts[i + 1] > next_checkpoint:
                kept.counts.append(count)
                kept.states.append(self.states[i])
        return kept


@dataclass(slots=True)
class _Index:
    trial_id: str
    spacing: int
    """Trial events between checkpoints (doubles as checkpoints are thinned out)."""
    positions: array[int] = field(default_factory=lambda: array("q"))
    checkpoints: list[int] = field(default_factory=lambda: [0])
    """The counts of trial events the checkpoints hold, ascending (multiples of ``spacing``)."""
    versions: dict[str, _Versions] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    """Streams changed since the last checkpoint."""
    scanned: int = 0
    """The log has been read up to here."""
    target: int = 0
    """The head the current (or last) catch-up reads up to."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    fold: TrialFold | None = None
    building: asyncio.Task[None] | None = None

    def states_at(self, count: int) -> tuple[int, dict[str, Any]]:
        """The last checkpoint at or before ``count`` and every stream's state there."""
        checkpoint = self.checkpoints[bisect_right(self.checkpoints, count) - 1]
        states = {}
        for stream_id, versions in self.versions.items():
            state = versions.at(checkpoint)
            if state is not None:
                states[stream_id] = state
        return checkpoint, states


class TrialHistory:
    """Replays trials to any position of the log (see the module's docstring)."""

    def __init__(
        self,
        store: EventStore,
        *,
        snapshot_every: int = SNAPSHOT_EVERY,
        max_checkpoints: int = MAX_CHECKPOINTS,
        max_trials: int = MAX_TRIALS,
    ) -> None:
        if snapshot_every < 1 or max_checkpoints < 2 or max_trials < 1:
            raise ValueError(
                "snapshot_every and max_trials are at least 1, max_checkpoints at least 2;"
                f" got {snapshot_every}, {max_trials}, {max_checkpoints}"
            )
        self._store = store
        self._every = snapshot_every
        self._max_checkpoints = max_checkpoints
        self._max_trials = max_trials
        self._indexes: OrderedDict[str, _Index] = OrderedDict()
        self._forgotten: set[asyncio.Task[None]] = set()
        """Builds under way when every projection was forgotten (:meth:`close` stops them)."""

    async def at(
        self,
        trial_id: str,
        position: int,
        *,
        progress: Progress | None = None,
        within: float | None = None,
    ) -> Replayed:
        """The trial's streams as they were once the log had reached ``position``.

        ``progress(read, head)`` follows the (re)building of the projection, if any. With
        ``within`` (seconds), a projection that takes longer to bring up to the head goes
        on being built in the background and :class:`HistoryBuilding` is raised: ask again.
        """
        if position < 0:
            raise ValueError(f"a log position is 0 or more, got {position}")
        index = await self._caught_up(trial_id, progress, within)
        at = min(position, index.scanned)
        count = bisect_right(index.positions, at)
        states = await self._fold_to(index, count)
        last = index.positions[count - 1] if count else 0
        recorded_at = None
        if last:
            (event,) = await self._store.read_all(after=last - 1, limit=1)
            recorded_at = event.recorded_at
        return Replayed(
            trial_id=trial_id,
            at=at,
            position=last,
            recorded_at=recorded_at,
            previous=index.positions[count - 2] if count >= 2 else None,
            next=index.positions[count] if count < len(index.positions) else None,
            events=count,
            states=states,
        )

    async def positions(self, trial_id: str) -> array[int]:
        """Every position of the trial's events, up to the head (a copy)."""
        return array("q", (await self._caught_up(trial_id)).positions)

    def checkpoint_spacing(self, trial_id: str) -> int | None:
        """Trial events between the trial's checkpoints now (None: no projection kept)."""
        index = self._indexes.get(trial_id)
        return None if index is None else index.spacing

    def forget_all(self) -> None:
        """Drop every trial's projection (a person's data was erased: its checkpoints
        may hold it in clear); the next question about a trial builds it again from the
        log. Builds under way finish for the requests waiting for them, kept by nobody."""
        for index in self._indexes.values():
            if index.building is not None:
                self._forgotten.add(index.building)
                index.building.add_done_callback(self._forgotten.discard)
        self._indexes.clear()

    async def close(self) -> None:
        """Stop the projections being built in the background."""
        building = [i.building for i in self._indexes.values() if i.building is not None]
        building += self._forgotten
        for task in building:
            task.cancel()
        await asyncio.gather(*building, return_exceptions=True)

    def _index(self, trial_id: str) -> _Index:
        index = self._indexes.get(trial_id)
        if index is None:
            index = self._indexes[trial_id] = _Index(trial_id, self._every)
            excess = len(self._indexes) - self._max_trials
            if excess > 0:
                idle = [
                    t for t, i in self._indexes.items() if t != trial_id and not i.lock.locked()
                ]
                for evicted in idle[:excess]:
                    del self._indexes[evicted]
        self._indexes.move_to_end(trial_id)
        return index

    async def _caught_up(
        self, trial_id: str, progress: Progress | None = None, within: float | None = None
    ) -> _Index:
        index = self._index(trial_id)
        if within is None:
            await self._catch_up(index, progress)
            return index
        task = index.building
        if task is None:
            task = index.building = asyncio.create_task(self._catch_up(index, progress))
        done, _ = await asyncio.wait({task}, timeout=within)
        if not done:
            raise HistoryBuilding(trial_id, index.scanned, index.target)
        if index.building is task:
            index.building = None
        task.result()  # a failed build fails the requests that waited for it
        return index

    async def _catch_up(self, index: _Index, progress: Progress | None) -> None:
        """Fold the trial's events up to the head. Each page read is recorded as it is
        applied, so a build that is interrupted resumes where it stopped."""
        async with index.lock:
            head = index.target = await self._store.head_position()
            if index.scanned >= head:
                return
            fold = index.fold = index.fold or TrialFold(index.trial_id)
            share = LoopShare()
            async for page in self._store.pages(
                after=index.scanned,
                until=head,
                page_size=READ_PAGE,
                under=trial_stream(index.trial_id),
            ):
                for event in page:
                    if fold.apply(event) is not None:
                        index.changed.add(event.stream_id)
                    index.positions.append(event.position)
                    if len(index.positions) % index.spacing == 0:
                        await self._checkpoint(index, fold)
                    await share.turn()
                index.scanned = page[-1].position
                if progress is not None and index.scanned < head:
                    progress(index.scanned, head)
            index.scanned = head
            if progress is not None:
                progress(head, head)

    async def _checkpoint(self, index: _Index, fold: TrialFold) -> None:
        count = len(index.positions)
        for stream_id in index.changed:
            versions = index.versions.setdefault(stream_id, _Versions())
            versions.counts.append(count)
            versions.states.append(fold.state_of(stream_id))
        index.changed.clear()
        index.checkpoints.append(count)
        freeze_long_lived()  # checkpoints hold many long-lived objects
        if len(index.checkpoints) > self._max_checkpoints:
            await self._thin_out(index)

    async def _thin_out(self, index: _Index) -> None:
        """Keep every other checkpoint (the spacing doubles) and the versions they need.
        Readers choose among ``index.checkpoints`` only, so it changes first."""
        spacing = index.spacing = index.spacing * 2
        index.checkpoints = [c for c in index.checkpoints if c % spacing == 0]
        share = LoopShare()
        for stream_id, versions in list(index.versions.items()):
            index.versions[stream_id] = versions.kept_for(spacing)
            await share.turn()

    async def _fold_to(self, index: _Index, count: int) -> TrialStates:
        """The states after the trial's first ``count`` events: a checkpoint plus the rest."""
        start, states = index.states_at(count)
        fold = TrialFold(index.trial_id, states)
        if count > start:
            share = LoopShare()
            async for page in self._store.pages(
                after=index.positions[start - 1] if start else 0,
                until=index.positions[count - 1],
                page_size=READ_PAGE,
                under=trial_stream(index.trial_id),
            ):
                for event in page:
                    fold.apply(event)
                    await share.turn()
        return fold.states()
