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
dropped first. A projection is brought up to the log's head on every call, so it is
never behind the log; building and folding give the event loop a turn every few
milliseconds (:class:`server.audit.loop_share.LoopShare`), and encoding and decoding
states run in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.streams import StreamKind, parse_stream, trial_stream
from events import EventStore
from server.audit.checkpoint_store import (
    MARKER,
    UNREADABLE,
    CheckpointStore,
    Key,
    MemoryCheckpoints,
    Row,
    decode_state,
    encode_positions,
    encode_state,
    ignored,
)
from server.audit.loop_share import LoopShare
from server.audit.progress import Progress
from server.audit.resident_states import ResidentStates
from server.audit.trial_fold import TrialFold, TrialStates
from server.collector import freeze_long_lived

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
DECODE_CHUNK = 200
"""States decoded in one call of a worker thread."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Streams:
    """Which of a trial's streams a replay needs: those of ``kinds``, and ``also`` these."""

    kinds: frozenset[StreamKind]
    also: frozenset[str] = frozenset()


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


class HistoryBuilding(Exception):
    """The trial's projection is still being built (``read`` of ``head`` positions)."""

    def __init__(self, trial_id: str, read: int, head: int) -> None:
        percent = 100 * read // head if head else 0
        super().__init__(f"the history of trial {trial_id} is being built: {percent}% read")
        self.read, self.head = read, head


@dataclass(slots=True)
class _Versions:
    """One stream's checkpoints: it changed in the trial's first ``counts[i]`` events,
    reaching its version ``stream_versions[i]``."""

    kind: StreamKind
    counts: array[int] = field(default_factory=lambda: array("q"))
    stream_versions: array[int] = field(default_factory=lambda: array("q"))

    def last_at(self, count: int) -> int | None:
        """The count of its last checkpoint at or before ``count`` (None: none yet)."""
        i = bisect_right(self.counts, count)
        return self.counts[i - 1] if i else None


@dataclass(slots=True)
class _Index:
    trial_id: str
    spacing: int
    fold: TrialFold
    """The trial's streams at the head that changed since the last save (the others are
    read back from the checkpoints when they change again)."""
    positions: array[int] = field(default_factory=lambda: array("q"))
    checkpoints: list[int] = field(default_factory=lambda: [0])
    """The counts of trial events the checkpoints hold, ascending."""
    versions: dict[str, _Versions] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    """Streams changed since the last checkpoint, with their version now."""
    unsaved: dict[Key, Any] = field(default_factory=dict)
    """States of checkpoints not saved yet."""
    unsaved_checkpoints: list[int] = field(default_factory=list)
    loaded: bool = False
    """Whether the saved checkpoints have been read."""
    forgotten: bool = False
    """Dropped by :meth:`TrialHistory.forget_all`: it saves nothing more."""
    scanned: int = 0
    """The log has been read up to here."""
    target: int = 0
    """The head the current (or last) catch-up reads up to."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    building: asyncio.Task[None] | None = None


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
        self._checkpoints = checkpoints if checkpoints is not None else MemoryCheckpoints()
        self._resident = resident if resident is not None else ResidentStates()
        self._every = snapshot_every
        self._max_trials = max_trials
        self._indexes: OrderedDict[str, _Index] = OrderedDict()
        self._forgotten: set[asyncio.Task[None]] = set()
        """Builds under way when every projection was forgotten (:meth:`close` stops them)."""
        self._saving: set[asyncio.Task[None]] = set()

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
        index = await self._caught_up(trial_id, progress, within)
        at = min(position, index.scanned)
        count = bisect_right(index.positions, at)
        states = await self._fold_to(index, count, streams)
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
        self._resident.clear()
        self._checkpoints.forget_in_memory()

    async def settled(self) -> None:
        """Return once no save of checkpoints is under way (after :meth:`forget_all`, none
        begins for what was folded before)."""
        while self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)

    async def close(self) -> None:
        """Stop the projections being built in the background."""
        building = [i.building for i in self._indexes.values() if i.building is not None]
        building += self._forgotten
        for task in building:
            task.cancel()
        await asyncio.gather(*building, return_exceptions=True)
        await self.settled()

    def _index(self, trial_id: str) -> _Index:
        index = self._indexes.get(trial_id)
        if index is None:
            index = self._indexes[trial_id] = _Index(trial_id, self._every, TrialFold(trial_id))
            excess = len(self._indexes) - self._max_trials
            if excess > 0:
                idle = [
                    t for t, i in self._indexes.items() if t != trial_id and not i.lock.locked()
                ]
                for evicted in idle[:excess]:
                    del self._indexes[evicted]
                    self._resident.forget_trial(evicted)
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
        """Read the saved checkpoints (once), then fold the trial's events after them up
        to the head. Each event read is recorded as it is applied, so a build that is
        interrupted resumes where it stopped."""
        async with index.lock:
            if not index.loaded:
                await self._load(index)
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
                        fold.hold(stream_id, await self._latest(index, stream_id))
                    if fold.apply(event) is not None:
                        index.changed[stream_id] = event.stream_version
                    index.positions.append(event.position)
                    index.scanned = event.position
                    if len(index.positions) % index.spacing == 0:
                        self._checkpoint(index)
                        if len(index.unsaved_checkpoints) >= SAVE_EVERY:
                            await self._save(index)
                    await share.turn()
                if progress is not None and index.scanned < head:
                    progress(index.scanned, head)
            index.scanned = head
            await self._save(index)
            if progress is not None:
                progress(head, head)

    async def _load(self, index: _Index) -> None:
        saved = await self._checkpoints.index(index.trial_id)
        index.positions, index.checkpoints = saved.positions, saved.checkpoints
        for stream_id, count, stream_version in saved.versions:
            versions = index.versions.get(stream_id)
            if versions is None:
                stream = parse_stream(stream_id)
                if stream is None:  # not saved by this code: ignore it
                    continue
                versions = index.versions[stream_id] = _Versions(stream.kind)
            versions.counts.append(count)
            versions.stream_versions.append(stream_version)
        index.scanned = index.positions[-1] if index.positions else 0
        index.loaded = True

    def _checkpoint(self, index: _Index) -> None:
        count = len(index.positions)
        for stream_id, stream_version in index.changed.items():
            versions = index.versions.get(stream_id)
            if versions is None:
                stream = parse_stream(stream_id)
                assert stream is not None  # the fold applied its event
                versions = index.versions[stream_id] = _Versions(stream.kind)
            versions.counts.append(count)
            versions.stream_versions.append(stream_version)
            index.unsaved[stream_id, count] = index.fold.state_of(stream_id)
        index.changed.clear()
        index.checkpoints.append(count)
        index.unsaved_checkpoints.append(count)

    async def _save(self, index: _Index) -> None:
        """Save the checkpoints not saved yet, keep their states (within the budget), and
        let the fold go of the streams that did not change since."""
        if not index.unsaved_checkpoints or index.forgotten:
            return
        trial_id, positions = index.trial_id, index.positions
        unsaved = list(index.unsaved.items())
        markers = []
        for count in index.unsaved_checkpoints:
            previous = index.checkpoints[bisect_left(index.checkpoints, count) - 1]
            markers.append((count, positions[previous:count]))
        stream_versions = {key: _version_at(index.versions[key[0]], key[1]) for key, _ in unsaved}

        def encoded() -> tuple[list[Row], list[int]]:
            rows, costs = [], []
            for (stream_id, count), state in unsaved:
                data, cost = encode_state(state)
                position = positions[count - 1]
                version = stream_versions[stream_id, count]
                rows.append(Row(stream_id, count, position, version, data))
                costs.append(cost)
            for count, slice_ in markers:
                rows.append(Row(MARKER, count, slice_[-1], 0, encode_positions(slice_)))
            return rows, costs

        rows, costs = await asyncio.to_thread(encoded)
        await self._write(index, rows)
        for ((stream_id, count), state), cost in zip(unsaved, costs, strict=False):
            self._resident.keep((trial_id, stream_id, count), state, cost)
        index.unsaved.clear()
        index.unsaved_checkpoints.clear()
        index.fold.let_go(index.changed)
        freeze_long_lived()  # what the fold holds lives long

    async def _write(self, index: _Index, rows: list[Row]) -> None:
        """Save ``rows`` (a failure is logged: what it would have saved is rebuilt from
        the log when it is read back)."""
        if index.forgotten:
            return
        task = asyncio.create_task(self._checkpoints.save(index.trial_id, rows))
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)
        try:
            await task
        except Exception:
            logger.exception("could not save the audit checkpoints of trial %s", index.trial_id)

    async def _latest(self, index: _Index, stream_id: str) -> Any:
        count = index.versions[stream_id].counts[-1]
        return (await self._resolve(index, [(stream_id, count)]))[stream_id]

    async def _resolve(self, index: _Index, keys: list[Key]) -> dict[str, Any]:
        """The states at ``keys``: not saved yet, kept, read back, or rebuilt."""
        trial_id = index.trial_id
        found, missing = {}, []
        for stream_id, count in keys:
            state = index.unsaved.get((stream_id, count))
            if state is None:
                state = self._resident.get((trial_id, stream_id, count))
            if state is None:
                missing.append((stream_id, count))
            else:
                found[stream_id] = state
        if missing:
            stored = await self._checkpoints.load(trial_id, missing)
            for start in range(0, len(missing), DECODE_CHUNK):
                chunk = missing[start : start + DECODE_CHUNK]
                decoded = await asyncio.to_thread(_decoded, trial_id, chunk, stored)
                for key in chunk:
                    if key in decoded:
                        state, cost = decoded[key]
                        self._resident.keep((trial_id, *key), state, cost)
                    else:
                        state = await self._rebuilt(index, key)
                    found[key[0]] = state
        return found

    async def _rebuilt(self, index: _Index, key: Key) -> Any:
        """A state whose checkpoint could not be read: the stream's last one before it
        that can, plus the stream's events up to it; saved again."""
        stream_id, count = key
        versions = index.versions[stream_id]
        i = bisect_left(versions.counts, count)
        state, from_version = None, 1
        for j in range(i - 1, -1, -1):
            earlier = (stream_id, versions.counts[j])
            state = index.unsaved.get(earlier)
            if state is None:
                state = self._resident.get((index.trial_id, *earlier))
            if state is None:
                stored = await self._checkpoints.load(index.trial_id, [earlier])
                decoded = await asyncio.to_thread(_decoded, index.trial_id, [earlier], stored)
                state = decoded[earlier][0] if earlier in decoded else None
            if state is not None:
                from_version = versions.stream_versions[j] + 1
                break
        until = versions.stream_versions[i]
        fold = TrialFold(index.trial_id, {stream_id: state} if state is not None else None)
        share = LoopShare()
        while from_version <= until:
            limit = min(READ_PAGE, until - from_version + 1)
            for event in await self._store.read_stream(
                stream_id, from_version=from_version, limit=limit
            ):
                fold.apply(event)
                await share.turn()
            from_version += limit
        state = fold.state_of(stream_id)
        data, cost = await asyncio.to_thread(encode_state, state)
        position = index.positions[count - 1]
        await self._write(index, [Row(stream_id, count, position, until, data)])
        self._resident.keep((index.trial_id, stream_id, count), state, cost)
        logger.info(
            "rebuilt the audit checkpoint of trial %s at %d events (state of %s) from the log",
            index.trial_id,
            count,
            stream_id,
        )
        return state

    async def _fold_to(self, index: _Index, count: int, streams: Streams | None) -> TrialStates:
        """The states after the trial's first ``count`` events: a checkpoint plus the rest."""
        start = index.checkpoints[bisect_right(index.checkpoints, count) - 1]
        keys = []
        for stream_id, versions in index.versions.items():
            if streams is None or versions.kind in streams.kinds or stream_id in streams.also:
                last = versions.last_at(start)
                if last is not None:
                    keys.append((stream_id, last))
        fold = TrialFold(index.trial_id, await self._resolve(index, keys))
        if count > start:
            share = LoopShare()
            async for page in self._store.pages(
                after=index.positions[start - 1] if start else 0,
                until=index.positions[count - 1],
                page_size=READ_PAGE,
                under=trial_stream(index.trial_id),
            ):
                for event in page:
                    if streams is None or _wanted(event.stream_id, streams):
                        fold.apply(event)
                    await share.turn()
        return fold.states()


def _wanted(stream_id: str, streams: Streams) -> bool:
    if stream_id in streams.also:
        return True
    stream = parse_stream(stream_id)
    return stream is not None and stream.kind in streams.kinds


def _version_at(versions: _Versions, count: int) -> int:
    return versions.stream_versions[bisect_left(versions.counts, count)]


def _decoded(
    trial_id: str, keys: list[Key], stored: dict[Key, bytes]
) -> dict[Key, tuple[Any, int]]:
    """The states of ``keys`` that ``stored`` holds and that read (the others logged)."""
    decoded = {}
    for key in keys:
        data = stored.get(key)
        if data is None:
            continue
        try:
            decoded[key] = decode_state(key[0], data)
        except UNREADABLE as unreadable:
            ignored(trial_id, key[0], key[1], f"its state cannot be read: {unreadable}")
    return decoded
