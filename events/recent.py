"""The events this process committed last, kept in memory for its own subscribers.

The writer publishes each committed batch here, as the rows it wrote, before it rings the
doorbell, so a subscriber in the same process that is at most a few thousand events
behind takes the new events from memory instead of reading them back from the database.
A batch is decoded when a subscriber first asks for it, once, on the subscriber's side:
the writer's thread spends nothing on decoding, and a process without subscribers never
decodes at all.

Only a run of consecutive positions is kept: when a batch does not follow the last one (a
writer in another process committed in between), the run starts again at that batch, and
a subscriber whose next position is not in the run reads the database as before. So an
event taken from here is exactly the event the database holds at that position, and the
subscription's "each event once, in position order" holds whichever source it reads.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from events.envelope import RecordedEvent

DEFAULT_CAPACITY = 4096

Decode = Callable[[Sequence[tuple[Any, ...]]], list[RecordedEvent]]


class _Batch:
    """One committed batch: its rows (``EVENT_COLUMNS`` order, position first), and its
    events once a subscriber has asked. Decoded outside the run's lock, so the writer never
    waits for a subscriber's decoding; two subscribers racing both decode the same rows to
    equal events, and either result may stay."""

    __slots__ = ("events", "first", "rows")

    def __init__(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.first: int = rows[0][0]
        self.rows = rows
        self.events: list[RecordedEvent] | None = None

    def decoded(self, decode: Decode) -> list[RecordedEvent]:
        events = self.events
        if events is None:
            events = self.events = decode(self.rows)
        return events


class RecentEvents:
    """A bounded run of consecutive committed events; written by the writer (any thread),
    read by subscribers (any event loop)."""

    def __init__(self, decode: Decode, capacity: int = DEFAULT_CAPACITY) -> None:
        self._decode = decode
        self._capacity = capacity
        self._lock = threading.Lock()
        self._batches: deque[_Batch] = deque()
        self._count = 0
        self._next = 0
        """The position after the run's last event (0 while empty)."""

    def publish(self, committed: Sequence[tuple[Any, ...]]) -> None:
        """Add a committed batch of rows (consecutive positions, in order)."""
        if not committed:
            return
        batch = _Batch(committed)
        with self._lock:
            if batch.first != self._next:
                self._batches.clear()
                self._count = 0
            self._batches.append(batch)
            self._count += len(committed)
            self._next = batch.first + len(committed)
            while self._count - len(self._batches[0].rows) >= self._capacity:
                self._count -= len(self._batches.popleft().rows)

    def clear(self) -> None:
        """Forget every event kept (a person's data was erased: those decoded before may
        hold it in clear); subscribers read the database until the writer publishes
        again. A decoding under way ends for its subscriber alone."""
        with self._lock:
            self._batches.clear()
            self._count = 0

    def after(self, position: int, limit: int) -> list[RecordedEvent] | None:
        """Up to ``limit`` events from ``position + 1`` on, or None when that position is
        not in memory (not committed here yet, committed elsewhere, or dropped already):
        the caller reads the database then."""
        wanted = position + 1
        with self._lock:
            if not self._batches or not self._batches[0].first <= wanted < self._next:
                return None
            index = bisect.bisect_right(self._batches, wanted, key=lambda batch: batch.first) - 1
            batches, count = [], 0
            for batch in itertools.islice(self._batches, index, None):
                batches.append(batch)
                count += len(batch.rows) - max(wanted - batch.first, 0)
                if count >= limit:
                    break
        found: list[RecordedEvent] = []
        for batch in batches:
            start = max(wanted - batch.first, 0)
            found.extend(batch.decoded(self._decode)[start : start + limit - len(found)])
        return found
