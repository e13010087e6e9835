"""The events this process committed last, kept in memory for its own subscribers.

The writer publishes each committed batch here (decoded once) before it rings the
doorbell, so a subscriber in the same process that is at most a few thousand events
behind takes the new events from memory instead of reading them back from the database.
Only a run of consecutive positions is kept: when a batch does not follow the last one (a
writer in another process committed in between), the run starts again at that batch, and
a subscriber whose next position is not in the run reads the database as before. So an
event taken from here is exactly the event the database holds at that position, and the
subscription's "each event once, in position order" holds whichever source it reads.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Sequence

from events.envelope import RecordedEvent

DEFAULT_CAPACITY = 4096


class RecentEvents:
    """A bounded run of consecutive committed events; written by the writer (any thread),
    read by subscribers (any event loop)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._lock = threading.Lock()
        self._events: deque[RecordedEvent] = deque(maxlen=capacity)

    def publish(self, committed: Sequence[RecordedEvent]) -> None:
        """Add a committed batch (consecutive positions, in order)."""
        if not committed:
            return
        with self._lock:
            if self._events and committed[0].position != self._events[-1].position + 1:
                self._events.clear()
            self._events.extend(committed)

    def after(self, position: int, limit: int) -> list[RecordedEvent] | None:
        """Up to ``limit`` events from ``position + 1`` on, or None when that position is
        not in memory (not committed here yet, committed elsewhere, or dropped already):
        the caller reads the database then."""
        with self._lock:
            if not self._events:
                return None
            first = self._events[0].position
            if not first <= position + 1 <= self._events[-1].position:
                return None
            start = position + 1 - first
            return list(itertools.islice(self._events, start, start + limit))
