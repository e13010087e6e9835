"""Keep an in-memory projection current by following the log in a background task.

A :class:`LogFollower` hands every event after its starting position to an ``apply``
function, in position order and exactly once, then waits for new ones. Callers that have
just appended use :meth:`LogFollower.wait_for` with the append's last position to read
their own writes from the projection.

It follows the whole log, unfiltered: with a type filter the follower could not tell that
it has passed a position whose event it was not shown, and ``wait_for`` would hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from events.envelope import RecordedEvent
from events.position_waiters import PositionWaiters
from events.store import EventStore

logger = logging.getLogger(__name__)


class ProjectionFailed(RuntimeError):
    """The projection stopped applying events; its answers would be stale."""


class LogFollower:
    """Applies the log to a projection in the background and tracks how far it got."""

    def __init__(
        self,
        store: EventStore,
        apply: Callable[[RecordedEvent], None],
        *,
        name: str,
        after: int = 0,
    ) -> None:
        self._store = store
        self._apply = apply
        self._name = name
        self._position = after
        self._waiters = PositionWaiters()
        self._failure: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def position(self) -> int:
        """The position of the last event applied."""
        return self._position

    @property
    def following(self) -> bool:
        """True while the background task applies the log: started, not failed nor closed."""
        return self._task is not None and self._failure is None

    def check(self) -> None:
        """Raise :class:`ProjectionFailed` if following stopped on an error."""
        if self._failure is not None:
            raise self._stopped()

    async def start(self) -> None:
        """Apply everything already in the log, then keep following in the background."""
        head = await self._store.head_position()
        self._task = asyncio.create_task(self._follow(), name=f"follow-{self._name}")
        await self.wait_for(head)

    async def wait_for(self, position: int) -> None:
        """Return once every event up to ``position`` has been applied."""
        if self._position < position and self._failure is None:
            await self._waiters.wait(position)
        self.check()

    async def close(self) -> None:
        """Stop following (idempotent)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        try:
            async for event in self._store.subscribe(after=self._position):
                self._apply(event)
                self._position = event.position
                self._waiters.reached(event.position)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.exception("the %s projection stopped at position %d", self._name, self._position)
            self._failure = error
            self._waiters.fail(self._stopped)

    def _stopped(self) -> ProjectionFailed:
        stopped = ProjectionFailed(f"the {self._name} projection stopped")
        stopped.__cause__ = self._failure
        return stopped
