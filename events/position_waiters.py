"""Callers waiting for a projection to reach a log position, each woken only when its
position is reached (not every waiter on every event)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable


class PositionWaiters:
    """A heap of futures by the position each waits for."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, asyncio.Future[None]]] = []
        self._tickets = itertools.count()

    async def wait(self, position: int) -> None:
        """Return once :meth:`reached` is called with ``position`` or later (the caller
        checks first whether it is reached already); raise what :meth:`fail` gives."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (position, next(self._tickets), future))
        await future

    def reached(self, position: int) -> None:
        """Wake every waiter for ``position`` or earlier."""
        heap = self._heap
        while heap and heap[0][0] <= position:
            future = heapq.heappop(heap)[2]
            if not future.done():
                future.set_result(None)

    def fail(self, error: Callable[[], BaseException]) -> None:
        """Wake every waiter with a new ``error()`` each."""
        waiting, self._heap = self._heap, []
        for _, _, future in waiting:
            if not future.done():
                future.set_exception(error())
