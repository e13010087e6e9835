"""What :class:`server.audit.history.TrialHistory` knows of one trial: the positions of its
events, its checkpoints, each stream's versions, and the fold at the head."""

from __future__ import annotations

import asyncio
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from domain.streams import StreamKind, parse_stream
from server.audit.checkpoint_store import Key, SavedIndex
from server.audit.trial_fold import TrialFold
from server.audit.trial_positions import TrialPositions

_NAMED_ALONE = frozenset({StreamKind.WORKSPACE, StreamKind.PROTOCOL})
"""The kinds with one stream a trial: every other kind's streams end in an id, and the
name without it (``trial/T/motion``) says the kind."""


@dataclass(slots=True)
class StreamVersions:
    """One stream's checkpoints: it changed in the trial's first ``counts[i]`` events,
    reaching its version ``stream_versions[i]``."""

    kind: StreamKind
    counts: array[int] = field(default_factory=lambda: array("q"))
    stream_versions: array[int] = field(default_factory=lambda: array("q"))

    def last_at(self, count: int) -> int | None:
        """The count of its last checkpoint at or before ``count`` (None: none yet)."""
        i = bisect_right(self.counts, count)
        return self.counts[i - 1] if i else None

    def version_at(self, count: int) -> int:
        """The stream's version at its checkpoint ``count``."""
        return self.stream_versions[bisect_left(self.counts, count)]


@dataclass(slots=True)
class TrialIndex:
    """One trial's index (mutable; changed under ``lock`` by its catch-up)."""

    trial_id: str
    spacing: int
    """Trial events between checkpoints."""
    fold: TrialFold
    """The trial's streams at the head that changed since the last save (the others are
    read back from the checkpoints when they change again)."""
    positions: TrialPositions = field(default_factory=TrialPositions)
    """The positions of the trial's events (a saved checkpoint's read when asked for)."""
    versions: dict[str, StreamVersions] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    """Streams changed since the last checkpoint, with their version now."""
    unsaved: dict[Key, Any] = field(default_factory=dict)
    """States of checkpoints not saved yet."""
    unsaved_checkpoints: list[int] = field(default_factory=list)
    saving: dict[Key, Any] = field(default_factory=dict)
    """States of checkpoints being saved (by ``save``)."""
    save: asyncio.Task[None] | None = None
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

    def start_from(self, saved: SavedIndex) -> None:
        """Start from the saved checkpoints: the log is read after the last one."""
        self.positions.start_from(saved.checkpoints, saved.ends)
        kinds: dict[str, StreamKind] = {}
        for stream_id, count, stream_version in saved.versions:
            versions = self.versions.get(stream_id)
            if versions is None:
                kind = _kind(stream_id, kinds)
                if kind is None:  # not saved by this code: ignore it
                    continue
                versions = self.versions[stream_id] = StreamVersions(kind)
            versions.counts.append(count)
            versions.stream_versions.append(stream_version)
        self.scanned = self.positions.last
        self.loaded = True

    def checkpoint(self) -> None:
        """A checkpoint now: the streams changed since the last one get a version."""
        count = len(self.positions)
        for stream_id, stream_version in self.changed.items():
            versions = self.versions.get(stream_id)
            if versions is None:
                stream = parse_stream(stream_id)
                assert stream is not None  # the fold applied its event
                versions = self.versions[stream_id] = StreamVersions(stream.kind)
            versions.counts.append(count)
            versions.stream_versions.append(stream_version)
            self.unsaved[stream_id, count] = self.fold.state_of(stream_id)
        self.changed.clear()
        self.positions.close_checkpoint()
        self.unsaved_checkpoints.append(count)

    @property
    def checkpoints(self) -> list[int]:
        """The counts of trial events the checkpoints hold, ascending (0 first)."""
        return self.positions.counts

    def checkpoint_at(self, count: int) -> int:
        """The last checkpoint at or before the trial's ``count``-th event."""
        counts = self.positions.counts
        return counts[bisect_right(counts, count) - 1]

    def held(self, key: Key) -> Any | None:
        """The state at ``key`` if it is not saved yet or being saved."""
        state = self.unsaved.get(key)
        return self.saving.get(key) if state is None else state


def _kind(stream_id: str, kinds: dict[str, StreamKind]) -> StreamKind | None:
    """The kind of a stream of a trial, parsed once for each name without its id (the
    kind of ``trial/T/motion/M`` is that of every ``trial/T/motion/<id>``): 7,900 names
    parsed took 20-50 ms of a restart's first answer."""
    head, _, last = stream_id.rpartition("/")
    kind = kinds.get(head) if last else None
    if kind is None:
        stream = parse_stream(stream_id)
        if stream is None:
            return None
        kind = stream.kind
        if kind not in _NAMED_ALONE:
            kinds[head] = kind
    return kind
