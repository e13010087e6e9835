"""The state of a trial at any position, fast: a materialized projection with snapshots.

For each trial an auditor asks about, :class:`TrialHistory` keeps the positions of the
trial's events and a snapshot of every stream's state after each ``snapshot_every``
events of the trial. The state at position ``p`` is then the nearest snapshot at or
before ``p`` plus at most ``snapshot_every - 1`` events read from the log and folded.
The projection is built on first use and brought up to the log's head on every later
call, so it is never behind the log; it lives in memory and is rebuilt after a restart.
"""

from __future__ import annotations

import asyncio
import gc
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from domain.streams import trial_stream
from events import EventStore
from server.audit.progress import Progress
from server.audit.trial_fold import TrialFold, TrialStates, in_trial

SNAPSHOT_EVERY = 1_000
READ_PAGE = 5_000


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


@dataclass(slots=True)
class _Index:
    trial_id: str
    positions: array[int] = field(default_factory=lambda: array("q"))
    snapshots: list[TrialStates] = field(default_factory=lambda: [{}])
    """``snapshots[j]``: the states after the trial's first ``j * snapshot_every`` events."""
    scanned: int = 0
    """The log has been read up to here."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    fold: TrialFold | None = None


class TrialHistory:
    """Replays trials to any position of the log (see the module's docstring)."""

    def __init__(self, store: EventStore, *, snapshot_every: int = SNAPSHOT_EVERY) -> None:
        if snapshot_every < 1:
            raise ValueError(f"snapshot_every must be at least 1, got {snapshot_every}")
        self._store = store
        self._every = snapshot_every
        self._indexes: dict[str, _Index] = {}

    async def at(
        self, trial_id: str, position: int, *, progress: Progress | None = None
    ) -> Replayed:
        """The trial's streams as they were once the log had reached ``position``;
        ``progress(read, head)`` follows the (re)building of the projection, if any."""
        if position < 0:
            raise ValueError(f"a log position is 0 or more, got {position}")
        index = await self._caught_up(trial_id, progress)
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

    async def _caught_up(self, trial_id: str, progress: Progress | None = None) -> _Index:
        index = self._indexes.setdefault(trial_id, _Index(trial_id))
        async with index.lock:
            head = await self._store.head_position()
            fold = index.fold or TrialFold(trial_id)
            after = index.scanned
            while after < head:
                page = await self._store.read_all(
                    after=after, limit=READ_PAGE, stream_prefix=trial_stream(trial_id)
                )
                for event in page:
                    if event.position > head or not in_trial(event.stream_id, trial_id):
                        continue
                    fold.apply(event)
                    index.positions.append(event.position)
                    if len(index.positions) % self._every == 0:
                        index.snapshots.append(fold.states())
                        # Snapshots hold millions of long-lived objects; every full pass
                        # of the cyclic GC would walk them all again (pauses of 100-700
                        # ms at 1,000,000 events, and a build that slows as it grows).
                        # Freezing moves what exists now out of its view; reference
                        # counting still frees whatever is dropped later.
                        gc.freeze()
                if len(page) < READ_PAGE:
                    break
                after = page[-1].position
                if progress is not None:
                    progress(after, head)
            index.fold = fold
            index.scanned = max(index.scanned, head)
        return index

    async def _fold_to(self, index: _Index, count: int) -> TrialStates:
        """The states after the trial's first ``count`` events: a snapshot plus the rest."""
        start = count // self._every * self._every
        fold = TrialFold(index.trial_id, index.snapshots[count // self._every])
        remaining = count - start
        after = index.positions[start - 1] if start else 0
        while remaining:
            page = await self._store.read_all(
                after=after,
                limit=min(READ_PAGE, remaining + 100),
                stream_prefix=trial_stream(index.trial_id),
            )
            for event in page:
                if remaining and in_trial(event.stream_id, index.trial_id):
                    fold.apply(event)
                    remaining -= 1
            after = page[-1].position
        return fold.states()
