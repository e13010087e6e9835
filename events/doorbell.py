"""A payload-free wake-up for subscribers: "the log may have grown, go and read".

The doorbell carries no events, so a missed or doubled ring can only delay a reader,
never make it skip or repeat an event; subscribers also poll on a bounded interval.
"""

from __future__ import annotations

import asyncio
import threading


class Doorbell:
    """Rung from any thread; awaited from any event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rings = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()

    def ticket(self) -> int:
        """Take before reading; pass to :meth:`wait` so a ring in between is not missed."""
        return self._rings

    def ring(self) -> None:
        with self._lock:
            self._rings += 1
            waiters, self._waiters = self._waiters, set()
        for loop, future in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_wake, future)

    async def wait(self, ticket: int, timeout: float) -> None:  # noqa: ASYNC109
        """Return after a ring later than ``ticket``, or after ``timeout`` seconds.

        The bounded wait is the point: it is the subscribers' poll fallback."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (loop, future)
        with self._lock:
            if self._rings != ticket:
                return
            self._waiters.add(waiter)
        try:
            await asyncio.wait((future,), timeout=timeout)
        finally:
            with self._lock:
                self._waiters.discard(waiter)
            future.cancel()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
