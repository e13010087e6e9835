"""The states of a trial's checkpoints, wherever they are: not saved yet, being saved,
kept decoded (within the byte budget of :class:`ResidentStates`), read back from the
:class:`CheckpointStore`, or, when a saved one does not check out, rebuilt from the log.
Encoding and decoding run in a worker thread (the states are immutable)."""

from __future__ import annotations

import asyncio
import logging
from array import array
from bisect import bisect_left, bisect_right
from typing import Any

from domain.streams import trial_stream
from events import EventStore
from server.audit.checkpoint_store import (
    MARKER,
    UNREADABLE,
    CheckpointStore,
    Key,
    Row,
    decode_state,
    encode_positions,
    encode_state,
    ignored,
    marker_positions,
)
from server.audit.listed_lines import line_of
from server.audit.loop_share import LoopShare
from server.audit.resident_states import RESIDENT_LINE_BYTES, ResidentStates
from server.audit.trial_fold import TrialFold
from server.audit.trial_index import TrialIndex
from server.collector import freeze_long_lived

READ_PAGE = 1_000
"""A stream's events read at once when a state is rebuilt."""
DECODE_CHUNK = 200
"""States decoded in one call of a worker thread."""

logger = logging.getLogger(__name__)


class IndexOutOfStep(Exception):
    """A trial's saved checkpoints do not count its events as the log does past the
    checkpoint of ``last`` events: its rows past it are to be dropped, and read again."""

    def __init__(self, trial_id: str, last: int) -> None:
        super().__init__(f"the audit checkpoints of trial {trial_id} past {last} events are wrong")
        self.trial_id, self.last = trial_id, last


class CheckpointStates:
    """Reads and saves the checkpoints' states of the trials of one history."""

    def __init__(
        self, store: EventStore, checkpoints: CheckpointStore, resident: ResidentStates
    ) -> None:
        self._store = store
        self._checkpoints = checkpoints
        self.resident = resident
        self.resident_lines = ResidentStates(RESIDENT_LINE_BYTES)
        """The lines (:mod:`server.audit.listed_lines`) read or made lately."""
        self._saving: set[asyncio.Task[None]] = set()

    async def start(self, index: TrialIndex) -> None:
        """Read the trial's saved checkpoints (once)."""
        index.start_from(await self._checkpoints.index(index.trial_id))

    def forget(self) -> None:
        """Drop the states kept (a person's data was erased)."""
        self.resident.clear()
        self.resident_lines.clear()
        self._checkpoints.forget_in_memory()

    def forget_trial(self, trial_id: str) -> None:
        """Drop the states and lines kept of ``trial_id``."""
        self.resident.forget_trial(trial_id)
        self.resident_lines.forget_trial(trial_id)

    async def settled(self) -> None:
        """Return once the saves under way have ended."""
        await asyncio.gather(*self._saving, return_exceptions=True)

    async def save(self, index: TrialIndex, *, wait: bool = False) -> None:
        """Start saving the checkpoints not saved yet, once the previous save of the trial
        has ended (the fold goes on meanwhile), and let the fold go of the streams that
        did not change since; with ``wait``, return once they are saved."""
        if index.save is not None:
            await index.save
        if index.unsaved_checkpoints and not index.forgotten:
            markers = []
            for count in index.unsaved_checkpoints:
                held = index.positions.segment(index.positions.segment_of(count))
                assert held is not None  # made by this process's fold
                markers.append((count, held))
            index.saving, index.unsaved = index.unsaved, {}
            index.unsaved_checkpoints = []
            index.save = self._tracked(self._saved(index, markers))
            index.fold.let_go(index.changed)
        if wait and index.save is not None:
            await index.save

    async def count_at(self, index: TrialIndex, position: int) -> int:
        """How many of the trial's events are at or before ``position``."""
        k = index.positions.segment_at(position)
        return index.positions.counts[k - 1] + bisect_right(await self.segment(index, k), position)

    async def position_of(self, index: TrialIndex, count: int) -> int:
        """The position of the trial's ``count``-th event (1 for the first)."""
        positions = index.positions
        k = positions.segment_of(count)
        if k < len(positions.counts) and positions.counts[k] == count:
            return positions.ends[k]
        return (await self.segment(index, k))[count - positions.counts[k - 1] - 1]

    async def segment(self, index: TrialIndex, k: int) -> array[int]:
        """The positions of the trial's segment ``k`` (:class:`TrialPositions`): as held,
        read from its marker, or, if that does not check out, read from the log (and the
        marker saved again). :class:`IndexOutOfStep` if the log has another number of
        the trial's events there than the checkpoints say."""
        held = index.positions.segment(k)
        if held is not None:
            return held
        trial_id, positions = index.trial_id, index.positions
        counts = (positions.counts[k - 1], positions.counts[k])
        ends = (positions.ends[k - 1], positions.ends[k])
        data = await self._checkpoints.marker(trial_id, counts[1])
        read = (
            None if data is None else await asyncio.to_thread(marker_positions, data, counts, ends)
        )
        if isinstance(read, str):
            ignored(trial_id, MARKER, counts[1], read)
        if not isinstance(read, array):
            read = array("q")
            share = LoopShare()
            async for page in self._store.pages(
                after=ends[0], until=ends[1], page_size=READ_PAGE, under=trial_stream(trial_id)
            ):
                read.extend(event.position for event in page)
                await share.turn()
            if len(read) != counts[1] - counts[0] or not read or read[-1] != ends[1]:
                raise IndexOutOfStep(trial_id, counts[0])
            marker = Row(MARKER, counts[1], ends[1], 0, encode_positions(read))
            await self._write(index, [marker])
            logger.info(
                "read the positions of the audit checkpoint of trial %s at %d events from the log",
                trial_id,
                counts[1],
            )
        positions.read(k, read)
        return read

    async def prune(self, trial_id: str, last: int) -> None:
        """Delete the trial's rows past the checkpoint of ``last`` events."""
        await self._checkpoints.prune(trial_id, last)

    async def latest(self, index: TrialIndex, stream_id: str) -> Any:
        """The state of ``stream_id`` at its last checkpoint."""
        count = index.versions[stream_id].counts[-1]
        return (await self.resolve(index, [(stream_id, count)]))[stream_id]

    async def resolve(self, index: TrialIndex, keys: list[Key]) -> dict[str, Any]:
        """The states at ``keys``, by stream id."""
        trial_id = index.trial_id
        found, missing = {}, []
        for stream_id, count in keys:
            state = self._at_hand(index, (stream_id, count))
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
                        self.resident.keep((trial_id, *key), state, cost)
                    else:
                        state = await self._rebuilt(index, key)
                    found[key[0]] = state
        return found

    async def lines(self, index: TrialIndex, keys: list[Key]) -> dict[str, bytes]:
        """The lines of the states at ``keys`` (streams of a listed kind), by stream id:
        kept, saved, or made from the state."""
        trial_id = index.trial_id
        found, missing, unsaved = {}, [], []
        for key in keys:
            line = self.resident_lines.get((trial_id, *key))
            if line is not None:
                found[key[0]] = line
            elif index.held(key) is not None:
                unsaved.append(key)
            else:
                missing.append(key)
        if missing:
            stored = await self._checkpoints.load_lines(trial_id, missing)
            for key, line in stored.items():
                self.resident_lines.keep((trial_id, *key), line, len(line))
                found[key[0]] = line
            unsaved += [key for key in missing if key not in stored]
        if unsaved:  # not saved yet, saved before lines were, or a line that did not check
            states = await self.resolve(index, unsaved)
            made = await asyncio.to_thread(
                lambda: {key: line_of(key[0], states[key[0]]) for key in unsaved}
            )
            for key, line in made.items():
                if line is not None:
                    self.resident_lines.keep((trial_id, *key), line, len(line))
                    found[key[0]] = line
        return found

    def _at_hand(self, index: TrialIndex, key: Key) -> Any | None:
        """The state at ``key`` if it is not saved yet, being saved, or kept decoded."""
        state = index.held(key)
        return self.resident.get((index.trial_id, *key)) if state is None else state

    async def _saved(self, index: TrialIndex, markers: list[tuple[int, array[int]]]) -> None:
        """Encode and save ``index.saving`` and ``markers``, then keep the states."""
        trial_id, saving = index.trial_id, list(index.saving.items())
        versions = {key: index.versions[key[0]].version_at(key[1]) for key, _ in saving}
        positions = {key: index.positions.at_checkpoint(key[1]) for key, _ in saving}

        def encoded() -> tuple[list[Row], list[int]]:
            rows, costs = [], []
            for (stream_id, count), state in saving:
                data, cost = encode_state(state)
                position, version = positions[stream_id, count], versions[stream_id, count]
                line = line_of(stream_id, state)
                rows.append(Row(stream_id, count, position, version, data, line))
                costs.append(cost)
            for count, slice_ in markers:
                rows.append(Row(MARKER, count, slice_[-1], 0, encode_positions(slice_)))
            return rows, costs

        rows, costs = await asyncio.to_thread(encoded)
        await self._write(index, rows)
        if index.forgotten:  # a person's data was erased meanwhile: keep none of it
            index.saving = {}
            return
        for ((stream_id, count), state), cost in zip(saving, costs, strict=True):
            self.resident.keep((trial_id, stream_id, count), state, cost)
        for row in rows:
            if row.line is not None:
                self.resident_lines.keep(
                    (trial_id, row.stream_id, row.count), row.line, len(row.line)
                )
        index.saving = {}
        freeze_long_lived()  # what the fold holds lives long

    async def _write(self, index: TrialIndex, rows: list[Row]) -> None:
        """Save ``rows`` (a failure is logged: what it would have saved is rebuilt from
        the log when it is read back)."""
        if index.forgotten:
            return
        try:
            await self._tracked(self._checkpoints.save(index.trial_id, rows))
        except Exception:
            logger.exception("could not save the audit checkpoints of trial %s", index.trial_id)

    def _tracked(self, saving: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(saving)
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)
        return task

    async def _rebuilt(self, index: TrialIndex, key: Key) -> Any:
        """A state whose checkpoint could not be read: the stream's last one before it
        that can, plus the stream's events up to it; saved again."""
        stream_id, count = key
        trial_id, versions = index.trial_id, index.versions[stream_id]
        i = bisect_left(versions.counts, count)
        state, from_version = None, 1
        for j in range(i - 1, -1, -1):
            earlier = (stream_id, versions.counts[j])
            state = self._at_hand(index, earlier)
            if state is None:
                stored = await self._checkpoints.load(trial_id, [earlier])
                decoded = await asyncio.to_thread(_decoded, trial_id, [earlier], stored)
                state = decoded[earlier][0] if earlier in decoded else None
            if state is not None:
                from_version = versions.stream_versions[j] + 1
                break
        until = versions.stream_versions[i]
        fold = TrialFold(trial_id, {stream_id: state} if state is not None else None)
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
        line = line_of(stream_id, state)
        position = index.positions.at_checkpoint(count)
        await self._write(index, [Row(stream_id, count, position, until, data, line)])
        self.resident.keep((trial_id, stream_id, count), state, cost)
        logger.info(
            "rebuilt the audit checkpoint of trial %s at %d events (state of %s) from the log",
            trial_id,
            count,
            stream_id,
        )
        return state


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
