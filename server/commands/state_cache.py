"""The latest state of each stream this process has loaded, kept current cheaply.

A state is the fold of its stream. Folding a long stream on every request would grow
with the trial's history, so :class:`StateCache` keeps each stream's last state with its
version and, on the next load, folds only the events appended since — or reads nothing
when no newer version is known. The log stays the only source of truth: a cached state is
always "the fold up to version N", and an append expecting N fails if the log has moved.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.catalog import from_data
from events import EventStore, RecordedEvent
from server.commands.aggregates import AggregateKind

S = TypeVar("S")

_NEWEST_PER_ENTRY = 10
"""How many streams' newest versions are kept per cached state (they are much smaller)."""


@dataclass(frozen=True, slots=True)
class Loaded(Generic[S]):
    """A stream's state folded up to ``version`` (0: the stream does not exist)."""

    state: S
    version: int


class StateCache:
    """Latest known state per stream, bounded (least recently used streams are dropped).

    A load reads the stream's tail from the log unless the cache already holds the newest
    version this process knows of: the versions this process appended (:meth:`written`
    keeps the states they left) and those the process's follower of the log has shown it
    since :meth:`catch_up` (it is a projection), whoever wrote them. So a stream another
    process appended to is read again once the follower has passed that append (the
    doorbell's or the poll's delay; for a command the expected version catches it sooner:
    retry with ``fresh=True``). Before :meth:`catch_up` and once the follower has stopped,
    every load reads the tail.
    """

    name = "state cache"

    def __init__(self, store: EventStore, *, capacity: int = 10_000) -> None:
        self._store = store
        self._capacity = capacity
        self._entries: OrderedDict[str, _Entry[Any]] = OrderedDict()
        self._newest: OrderedDict[str, int] = OrderedDict()
        self._following = False
        self._starts: dict[str, Callable[[str], Awaitable[Loaded[Any]]]] = {}

    def start_from(
        self, kind: AggregateKind[S], starting_point: Callable[[str], Awaitable[Loaded[S]]]
    ) -> None:
        """Fold ``kind``'s streams from ``starting_point(stream_id)`` (a state at a version,
        kept elsewhere: a projection with snapshots) instead of from their first event."""
        self._starts[kind.name] = starting_point

    async def catch_up(self, head: int) -> None:
        """Start at the head: the follower shows every later event, so that cached states
        need no read while fresh (nothing is read up to ``head``)."""
        self._entries.clear()  # folded before anything was followed: unverifiable
        self._following = True

    def apply(self, event: RecordedEvent) -> None:
        """The follower saw ``event``: its stream has at least its version."""
        self._saw(event.stream_id, event.stream_version)

    def stopped(self, failure: BaseException | None) -> None:
        """The follower stopped: from now on every load reads the tail."""
        self._following = False

    async def load(
        self, kind: AggregateKind[S], stream_id: str, *, fresh: bool = False
    ) -> Loaded[S]:
        """The stream's current state: the cached fold plus every event appended since.

        ``fresh`` reads the tail even when the cache holds the newest known version (after
        the log said otherwise: a wrong expected version)."""
        entry: _Entry[S] | None = self._entries.get(stream_id)
        if entry is not None and not fresh and self._is_newest(stream_id, entry.loaded.version):
            self._entries.move_to_end(stream_id)
            return entry.loaded
        if entry is not None:
            cached = entry.loaded
        elif (start := self._starts.get(kind.name)) is not None:
            cached = await start(stream_id)
        else:
            cached = Loaded(kind.new, 0)
        recorded = await self._store.read_stream(stream_id, from_version=cached.version + 1)
        state = cached.state
        for event in recorded:
            state = kind.evolve(state, from_data(event.type, event.data, event.schema_version))
        loaded = Loaded(state, recorded[-1].stream_version) if recorded else cached
        self._remember(stream_id, _Entry(kind, loaded))
        return loaded

    def written(self, stream_id: str, kind: AggregateKind[S], loaded: Loaded[S]) -> None:
        """This process's append took ``stream_id`` to ``loaded`` (the state it decided
        on, with its own events folded in): cache it, so the next load needs no read."""
        self._saw(stream_id, loaded.version)
        self._remember(stream_id, _Entry(kind, loaded))

    async def load_at(self, kind: AggregateKind[S], stream_id: str, position: int) -> Loaded[S]:
        """The stream's state as of log position ``position`` (uncached: history)."""
        state, version = kind.new, 0
        for event in await self._store.read_stream(stream_id):
            if event.position > position:
                break
            state = kind.evolve(state, from_data(event.type, event.data, event.schema_version))
            version = event.stream_version
        return Loaded(state, version)

    def _is_newest(self, stream_id: str, version: int) -> bool:
        return self._following and version >= self._newest.get(stream_id, 0)

    def _saw(self, stream_id: str, version: int) -> None:
        newest = self._newest
        if newest.get(stream_id, 0) < version:
            newest[stream_id] = version
        newest.move_to_end(stream_id)
        while len(newest) > self._capacity * _NEWEST_PER_ENTRY:
            # Forgetting a stream's newest version makes its cached state unverifiable.
            forgotten, _ = newest.popitem(last=False)
            self._entries.pop(forgotten, None)

    def _remember(self, stream_id: str, entry: _Entry[Any]) -> None:
        current = self._entries.get(stream_id)
        # Two concurrent loads may finish out of order: keep the newer fold.
        if current is None or current.loaded.version <= entry.loaded.version:
            self._entries[stream_id] = entry
        self._entries.move_to_end(stream_id)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)


@dataclass(frozen=True, slots=True)
class _Entry(Generic[S]):
    kind: AggregateKind[S]
    loaded: Loaded[S]
