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
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from domain.streams import trial_stream
from events import EventStore
from server.audit.progress import Progress
from server.audit.trial_fold import TrialFold, TrialStates
from server.collector import freeze_long_lived

SNAPSHOT_EVERY = 250
"""Trial events between snapshots. At 1,000,000 events (bench/replay.py) 1,000 kept
1.3 GB and answered in 280-340 ms at worst; 250 keeps 2.5 GB and answers within 200 ms."""
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


class HistoryBuilding(Exception):
    """The trial's projection is still being built (``read`` of ``head`` positions)."""

    def __init__(self, trial_id: str, read: int, head: int) -> None:
        percent = 100 * read // head if head else 0
        super().__init__(f"the history of trial {trial_id} is being built: {percent}% read")
        self.read, self.head = read, head


@dataclass(slots=True)
class _Index:
    trial_id: str
    positions: array[int] = field(default_factory=lambda: array("q"))
    snapshots: list[TrialStates] = field(default_factory=lambda: [{}])
    """``snapshots[j]``: the states after the trial's first ``j * snapshot_every`` events."""
    scanned: int = 0
    """The log has been read up to here."""
    target: int = 0
    """The head the current (or last) catch-up reads up to."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    fold: TrialFold | None = None
    building: asyncio.Task[None] | None = None


class TrialHistory:
    """Replays trials to any position of the log (see the module's docstring)."""

    def __init__(self, store: EventStore, *, snapshot_every: int = SNAPSHOT_EVERY) -> None:
        if snapshot_every < 1:
            raise ValueError(f"snapshot_every must be at least 1, got {snapshot_every}")
        self._store = store
        self._every = snapshot_every
        self._indexes: dict[str, _Index] = {}

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

    async def close(self) -> None:
        """Stop the projections being built in the background."""
        building = [i.building for i in self._indexes.values() if i.building is not None]
        for task in building:
            task.cancel()
        await asyncio.gather(*building, return_exceptions=True)

    async def _caught_up(
        self, trial_id: str, progress: Progress | None = None, within: float | None = None
    ) -> _Index:
        index = self._indexes.setdefault(trial_id, _Index(trial_id))
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
            async for page in self._store.pages(
                after=index.scanned,
                until=head,
                page_size=READ_PAGE,
                under=trial_stream(index.trial_id),
            ):
                for event in page:
                    fold.apply(event)
                    index.positions.append(event.position)
                    if len(index.positions) % self._every == 0:
                        index.snapshots.append(fold.states())
                        # Snapshots hold millions of long-lived objects.
                        freeze_long_lived()
                index.scanned = page[-1].position
                if progress is not None and index.scanned < head:
                    progress(index.scanned, head)
            index.scanned = head
            if progress is not None:
                progress(head, head)

    async def _fold_to(self, index: _Index, count: int) -> TrialStates:
        """The states after the trial's first ``count`` events: a snapshot plus the rest."""
        start = count // self._every * self._every
        fold = TrialFold(index.trial_id, index.snapshots[count // self._every])
        if count > start:
            async for page in self._store.pages(
                after=index.positions[start - 1] if start else 0,
                until=index.positions[count - 1],
                page_size=READ_PAGE,
                under=trial_stream(index.trial_id),
            ):
                for event in page:
                    fold.apply(event)
        return fold.states()
