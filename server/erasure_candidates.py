"""The accounts whose streams may hold a pending erasure request, kept beside the log.

Erasure requests are few and live in the accounts' streams, but nothing indexes them by
type: finding them means reading the log's requests, which SQLite does by walking every
position (0.36 s at a million events, on the first inbox read of every process). So the
accounts found are saved as a projection snapshot (``events/snapshots.py``: checked
against the log's hash at its position, ignored when it does not check out), and a
process starts from the newest one: it reads only the requests logged after it. The
first look in a database without one reads the whole log once, and saves it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import msgspec

from domain.account_events import account_of
from domain.erasure_requests import PersonalDataErasureRequested
from events import EventStore
from events.snapshots import (
    SNAPSHOT_UNREADABLE,
    ProjectionSnapshot,
    ProjectionSnapshots,
    ignored,
)

REQUESTED_TYPE = PersonalDataErasureRequested.event_type
SNAPSHOT_NAME = "erasure request candidates"
SCHEMA_VERSION = 1
"""The snapshot's shape: a JSON list of user ids."""
REREAD_MARGIN = 1000
"""Positions read again each time the pending requests are looked for: an event committed
after a later position was read (PostgreSQL commits concurrent appends in any order) is
still found."""


@dataclass(slots=True)
class ErasureCandidates:
    """The accounts that may hold a pending request, up to ``position`` (one per store:
    :func:`candidates_of`)."""

    position: int = 0
    users: set[str] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    saved: int = 0
    """The position of the newest snapshot read or saved."""

    async def look(self, store: EventStore, snapshots: ProjectionSnapshots) -> list[str]:
        """The candidates now, oldest account id first: those known, and the accounts of
        the requests logged since the last look (or since the newest snapshot)."""
        async with self.lock:
            head = await store.head_position()
            if self.position == 0:
                await self._restore(snapshots, head)
            after = max(0, self.position - REREAD_MARGIN)
            async for page in store.pages(after=after, until=head, types=(REQUESTED_TYPE,)):
                self.users.update(
                    user_id for event in page if (user_id := account_of(event.stream_id))
                )
            self.position = max(self.position, head)
            if self.position and self.position - self.saved >= snapshots.every:
                data = msgspec.json.encode(sorted(self.users))
                snapshot = ProjectionSnapshot(SNAPSHOT_NAME, self.position, SCHEMA_VERSION, data)
                await snapshots.save(snapshot)
                self.saved = self.position
            return sorted(self.users)

    def settled(self, user_id: str) -> None:
        """``user_id``'s stream holds no pending request (a later one is found by the next
        look, from the position reached)."""
        self.users.discard(user_id)

    async def _restore(self, snapshots: ProjectionSnapshots, head: int) -> None:
        snapshot = await snapshots.newest(SNAPSHOT_NAME, SCHEMA_VERSION, at_most=head)
        if snapshot is None:
            return
        try:
            users = msgspec.json.decode(snapshot.data, type=list[str])
        except SNAPSHOT_UNREADABLE as unreadable:
            ignored(SNAPSHOT_NAME, snapshot.position, f"its data cannot be read: {unreadable}")
            return
        self.users.update(users)
        self.position = self.saved = snapshot.position


_candidates: WeakKeyDictionary[EventStore, ErasureCandidates] = WeakKeyDictionary()


def candidates_of(store: EventStore) -> ErasureCandidates:
    """The candidates found in ``store``'s log by this process."""
    return _candidates.setdefault(store, ErasureCandidates())
