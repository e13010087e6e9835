"""A running server forgets what it read of a person before their data was erased.

Once :class:`~domain.personal_data.PersonalDataErased` is recorded, the log reads the
person's sealed values as ``[erased]`` (:class:`server.personal_data.ErasedKeys`), but
what this process folded before still holds them in clear. :class:`ForgetErasedData`, a
projection of the process's log follower placed after those it clears, makes it forget
on reading the event, in every process sharing the database: the state cache drops every
state (the next load folds the stream again from the log), the audit history drops its
trials' checkpoints, the events kept in memory for subscribers are dropped, and the
directory reads the person's names as erased at once
(:meth:`~server.commands.directory.Directory.forget_person`). Then, once the snapshots
being saved have been written, those saved up to the erasure's position are deleted
again: one encoded from an older fold could have been written after the erasure deleted
them. See docs/event-store.md ("Personal data").
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from events import EventStore, RecordedEvent
from events.snapshots import ProjectionSnapshots
from server.audit.history import TrialHistory
from server.commands.directory import Directory
from server.commands.state_cache import StateCache
from server.personal_data import ERASURE_TYPE, drop_snapshots_with_personal_data

logger = logging.getLogger(__name__)


class ForgetErasedData:
    """The follower's projection that drops this process's folds on an erasure."""

    name = "forget erased personal data"

    def __init__(
        self,
        store: EventStore,
        engine: AsyncEngine,
        snapshots: ProjectionSnapshots,
        *,
        states: StateCache,
        directory: Directory,
        history: TrialHistory,
    ) -> None:
        self._store = store
        self._engine = engine
        self._snapshots = snapshots
        self._states = states
        self._directory = directory
        self._history = history
        self._cleaning: asyncio.Task[None] | None = None

    async def catch_up(self, head: int) -> None:
        """Nothing: what this process folds from now on reads the log as it is."""

    def apply(self, event: RecordedEvent) -> None:
        if event.type != ERASURE_TYPE:
            return
        self._states.forget_all()
        self._history.forget_all()
        self._store.forget_recent()  # the events it committed last, decoded (events/recent.py)
        subjects = event.data.get("subjects")
        user_id = event.data.get("user_id")
        if isinstance(user_id, str) and isinstance(subjects, list):
            self._directory.forget_person(user_id, (str(subject) for subject in subjects))
        self._cleaning = asyncio.create_task(
            self._clean_up(event.position, self._cleaning), name="after an erasure"
        )

    async def settled(self) -> None:
        """Return once the snapshots saved before the erasure are cleaned."""
        while (task := self._cleaning) is not None:
            await asyncio.gather(task, return_exceptions=True)
            if self._cleaning is task:
                self._cleaning = None

    def stopped(self, failure: BaseException | None) -> None:
        if self._cleaning is not None:
            self._cleaning.cancel()

    async def _clean_up(self, position: int, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        try:
            await self._snapshots.close()  # waits for the saves under way; it closes nothing
            await self._history.settled()  # its audit checkpoints' saves, too
            dropped = await drop_snapshots_with_personal_data(self._engine, up_to=position)
        except Exception:
            logger.exception("could not delete the snapshots saved before the erasure")
            return
        if dropped:
            logger.info("deleted %d snapshot(s) saved before the erasure", dropped)
