"""Keep in-memory projections current by following the log in one background task.

A :class:`LogFollower` first brings each of its projections up to the log's head, each
reading what it needs (:meth:`Projection.catch_up`: the whole log, only some types of
event, or nothing when it starts at the head). Then one task follows the log from that
head and hands every event to every projection, in the order they were given, exactly
once and in position order. Callers that have just appended use
:meth:`LogFollower.wait_for` with the append's last position to read their own writes
from every projection.

It follows the whole log, unfiltered: with a type filter the follower could not tell that
it has passed a position whose event it was not shown, and ``wait_for`` would hang.

If an event cannot be applied (or the log cannot be read), following stops for every
projection: each is told why (:meth:`Projection.stopped`), so that none answers from a
state the others have left behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import aclosing
from typing import Protocol

from events.envelope import RecordedEvent
from events.position_waiters import PositionWaiters
from events.store import EventStore

logger = logging.getLogger(__name__)

TASK_NAME = "follow-the-log"
"""The name of a follower's task (then its projections': ``follow-the-log: a, b``)."""


class ProjectionFailed(RuntimeError):
    """The projection stopped applying events; its answers would be stale."""


class Projection(Protocol):
    """What a :class:`LogFollower` keeps current (built on the follower's store)."""

    @property
    def name(self) -> str:
        """What the projection is, for the log and for errors."""
        ...

    async def catch_up(self, head: int) -> None:
        """Apply what the projection needs of the log up to ``head`` (inclusive); the
        follower applies every event after it."""

    def apply(self, event: RecordedEvent) -> None:
        """Apply one event after the head it caught up to. Raising stops the follower."""

    def stopped(self, failure: BaseException | None) -> None:
        """The follower stopped: ``failure`` says why, None when it was closed."""


class LogFollower:
    """Applies the log to its projections in the background and tracks how far it got."""

    def __init__(self, store: EventStore, projections: Sequence[Projection]) -> None:
        self._store = store
        self._projections = tuple(projections)
        self._position = 0
        self._waiters = PositionWaiters()
        self._failure: BaseException | None = None
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The projections' names, in the order each event is applied to them."""
        return tuple(projection.name for projection in self._projections)

    @property
    def position(self) -> int:
        """The position of the last event applied to every projection."""
        return self._position

    @property
    def following(self) -> bool:
        """True while the background task applies the log: started, not failed nor closed."""
        return self._task is not None and self._failure is None

    def check(self) -> None:
        """Raise :class:`ProjectionFailed` if following stopped on an error."""
        if self._failure is not None:
            raise self._stopped_error()

    async def start(self) -> None:
        """Bring every projection up to the head, then keep following in the background.

        A projection whose catch-up raises fails the start; close the follower then."""
        head = await self._store.head_position()
        for projection in self._projections:
            await projection.catch_up(head)
        self._position = head
        names = ", ".join(self.names)
        logger.info("following the log from position %d for: %s (in that order)", head, names)
        self._task = asyncio.create_task(self._follow(), name=f"{TASK_NAME}: {names}")

    async def wait_for(self, position: int) -> None:
        """Return once every projection has applied every event up to ``position``.

        Raises :class:`ProjectionFailed` if following stops before getting there."""
        if self._position < position and self._failure is None:
            if self._closed:
                raise self._stopped_error()
            await self._waiters.wait(position)
        self.check()

    async def close(self) -> None:
        """Stop following and tell every projection (idempotent)."""
        task, self._task = self._task, None
        try:
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    current = asyncio.current_task()
                    if current is not None and current.cancelling():
                        raise
        finally:
            if not self._closed:
                self._closed = True
                if self._failure is None:
                    self._tell_stopped(None)
                self._waiters.fail(self._stopped_error)

    async def _follow(self) -> None:
        events = self._store.subscribe(after=self._position)
        projections = self._projections
        applying: Projection | None = None
        try:
            async with aclosing(events):
                async for event in events:
                    for applying in projections:
                        applying.apply(event)
                    applying = None
                    self._position = event.position
                    self._waiters.reached(event.position)
        except Exception as error:  # CancelledError is not an Exception: close() passes
            where = f"the {applying.name} projection failed" if applying else "reading failed"
            logger.exception(
                "following the log stopped after position %d (%s); every projection stops",
                self._position,
                where,
            )
            self._failure = error
            self._tell_stopped(error)
            self._waiters.fail(self._stopped_error)

    def _tell_stopped(self, failure: BaseException | None) -> None:
        for projection in self._projections:
            try:
                projection.stopped(failure)
            except Exception:
                logger.exception("the %s projection failed to stop", projection.name)

    def _stopped_error(self) -> ProjectionFailed:
        if self._failure is None:
            return ProjectionFailed("the log follower was closed")
        stopped = ProjectionFailed(
            f"following the log stopped after position {self._position} ({', '.join(self.names)})"
        )
        stopped.__cause__ = self._failure
        return stopped
