"""The aggregates the server loads: how each folds, and a cache of their latest states.

A state is the fold of its stream. Folding a long stream on every request would grow
with the trial's history, so :class:`StateCache` keeps each stream's last state with its
version and, on the next load, folds only the events appended since. The log stays the
only source of truth: a cached state is always "the fold up to version N", and a load
always reads past N.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain import amendment, dispute, engagement, motion, protocol, workspace
from domain.catalog import from_data
from events import EventStore

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class AggregateKind(Generic[S]):
    """One kind of aggregate: its name, the state before its first event, and evolve."""

    name: str
    new: S
    evolve: Callable[[S, Any], S]


WORKSPACE = AggregateKind("workspace", workspace.NEW_TRIAL, workspace.evolve)
PROTOCOL = AggregateKind("protocol", protocol.NEW_PROTOCOL, protocol.evolve)
AMENDMENT = AggregateKind("amendment", amendment.NEW_AMENDMENT, amendment.evolve)
MOTION = AggregateKind("motion", motion.NEW_MOTION, motion.evolve)
DISPUTE = AggregateKind("dispute", dispute.NEW_DISPUTE, dispute.evolve)
COMMENTS = AggregateKind("comments", engagement.NEW_THREAD, engagement.evolve)


@dataclass(frozen=True, slots=True)
class Loaded(Generic[S]):
    """A stream's state folded up to ``version`` (0: the stream does not exist)."""

    state: S
    version: int


class StateCache:
    """Latest known state per stream, bounded (least recently used streams are dropped)."""

    def __init__(self, store: EventStore, *, capacity: int = 10_000) -> None:
        self._store = store
        self._capacity = capacity
        self._entries: OrderedDict[str, Loaded[Any]] = OrderedDict()

    async def load(self, kind: AggregateKind[S], stream_id: str) -> Loaded[S]:
        """The stream's current state: the cached fold plus every event appended since."""
        cached: Loaded[S] = self._entries.get(stream_id) or Loaded(kind.new, 0)
        recorded = await self._store.read_stream(stream_id, from_version=cached.version + 1)
        state = cached.state
        for event in recorded:
            state = kind.evolve(state, from_data(event.type, event.data, event.schema_version))
        loaded = Loaded(state, recorded[-1].stream_version) if recorded else cached
        self._remember(stream_id, loaded)
        return loaded

    async def load_at(self, kind: AggregateKind[S], stream_id: str, position: int) -> Loaded[S]:
        """The stream's state as of log position ``position`` (uncached: history)."""
        state, version = kind.new, 0
        for event in await self._store.read_stream(stream_id):
            if event.position > position:
                break
            state = kind.evolve(state, from_data(event.type, event.data, event.schema_version))
            version = event.stream_version
        return Loaded(state, version)

    def _remember(self, stream_id: str, loaded: Loaded[Any]) -> None:
        current = self._entries.get(stream_id)
        # Two concurrent loads may finish out of order: keep the newer fold.
        if current is None or current.version <= loaded.version:
            self._entries[stream_id] = loaded
        self._entries.move_to_end(stream_id)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
