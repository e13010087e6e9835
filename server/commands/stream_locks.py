"""Per-stream locks for deciding commands: one decision at a time per stream, per process.

A lock lives while someone holds or awaits it, then is dropped (the table is weak), so the
table never grows with the number of streams ever touched. Several are always taken in
sorted order, so two commands locking the same pair cannot deadlock.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Iterable


class StreamLocks:
    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @contextlib.asynccontextmanager
    async def held(self, names: Iterable[str]) -> AsyncIterator[None]:
        """Hold the lock of every name (stream ids, or any other key) until the block ends."""
        async with contextlib.AsyncExitStack() as stack:
            for name in sorted(set(names)):
                lock = self._locks.get(name)
                if lock is None:
                    lock = self._locks[name] = asyncio.Lock()
                await stack.enter_async_context(lock)
            yield
