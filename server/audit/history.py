"""The state of a trial at any position, fast, in bounded memory, from checkpoints saved
beside the log.

For each trial an auditor asks about, :class:`TrialHistory` keeps the positions of the
trial's events and **checkpoints**: every ``snapshot_every`` events of the trial, the
state of each stream that changed since the previous checkpoint (never a copy of every
stream: a stream's state at checkpoint ``c`` is its last version at or before ``c``,
found by bisection). The state at position ``p`` is the nearest checkpoint at or before
``p`` plus the trial's events after it, read from the log and folded.

The checkpoints' states are saved (:mod:`server.audit.checkpoint_store`: in the
database, checked against the log when read), and this process keeps only a budget of
them decoded (:class:`server.audit.resident_states.ResidentStates`), reading the others
back when asked: memory has a ceiling that does not grow with the log, and a restarted
server reads a trial's index from its saved checkpoints and folds only the log after the
last one. At most ``max_trials`` trials' indexes are kept, the least recently asked about
dropped first. Of the streams a replay lists (:mod:`server.audit.listed_lines`), it may
ask for the lines alone (``Streams.lines``): those are read as saved, and only the streams
the events after the checkpoint touch are decoded and folded. A projection is brought up
to the log's head on every call, so it is
never behind the log; building and folding give the event loop a turn every few
milliseconds (:class:`server.audit.loop_share.LoopShare`), and encoding and decoding
states run in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from array import array
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.streams import StreamKind, parse_stream, trial_stream
from events import EventStore, RecordedEvent
from server.audit.checkpoint_states import CheckpointStates, IndexOutOfStep
from server.audit.checkpoint_store import CheckpointStore, MemoryCheckpoints
from server.audit.listed_lines import line_of
from server.audit.loop_share import LoopShare
from server.audit.progress import Progress
from server.audit.resident_states import ResidentStates
from server.audit.trial_fold import TrialFold, TrialStates
from server.audit.trial_index import TrialIndex

SNAPSHOT_EVERY = 500
"""Trial events between checkpoints: an answer folds fewer than this many events after
its checkpoint (at most ~25 ms at a million events)."""
SAVE_EVERY = 8
"""Checkpoints saved together, in one transaction."""
MAX_TRIALS = 4
"""Trials whose index is kept; the least recently asked about is dropped first (and read
again from its saved checkpoints when asked about again)."""
READ_PAGE = 1_000
"""Events per read: decoding a page runs on the event loop with some drivers."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Streams:
    """Which of a trial's streams a replay needs: those of ``kinds``, and ``also`` these;
    and, of the kinds of ``lines`` (some of :data:`server.audit.listed_lines.LISTED`),
    only each stream's line."""

    kinds: frozenset[StreamKind]
    also: frozenset[str] = frozenset()
    lines: frozenset[StreamKind] = frozenset()

    def wants_state(self, stream_id: str, kind: StreamKind) -> bool:
        return kind in self.kinds or stream_id in self.also


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
    """The streams asked for (every one, unless ``streams`` said which)."""
    lines: Mapping[str, bytes] = field(default_factory=dict)
    """The lines of the streams whose line alone was asked for (``streams.lines``), by
    stream id: the JSON of their summary (:mod:`server.audit.listed_lines`)."""


class HistoryBuilding(Exception):
    """The trial's projection is still being built (``read`` of ``head`` positions)."""

    def __init__(self, trial_id: str, read: int, head: int) -> None:
        percent = 100 * read // head if head else 0
        super().__init__(f"the history of trial {trial_id} is being built: {percent}% read")
        self.read, self.head = read, head


class TrialHistory:
    """Replays trials to any position of the log (see the module's docstring)."""

    def __init__(
        self,
        store: EventStore,
        *,
        checkpoints: CheckpointStore | None = None,
        resident: ResidentStates | None = None,
        snapshot_every: int = SNAPSHOT_EVERY,
        max_trials: int = MAX_TRIALS,
    ) -> None:
        if snapshot_every < 1 or max_trials < 1:
            raise ValueError(
                f"snapshot_every and max_trials are at least 1; got {snapshot_every}, {max_trials}"
            )
        self._store = store
        self._states = CheckpointStates(
            store,
            checkpoints if checkpoints is not None else MemoryCheckpoints(),
            resident if resident is not None else ResidentStates(),
        )
        self._every = snapshot_every
        self._max_trials = max_trials
        self._indexes: OrderedDict[str, TrialIndex] = OrderedDict()
        self._forgotten: set[asyncio.Task[None]] = set()
        """Builds under way when every projection was forgotten (:meth:`close` stops them)."""

    async def at(
        self,
        trial_id: str,
        position: int,
        *,
        progress: Progress | None = None,
        within: float | None = None,
        streams: Streams | None = None,
    ) -> Replayed:
        """The trial's streams (those of ``streams``, if given) as they were once the log
        had reached ``position``.

        ``progress(read, head)`` follows the (re)building of the projection, if any. With
        ``within`` (seconds), a projection that takes longer to bring up to the head goes
        on being built in the background and :class:`HistoryBuilding` is raised: ask again.
        """
        if position < 0:
            raise ValueError(f"a log position is 0 or more, got {position}")
        try:
            return await self._at(trial_id, position, progress, within, streams)
        except IndexOutOfStep as out_of_step:
            # saved checkpoints that count the trial's events otherwise than the log: drop
            # them past the last that does, and ask again (the log is read from there)
            logger.warning("%s: read again from the log", out_of_step)
            await self._states.prune(trial_id, out_of_step.last)
            if trial_id in self._indexes:
                del self._indexes[trial_id]
            self._states.forget_trial(trial_id)
            return await self._at(trial_id, position, progress, within, streams)

    async def _at(
        self,
        trial_id: str,
        position: int,
        progress: Progress | None,
        within: float | None,
        streams: Streams | None,
    ) -> Replayed:
        index = await self._caught_up(trial_id, progress, within)
        at = min(position, index.scanned)
        count = await self._states.count_at(index, at)
        states, lines = await self._fold_to(index, count, streams)
        last = await self._states.position_of(index, count) if count else 0
        recorded_at = None
        if last:
            (event,) = await self._store.read_all(after=last - 1, limit=1)
            recorded_at = event.recorded_at
        events = len(index.positions)
        return Replayed(
            trial_id=trial_id,
            at=at,
            position=last,
            recorded_at=recorded_at,
            previous=await self._states.position_of(index, count - 1) if count >= 2 else None,
            next=await self._states.position_of(index, count + 1) if count < events else None,
            events=count,
            states=states,
            lines=lines,
        )

    async def positions(self, trial_id: str) -> array[int]:
        """Every position of the trial's events, up to the head (a copy: it reads every
        checkpoint's)."""
        index = await self._caught_up(trial_id)
        every = array("q")
        for k in range(1, len(index.positions.counts) + 1):
            every.extend(await self._states.segment(index, k))
        return every

    def checkpoint_spacing(self, trial_id: str) -> int | None:
        """Trial events between the trial's checkpoints (None: no projection kept)."""
        index = self._indexes.get(trial_id)
        return None if index is None else index.spacing

    def forget_all(self) -> None:
        """Drop every trial's projection and the states kept (a person's data was erased:
        they may hold it in clear); the next question about a trial reads its saved
        checkpoints again (the erasure deletes those: :meth:`settled`). Builds under way
        finish for the requests waiting for them, kept by nobody, saving nothing."""
        for index in self._indexes.values():
            index.forgotten = True
            if index.building is not None:
                self._forgotten.add(index.building)
                index.building.add_done_callback(self._forgotten.discard)
        self._indexes.clear()
        self._states.forget()

    async def settled(self) -> None:
        """Return once no save of checkpoints is under way (after :meth:`forget_all`, none
        begins for what was folded before)."""
        await self._states.settled()

    async def close(self) -> None:
        """Stop the projections being built in the background."""
        building = [i.building for i in self._indexes.values() if i.building is not None]
        building += self._forgotten
        for task in building:
            task.cancel()
        await asyncio.gather(*building, return_exceptions=True)
        await self.settled()

    def _index(self, trial_id: str) -> TrialIndex:
        index = self._indexes.get(trial_id)
        if index is None:
            index = TrialIndex(trial_id, self._every, TrialFold(trial_id))
            self._indexes[trial_id] = index
            excess = len(self._indexes) - self._max_trials
            if excess > 0:
                idle = [
                    t for t, i in self._indexes.items() if t != trial_id and not i.lock.locked()
                ]
                for evicted in idle[:excess]:
                    del self._indexes[evicted]
                    self._states.forget_trial(evicted)
        self._indexes.move_to_end(trial_id)
        return index

    async def _caught_up(
        self, trial_id: str, progress: Progress | None = None, within: float | None = None
    ) -> TrialIndex:
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

    async def _catch_up(self, index: TrialIndex, progress: Progress | None) -> None:
        """Read the saved checkpoints (once), then fold the trial's events after them up
        to the head. Each event read is recorded as it is applied, so a build that is
        interrupted resumes where it stopped."""
        async with index.lock:
            if not index.loaded:
                await self._states.start(index)
            head = index.target = await self._store.head_position()
            if index.scanned >= head:
                return
            fold = index.fold
            share = LoopShare()
            async for page in self._store.pages(
                after=index.scanned,
                until=head,
                page_size=READ_PAGE,
                under=trial_stream(index.trial_id),
            ):
                for event in page:
                    stream_id = event.stream_id
                    if not fold.holds(stream_id) and stream_id in index.versions:
                        fold.hold(stream_id, await self._states.latest(index, stream_id))
                    if fold.apply(event) is not None:
                        index.changed[stream_id] = event.stream_version
                    index.positions.append(event.position)
                    index.scanned = event.position
                    if len(index.positions) % index.spacing == 0:
                        index.checkpoint()
                        if len(index.unsaved_checkpoints) >= SAVE_EVERY:
                            await self._states.save(index)
                    await share.turn()
                if progress is not None and index.scanned < head:
                    progress(index.scanned, head)
            index.scanned = head
            await self._states.save(index, wait=True)
            if progress is not None:
                progress(head, head)

    async def _fold_to(
        self, index: TrialIndex, count: int, streams: Streams | None
    ) -> tuple[TrialStates, dict[str, bytes]]:
        """The states (and the lines asked for) after the trial's first ``count`` events:
        a checkpoint plus the rest. A stream whose line alone is asked for is decoded and
        folded only if one of those events is its."""
        start = index.checkpoint_at(count)
        after: list[RecordedEvent] = []
        if count > start:
            share = LoopShare()
            async for page in self._store.pages(
                after=index.positions.at_checkpoint(start),
                until=await self._states.position_of(index, count),
                page_size=READ_PAGE,
                under=trial_stream(index.trial_id),
            ):
                after.extend(page)
                await share.turn()
        touched = {event.stream_id for event in after}
        keys: list[tuple[str, int]] = []
        line_keys: list[tuple[str, int]] = []
        for stream_id, versions in index.versions.items():
            last = versions.last_at(start)
            if streams is None or streams.wants_state(stream_id, versions.kind):
                if last is not None:
                    keys.append((stream_id, last))
            elif versions.kind in streams.lines and last is not None:
                (keys if stream_id in touched else line_keys).append((stream_id, last))
        fold = TrialFold(index.trial_id, await self._states.resolve(index, keys))
        lines = await self._states.lines(index, line_keys) if line_keys else {}
        share = LoopShare()
        for event in after:
            if streams is None or _wanted(event.stream_id, streams):
                fold.apply(event)
            await share.turn()
        states = dict(fold.states())
        for stream_id in touched if streams is not None and streams.lines else ():
            stream = parse_stream(stream_id)
            if (
                streams is not None
                and stream is not None
                and stream.kind in streams.lines
                and not streams.wants_state(stream_id, stream.kind)
                and stream_id in states
            ):
                line = line_of(stream_id, states.pop(stream_id))
                if line is not None:
                    lines[stream_id] = line
        return states, lines


def _wanted(stream_id: str, streams: Streams) -> bool:
    if stream_id in streams.also:
        return True
    stream = parse_stream(stream_id)
    return stream is not None and (stream.kind in streams.kinds or stream.kind in streams.lines)
