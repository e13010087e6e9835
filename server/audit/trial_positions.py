"""The log positions of one trial's events, in segments between its checkpoints.

A restarted server knows, from the checkpoints' markers (:mod:`server.audit.checkpoint_store`),
each checkpoint's count of events and the log position of its last event; the positions
inside a segment (the marker's bytes) are read only when a question falls inside it
(:meth:`server.audit.checkpoint_states.CheckpointStates.segment`), so a restart's first
answer reads one or two segments, not the trial's every position. The positions read or
appended since are kept: 8 bytes an event."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right


class TrialPositions:
    """Segment ``k`` (``1 <= k < len(counts)``) holds the positions of the trial's events
    ``counts[k-1] + 1`` to ``counts[k]``, the last of them ``ends[k]``; the tail those
    after the last checkpoint. A saved segment is None until it is read."""

    __slots__ = ("_segments", "counts", "ends", "tail")

    def __init__(self) -> None:
        self.counts: list[int] = [0]
        """The counts of trial events the checkpoints hold, ascending (0 first)."""
        self.ends: array[int] = array("q", [0])
        """The log position of each checkpoint's last event (0 for the checkpoint 0)."""
        self._segments: list[array[int] | None] = [array("q")]
        self.tail: array[int] = array("q")
        """The positions after the last checkpoint."""

    def start_from(self, counts: list[int], ends: array[int]) -> None:
        """Start from saved checkpoints, none of their segments read yet."""
        self.counts, self.ends = list(counts), array("q", ends)
        self._segments = [array("q")] + [None] * (len(counts) - 1)
        self.tail = array("q")

    def __len__(self) -> int:
        return self.counts[-1] + len(self.tail)

    @property
    def last(self) -> int:
        """The position of the trial's last event known (0: none)."""
        return self.tail[-1] if self.tail else self.ends[-1]

    def append(self, position: int) -> None:
        self.tail.append(position)

    def close_checkpoint(self) -> None:
        """The events so far make a checkpoint: the tail becomes its segment."""
        self.counts.append(len(self))
        self.ends.append(self.last)
        self._segments.append(self.tail)
        self.tail = array("q")

    def segment_at(self, position: int) -> int:
        """The segment holding the trial's last event at or before ``position`` or the
        first after it (``len(counts)``: the tail)."""
        return max(1, bisect_right(self.ends, position))

    def segment_of(self, count: int) -> int:
        """The segment holding the trial's ``count``-th event (``len(counts)``: the tail)."""
        return bisect_left(self.counts, count)

    def segment(self, k: int) -> array[int] | None:
        """Segment ``k``'s positions (the tail for ``len(counts)``), None if not read yet."""
        return self.tail if k == len(self.counts) else self._segments[k]

    def read(self, k: int, positions: array[int]) -> None:
        """Segment ``k`` as read (checked) from its marker or the log."""
        self._segments[k] = positions

    def at_checkpoint(self, count: int) -> int:
        """The position of the last event of the checkpoint of ``count`` events."""
        k = bisect_left(self.counts, count)
        if k == len(self.counts) or self.counts[k] != count:
            raise ValueError(f"no checkpoint holds {count} events")
        return self.ends[k]
