"""An append in its store's writer queue, and the writer's record of whether it was written.

:meth:`events.store.EventStore.queue` puts an append in the writer's queue at once, in call
order, and returns a :class:`QueuedAppend` to await. A caller can then decide its next
append on the state the queued one will produce, before it commits, and queue that one
``after`` it: the writer writes it only if the earlier one was written. That lets one
stream's appends be decided while earlier ones are still on their way to the disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from events.envelope import AppendResult


class AppendTicket:
    """Whether the writer wrote an append: None until it decided, then True or False.

    Set only by the writer, once the transaction holding the append has committed (or the
    append failed); read by the writer when a later append names it in ``after``."""

    __slots__ = ("written",)

    def __init__(self) -> None:
        self.written: bool | None = None


class QueuedAppend:
    """A queued append: ``await`` it for its :class:`AppendResult` once durable, or its error."""

    __slots__ = ("_future", "ticket")

    def __init__(self, ticket: AppendTicket, future: asyncio.Future[AppendResult]) -> None:
        self.ticket = ticket
        self._future = future

    def done(self) -> bool:
        """True once the writer has settled the append (awaiting it no longer waits)."""
        return self._future.done()

    def __await__(self) -> Generator[Any, None, AppendResult]:
        return self._future.__await__()
