"""Aggregate states saved beside the log, so that a restarted process need not fold a
long stream from its first event.

The state cache folds a stream once and then keeps it current; after a restart, the
first read of a stream of 300,000 events would fold them all again. So once a stream's
cached state is :data:`SAVE_AFTER` events past its last snapshot, the state is saved
(in the background, encoded off the event loop a piece at a time: ``json_in_pieces``)
as a projection snapshot named after the stream (``events/snapshots.py``: checked
against the log's hash at its position and its own digest, and ignored when it does not
check out). A state is the domain's frozen dataclass, written as JSON by ``domain.codec``
(never pickle), with the stream's version.

:data:`SCHEMA_VERSION` names the states' shape and meaning: bump it whenever an
``evolve`` changes what a state holds or how an event changes it, so that older
snapshots are ignored and the streams folded afresh. A change of shape alone is also
caught (the codec refuses data that does not fit), and such a snapshot is ignored too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec

from domain.codec import DataDoesNotFit, decode, encode
from events.snapshots import SNAPSHOT_UNREADABLE, ProjectionSnapshot, ProjectionSnapshots, ignored
from server.commands.json_in_pieces import encoded_in_pieces

S = TypeVar("S")

SCHEMA_VERSION = 2
"""The shape and meaning of the saved states (see the module's docstring). 2: a
section's revisions keep their contributors."""

SAVE_AFTER = 1_000
"""Events of a stream between two snapshots of its state: a restart folds at most this
many of them (a few milliseconds) after reading the snapshot."""


@dataclass(frozen=True, slots=True)
class SavedState(Generic[S]):
    """A stream's state after its event ``version`` (at log position ``position``)."""

    state: S
    version: int
    position: int


def snapshot_name(stream_id: str) -> str:
    return f"state of {stream_id}"


class StateSnapshots:
    """Reads and saves the states of streams in ``snapshots``."""

    def __init__(self, snapshots: ProjectionSnapshots, *, save_after: int = SAVE_AFTER) -> None:
        if save_after < 1:
            raise ValueError(f"save after 1 event or more, not {save_after}")
        self.save_after = save_after
        self._snapshots = snapshots

    async def newest(self, stream_id: str, state_type: type[S]) -> SavedState[S] | None:
        """The newest saved state of ``stream_id`` that checks out and can be read as a
        ``state_type``, or None (an unreadable one is logged and passed over)."""
        name = snapshot_name(stream_id)
        snapshot = await self._snapshots.newest(name, SCHEMA_VERSION)
        if snapshot is None:
            return None
        try:
            return await asyncio.to_thread(_read, snapshot, state_type)
        except SNAPSHOT_UNREADABLE as unreadable:  # DataDoesNotFit is a ValueError
            ignored(name, snapshot.position, f"its state cannot be read: {unreadable}")
            return None

    def save_later(self, stream_id: str, saved: SavedState[Any]) -> None:
        """Encode and save ``saved`` in the background (states are immutable, so it is
        encoded in a worker thread while the loop goes on); a failure is logged."""
        self._snapshots.save_later(
            snapshot_name(stream_id), saved.position, SCHEMA_VERSION, lambda: _write(saved)
        )

    async def close(self) -> None:
        """Wait until every save under way has ended."""
        await self._snapshots.close()


def _write(saved: SavedState[Any]) -> bytes:
    # in pieces: one call for a 100,000-comment state would hold the interpreter ~100 ms
    return encoded_in_pieces({"version": saved.version, "state": encode(saved.state)})


def _read(snapshot: ProjectionSnapshot, state_type: type[S]) -> SavedState[S]:
    data = msgspec.json.decode(snapshot.data)
    version = data["version"]
    if not isinstance(version, int) or version < 1:
        raise DataDoesNotFit(f"a stream version is 1 or more, not {version!r}")
    return SavedState(decode(state_type, data["state"]), version, snapshot.position)
