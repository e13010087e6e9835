"""The states this process's queued appends will produce, until the writer settles them.

A command on a stream with an append still on its way to the disk is decided on the state
that append will leave, and queued ``after`` it (:meth:`events.EventStore.queue`): if the
earlier append is refused, so is every one decided on it. Appends decided one on another
form a chain; a refusal ends the chain, and the next command decides on the log again.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from events import QueuedAppend
from server.commands.state_cache import Loaded


@dataclass(frozen=True, slots=True)
class Pending:
    """A queued append's stream: the state and version it will leave once written."""

    loaded: Loaded[Any]
    queued: QueuedAppend
    chain: int


class PendingStates:
    """The latest pending state per stream (a stream without one is as the log has it)."""

    def __init__(self) -> None:
        self._latest: dict[str, Pending] = {}
        self._chains = itertools.count()

    def latest(self, stream_id: str) -> Pending | None:
        return self._latest.get(stream_id)

    def queued(
        self, stream_id: str, loaded: Loaded[Any], queued: QueuedAppend, on: Pending | None
    ) -> Pending:
        """``queued`` will take ``stream_id`` to ``loaded``; it was decided on ``on``
        (None: on the log's state, which starts a chain)."""
        chain = on.chain if on is not None else next(self._chains)
        pending = self._latest[stream_id] = Pending(loaded, queued, chain)
        return pending

    def settled(self, stream_id: str, pending: Pending, *, written: bool) -> None:
        """The writer settled ``pending``. Written: if nothing was queued after it, the
        stream is as the log (and the state cache) has it. Refused: so is everything
        queued after it on this chain, which is forgotten."""
        latest = self._latest.get(stream_id)
        if latest is pending or (
            not written and latest is not None and latest.chain == pending.chain
        ):
            del self._latest[stream_id]
