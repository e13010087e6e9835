"""The latest state of each stream this process has loaded, kept current cheaply.

A state is the fold of its stream. Folding a long stream on every request would grow
with the trial's history, so :class:`StateCache` keeps each stream's last state with its
version and, on the next load, folds only the events appended since — or reads nothing
when no newer version is known. The log stays the only source of truth: a cached state is
always "the fold up to version N", and an append expecting N fails if the log has moved.

No load holds the event loop for long, however long the stream: the events are read a
page at a time and a long page folded in a worker thread, and a stream that is not
cached yet is warmed up once (every load that wants it meanwhile waits for that one
fold). With :class:`server.commands.state_snapshots.StateSnapshots`, a warm-up starts
from the stream's newest saved state, and a state that has gone
:data:`~server.commands.state_snapshots.SAVE_AFTER` events past its snapshot is saved.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.catalog import from_data
from events import EventStore, RecordedEvent
from server.collector import freeze_long_lived
from server.commands.aggregates import AggregateKind
from server.commands.errors import StateWarmingUp
from server.commands.state_snapshots import SavedState, StateSnapshots

S = TypeVar("S")

_NEWEST_PER_ENTRY = 10
"""How many streams' newest versions are kept per cached state (they are much smaller)."""

READ_PAGE = 1_000
"""Events read from the log at a time by a load."""

FOLD_SLICE = 250
"""A page longer than this is folded in a worker thread (shorter ones at once: a millisecond
or two)."""

FREEZE_EVERY = 10_000
"""A long fold takes what it has built out of the garbage collector's full passes every
this many events (each pass would walk it all again: pauses of 100 ms and more while a
thread of 100,000 comments is read)."""


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

    def __init__(
        self,
        store: EventStore,
        *,
        capacity: int = 10_000,
        snapshots: StateSnapshots | None = None,
        patience: float | None = None,
    ) -> None:
        """``patience``: how long a load waits for a stream's first fold (then
        :class:`~server.commands.errors.StateWarmingUp`, while the fold goes on); None
        waits as long as it takes."""
        self._store = store
        self._patience = patience
        self._capacity = capacity
        self._snapshots = snapshots
        self._entries: OrderedDict[str, _Entry[Any]] = OrderedDict()
        self._newest: OrderedDict[str, int] = OrderedDict()
        self._following = False
        self._starts: dict[str, Callable[[str], Awaitable[Loaded[Any]]]] = {}
        self._warming: dict[str, asyncio.Future[Loaded[Any]]] = {}
        self._folded: dict[str, int] = {}
        """How many events each warm-up under way has folded."""
        self._generation = 0
        self._forgotten: set[asyncio.Future[Any]] = set()
        """Warm-ups under way when every state was forgotten (:meth:`close` stops them)."""
        """Changes whenever every state is forgotten (:meth:`forget_all`): a load that
        began before keeps what it folded to itself (and saves no snapshot of it)."""

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
        """The follower saw ``event``: its stream has at least its version (and a cached
        state that has reached it may be due a snapshot)."""
        self._saw(event.stream_id, event.stream_version)
        entry = self._entries.get(event.stream_id)
        if entry is not None and entry.loaded.version == event.stream_version:
            self._snapshot_if_due(event.stream_id, entry, event.position)

    def stopped(self, failure: BaseException | None) -> None:
        """The follower stopped: from now on every load reads the tail."""
        self._following = False

    def forget_all(self) -> None:
        """Drop every cached state (a person's data was erased: what was folded before
        may hold it in clear), so the next load of each stream folds it again from the
        log. Warm-ups and loads under way finish for those who wait for them, but what
        they fold is neither cached nor saved."""
        self._generation += 1
        self._entries.clear()
        for warming in self._warming.values():
            self._forgotten.add(warming)
            warming.add_done_callback(self._forgotten.discard)
        self._warming.clear()
        self._folded.clear()

    async def load(
        self, kind: AggregateKind[S], stream_id: str, *, fresh: bool = False
    ) -> Loaded[S]:
        """The stream's current state: the cached fold plus every event appended since.

        ``fresh`` reads the tail even when the cache holds the newest known version (after
        the log said otherwise: a wrong expected version)."""
        generation = self._generation
        entry: _Entry[S] | None = self._entries.get(stream_id)
        if entry is not None and not fresh and self._is_newest(stream_id, entry.loaded.version):
            self._entries.move_to_end(stream_id)
            return entry.loaded
        if entry is None:
            loaded = await self._warmed_up(kind, stream_id)
            if generation != self._generation:
                return loaded  # every state was forgotten meanwhile: this one stays here
            entry = self._entries[stream_id]
            if not fresh and self._is_newest(stream_id, entry.loaded.version):
                return entry.loaded  # nothing was appended during the warm-up: no read
        return await self._fold_tail(
            kind, stream_id, entry.loaded, entry.snapshot_version, generation
        )

    async def _warmed_up(self, kind: AggregateKind[S], stream_id: str) -> Loaded[S]:
        """The stream folded from its starting point (a saved state, a projection's, or
        nothing) up to its end when the warm-up began: one fold, however many wait."""
        generation = self._generation
        warming = self._warming.get(stream_id)
        if warming is None:
            warming = asyncio.ensure_future(self._warm_up(kind, stream_id, generation))
            self._warming[stream_id] = warming
            warming.add_done_callback(lambda done: self._warm_up_ended(stream_id, done))
        # A waiter that is cancelled (or gives up) does not cancel the warm-up.
        try:
            loaded: Loaded[S] = await asyncio.wait_for(asyncio.shield(warming), self._patience)
        except TimeoutError:
            raise StateWarmingUp(stream_id, self._folded.get(stream_id, 0)) from None
        if stream_id not in self._entries and generation == self._generation:
            self._remember(stream_id, _Entry(kind, loaded, loaded.version))  # dropped meanwhile
        return loaded

    async def settled(self) -> None:
        """Wait until every warm-up under way has ended (failed ones included)."""
        while self._warming:
            await asyncio.gather(*self._warming.values(), return_exceptions=True)

    async def close(self) -> None:
        """Stop the warm-ups under way (nobody will read what they fold)."""
        warming = [*self._warming.values(), *self._forgotten]
        for future in warming:
            future.cancel()
        await asyncio.gather(*warming, return_exceptions=True)

    def _warm_up_ended(self, stream_id: str, warming: asyncio.Future[Any]) -> None:
        if self._warming.get(stream_id) is warming:  # not one begun after a forget_all
            del self._warming[stream_id]
            self._folded.pop(stream_id, None)

    async def _warm_up(self, kind: AggregateKind[S], stream_id: str, generation: int) -> Loaded[S]:
        start = self._starts.get(kind.name)
        saved = None
        if start is not None:
            cached = await start(stream_id)
        elif self._snapshots is not None and (
            saved := await self._snapshots.newest(stream_id, type(kind.new))
        ):
            cached = Loaded(saved.state, saved.version)
        else:
            cached = Loaded(kind.new, 0)
        snapshot_version = saved.version if saved is not None else cached.version
        return await self._fold_tail(kind, stream_id, cached, snapshot_version, generation)

    async def _fold_tail(
        self,
        kind: AggregateKind[S],
        stream_id: str,
        cached: Loaded[S],
        snapshot_version: int,
        generation: int,
    ) -> Loaded[S]:
        """``cached`` with every event appended to the stream since, read a page at a
        time; a long page folded in a worker thread (the domain's states are immutable),
        so the event loop serves other requests meanwhile."""
        state, version, position = cached.state, cached.version, 0
        while True:
            page = await self._store.read_stream(
                stream_id, from_version=version + 1, limit=READ_PAGE
            )
            if len(page) <= FOLD_SLICE:
                state = _folded(kind, state, page)
            else:  # in a worker thread: slices on the loop would make every request wait
                state = await asyncio.to_thread(_folded, kind, state, page)
            if page:
                version, position = page[-1].stream_version, page[-1].position
                if version // FREEZE_EVERY > (version - len(page)) // FREEZE_EVERY:
                    # What a long fold builds is meant to stay: keep it out of the
                    # collector's full passes, which would walk it again and again.
                    freeze_long_lived()
                if stream_id in self._warming and generation == self._generation:
                    self._folded[stream_id] = version
            if len(page) < READ_PAGE:
                break
            await asyncio.sleep(0)
        loaded = Loaded(state, version) if version > cached.version else cached
        if generation != self._generation:
            return loaded  # folded (in part) before every state was forgotten: not kept
        entry = _Entry(kind, loaded, snapshot_version)
        self._remember(stream_id, entry)
        if position:
            self._snapshot_if_due(stream_id, self._entries.get(stream_id, entry), position)
        return loaded

    def written(self, stream_id: str, kind: AggregateKind[S], loaded: Loaded[S]) -> None:
        """This process's append took ``stream_id`` to ``loaded`` (the state it decided
        on, with its own events folded in): cache it, so the next load needs no read."""
        self._saw(stream_id, loaded.version)
        current = self._entries.get(stream_id)
        snapshot_version = current.snapshot_version if current is not None else loaded.version
        self._remember(stream_id, _Entry(kind, loaded, snapshot_version))

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

    def _snapshot_if_due(self, stream_id: str, entry: _Entry[Any], position: int) -> None:
        """Save ``entry``'s state (after the event at ``position``) if it has gone far
        enough past the last one saved, and there is somewhere to save it."""
        snapshots = self._snapshots
        if (
            snapshots is None
            or entry.kind.name in self._starts
            or entry.loaded.version - entry.snapshot_version < snapshots.save_after
        ):
            return
        entry.snapshot_version = entry.loaded.version
        saved = SavedState(entry.loaded.state, entry.loaded.version, position)
        snapshots.save_later(stream_id, saved)


@dataclass(slots=True)
class _Entry(Generic[S]):
    kind: AggregateKind[S]
    loaded: Loaded[S]
    snapshot_version: int
    """The version of the stream's newest saved state (or where its fold began)."""


def _folded(kind: AggregateKind[S], state: S, page: list[RecordedEvent]) -> S:
    for event in page:
        state = kind.evolve(state, from_data(event.type, event.data, event.schema_version))
    return state
