"""Long audit work on the event loop, in slices, so that other requests are served between
them: folding a trial's history, writing its trail."""

from __future__ import annotations

import asyncio
from time import perf_counter

SLICE_SECONDS = 0.005
"""How long a job works before the event loop gets a turn: what another request waits for
it at most (plus one step of the job)."""


class LoopShare:
    """Call :meth:`turn` between the small steps of a long job (an event folded, a row
    written). Once ``slice_seconds`` have passed since the loop last had a turn, it gives
    the loop one, so every other task that is ready runs before the job goes on."""

    __slots__ = ("_slice", "_until")

    def __init__(self, slice_seconds: float = SLICE_SECONDS) -> None:
        self._slice = slice_seconds
        self._until = perf_counter() + slice_seconds

    async def turn(self) -> None:
        if perf_counter() >= self._until:
            await asyncio.sleep(0)
            self._until = perf_counter() + self._slice
