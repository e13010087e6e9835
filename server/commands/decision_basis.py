"""What one attempt at a command was decided on: the states it read, and the queued
appends among them that its own append must come after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from events import QueuedAppend
from server.commands.aggregates import AggregateKind
from server.commands.pending_states import Pending, PendingStates
from server.commands.state_cache import Loaded, StateCache

S = TypeVar("S")


class DecisionBasis:
    """Loads states for one attempt: a stream with an append of this process still queued
    is taken as that append will leave it, any other from the state cache (``fresh``:
    re-read from the log, after the log refused an expected version)."""

    def __init__(self, states: StateCache, pending: PendingStates, *, fresh: bool) -> None:
        self.fresh = fresh
        self._states = states
        self._pending = pending
        self._read: dict[str, tuple[AggregateKind[Any], Loaded[Any], Pending | None]] = {}

    async def load(self, kind: AggregateKind[S], stream_id: str) -> Loaded[S]:
        pending = self._pending.latest(stream_id)
        loaded: Loaded[S]
        if pending is not None:
            loaded = pending.loaded
        else:
            loaded = await self._states.load(kind, stream_id, fresh=self.fresh)
        self._read[stream_id] = (kind, loaded, pending)
        return loaded

    async def state(self, kind: AggregateKind[S], stream_id: str) -> S:
        """The stream's state, loaded as :meth:`load` does (a :class:`StateReader`)."""
        return (await self.load(kind, stream_id)).state

    async def reload_for_if_match(self, kind: AggregateKind[S], stream_id: str) -> Loaded[S]:
        """The client pinned a version other than the one loaded: unless that one is an
        append of this process still queued (the client cannot have seen past it), ask
        the log, which another process may have moved."""
        _, loaded, pending = self._read[stream_id]
        if pending is None and not self.fresh:
            loaded = await self._states.load(kind, stream_id, fresh=True)
            self._read[stream_id] = (kind, loaded, None)
        return loaded

    def kind(self, stream_id: str) -> AggregateKind[Any]:
        return self._read[stream_id][0]

    def version(self, stream_id: str) -> int:
        return self._read[stream_id][1].version

    def pending(self, stream_id: str) -> Pending | None:
        return self._read[stream_id][2]

    def after(self) -> list[QueuedAppend]:
        """The queued appends whose states this decision read."""
        return [pending.queued for _, _, pending in self._read.values() if pending is not None]

    def folded(self, stream_id: str, events: Sequence[object]) -> Loaded[Any]:
        """The stream's state once ``events`` (decided on it) are appended."""
        kind, loaded, _ = self._read[stream_id]
        state = loaded.state
        for event in events:
            state = kind.evolve(state, event)
        return Loaded(state, loaded.version + len(events))
