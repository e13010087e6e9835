"""What a process says while its projections catch up with a long stretch of the log.

A projection that starts from a snapshot reads at most a few tens of thousands of events
and says nothing. One with no snapshot to start from (the first start on a large log, or
after its snapshot's format changed) may read a million: then a line says so on standard
error, a progress line follows it on a terminal (``server/audit/progress.py``), and a last
line says how long it took. The projection saves a snapshot when done, so the next start
is quick again.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import TextIO

from events.snapshots import SAVE_EVERY, CatchUpProgress
from server.audit.progress import Progress, progress_bar


class StartupProgress:
    """Hands each projection a :data:`events.snapshots.CatchUpProgress` (:meth:`of`) that
    reports on ``to`` (standard error) when it has at least ``at_least`` positions to read."""

    def __init__(
        self,
        *,
        to: TextIO | None = None,
        at_least: int = SAVE_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._to = to
        self._at_least = at_least
        self._clock = clock
        self._bars: dict[str, tuple[ExitStack, Progress, float]] = {}
        self._done: set[str] = set()

    def of(self, name: str) -> CatchUpProgress:
        """The progress callback for the projection ``name``."""

        def progress(start: int, done: int, head: int) -> None:
            if head - start < self._at_least or name in self._done:
                return
            if name not in self._bars:
                self._begin(name, start, head)
            _, advance, began = self._bars[name]
            advance(done - start, head - start)
            if done >= head:
                self._done.add(name)
                self._end(name, f"caught up the {name} in {self._clock() - began:.1f} s")

        return progress

    def close(self) -> None:
        """Wipe any progress line still drawn (a catch-up that failed)."""
        for name in list(self._bars):
            self._end(name, None)

    def _begin(self, name: str, start: int, head: int) -> None:
        self._say(
            f"catching up the {name} from position {start:,} to {head:,} (no snapshot near"
            " the head: one is saved when done)"
        )
        stack = ExitStack()
        bar = progress_bar(
            f"catching up the {name} from position {start:,}", "position", to=self._to
        )
        self._bars[name] = (stack, stack.enter_context(bar), self._clock())

    def _end(self, name: str, message: str | None) -> None:
        stack, _, _ = self._bars.pop(name)
        stack.close()
        if message is not None:
            self._say(message)

    def _say(self, message: str) -> None:
        stream = sys.stderr if self._to is None else self._to
        print(message, file=stream, flush=True)
