"""Application service: load, decide, append — one command in one unit of work.

For a command on one aggregate the service loads the trial (for the actor and the
charter), builds the command for that actor, loads the target stream and lets the target's
kind decide in its context (``server/commands/aggregates.py``), and appends the events
expecting the version it loaded. Commands on the same stream are decided one at a time in
this process, but not written one at a time: once a command's append is queued the stream
is free, and the next command is decided on the state that append will leave and queued
after it (``server/commands/pending_states.py``), so the writer commits them together. A
writer elsewhere (another server) is caught by the expected version, and the command is
decided again on the log — unless the caller pinned a version (If-Match), in which case
it is told (:class:`StaleVersion`) instead.

A command with an idempotency key (``server/commands/idempotency.py``) that was recorded
before is not decided again: it is answered from the events its first attempt recorded.
Once recorded, the service waits until the process's projections have seen the command
(read your writes) and runs the reactions registered for its events
(``server/commands/reactions.py``). Refusals are the domain's errors and those of
``server/commands/errors.py``; nothing here knows HTTP.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.actor import Actor
from domain.catalog import DomainEvent, from_data, to_data
from domain.errors import DomainError
from domain.workspace import CreateTrial, actor_in
from events import (
    AppendResult,
    EventStore,
    NewEvent,
    NotCanonicalJson,
    StreamAppend,
    WrongExpectedVersion,
)
from events import IdempotencyKeyReused as KeyTakenInTheStore
from server.commands.aggregates import WORKSPACE, Situation
from server.commands.decision_basis import DecisionBasis
from server.commands.directory import Directory
from server.commands.errors import (
    CommandNotRecorded,
    ConcurrentChange,
    IdempotencyKeyReused,
    StaleVersion,
    ValueNotRecordable,
)
from server.commands.idempotency import IdempotentRequest
from server.commands.pending_states import Pending, PendingStates
from server.commands.reactions import BuildCommand, Reacting, Reaction
from server.commands.state_cache import StateCache
from server.commands.stream_locks import StreamLocks
from server.commands.targets import Target, workspace_target

S = TypeVar("S")
Meta = Mapping[str, Any]
"""What the log records about who asked and how (JSON values)."""

_RETRIES = 5
_BACKOFF_SECONDS = 0.005
"""Longest wait before the first retry after another process's append; doubled each time
(at most 80 ms before the last), drawn at random so that two retrying processes part."""
_KEY_LOCK_PREFIX = "idempotency-key:"  # in the stream locks' table; no stream id starts so


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command recorded: its events as the log holds them, the last log position and
    the target's version."""

    events: Sequence[NewEvent]
    position: int | None
    """None: the command was accepted but recorded nothing."""
    version: int
    replayed: bool = False
    """True when the command was recorded by an earlier request with the same idempotency
    key, and this is what that one recorded."""


class CommandService:
    """Runs commands against the log; one per process, shared by every caller."""

    def __init__(
        self,
        store: EventStore,
        states: StateCache,
        directory: Directory,
        *,
        settled: Callable[[int], Awaitable[None]],
        reactions: Mapping[str, Sequence[Reaction]],
    ) -> None:
        """``settled(position)`` returns once this process's projections have applied the
        log up to ``position``; ``reactions`` by the event type they follow."""
        self._store = store
        self._states = states
        self._directory = directory
        self._settled = settled
        self._reactions = reactions
        self._pending = PendingStates()
        self._locks = StreamLocks()

    async def execute(
        self,
        target: Target[S],
        user_id: str,
        build: BuildCommand,
        *,
        if_match: int | None = None,
        meta: Meta | None = None,
        idempotency: IdempotentRequest | None = None,
        actor: Actor | None = None,
    ) -> Outcome:
        """Decide ``build(actor)`` for ``user_id`` on ``target`` and append what it decides.

        The actor is ``user_id`` as a member of the trial, with the roles they hold now,
        unless the caller gives ``actor`` (a founder is no member yet). ``if_match`` pins
        the target's version (else :class:`StaleVersion`). With ``idempotency``, a request
        whose key recorded the same request before is not decided again: the outcome is
        that append's (``replayed``); a key used for another request is
        :class:`IdempotencyKeyReused`. A command refused, or that recorded nothing, leaves
        the key unused."""
        meta = meta or {}
        if idempotency is None:
            outcome = await self._execute(target, user_id, build, if_match, meta, actor=actor)
        else:
            outcome = await self._execute_once(
                target, user_id, build, if_match, meta, idempotency, actor=actor
            )
        if outcome.position is not None:
            await self._settled(outcome.position)
            await self._react(target, user_id, outcome, meta)
        return outcome

    async def create_trial(
        self,
        actor: Actor,
        command: CreateTrial,
        meta: Meta,
        *,
        idempotency: IdempotentRequest | None = None,
    ) -> Outcome:
        """Found a trial: the founder, not a member yet, acts as ``actor``."""
        return await self.execute(
            workspace_target(command.trial_id),
            actor.user_id,
            lambda _: command,
            meta=meta,
            idempotency=idempotency,
            actor=actor,
        )

    async def _execute_once(
        self,
        target: Target[S],
        user_id: str,
        build: BuildCommand,
        if_match: int | None,
        meta: Meta,
        idempotency: IdempotentRequest,
        *,
        actor: Actor | None = None,
    ) -> Outcome:
        # One request per key at a time in this process: a retry racing its first attempt
        # waits for it, then is answered from what it recorded. (Deciding it meanwhile, on
        # the state the first attempt's queued append will leave, could refuse it: a
        # second "submit" of the same amendment is an illegal transition.)
        async with self._locks.held([_KEY_LOCK_PREFIX + idempotency.key]):
            earlier = await self._recorded_with(idempotency, target)
            if earlier is not None:
                return earlier
            try:
                return await self._execute(
                    target, user_id, build, if_match, meta, idempotency=idempotency, actor=actor
                )
            except (CommandNotRecorded, DomainError):
                # Refused, perhaps on the state left by the same request that another
                # server recorded meanwhile (its key and its events commit together).
                earlier = await self._recorded_with(idempotency, target)
                if earlier is None:
                    raise
                return earlier

    async def _recorded_with(
        self, idempotency: IdempotentRequest, target: Target[S]
    ) -> Outcome | None:
        """What the request recorded under its key before, or None if the key is unused."""
        keyed = await self._store.keyed_append(idempotency.key)
        if keyed is None:
            return None
        if keyed.digest != idempotency.digest:
            raise IdempotencyKeyReused()
        return await self._replayed(keyed.result, target)

    async def _replayed(self, result: AppendResult, target: Target[S]) -> Outcome:
        """The outcome of an earlier append, from the events it recorded."""
        first, last = result.first_position, result.last_position
        recorded = await self._store.read_all(after=first - 1, limit=last - first + 1)
        # Through the domain's codec, so that a replay answers field for field as the
        # first attempt did (the log keeps its data in canonical key order).
        events = [_recorded(from_data(e.type, e.data, e.schema_version)) for e in recorded]
        # The target's stream comes first in every append (see Decision). Not
        # ``target.stream_id``: that may hold an id drawn for this attempt, not the first's.
        stream_id = recorded[0].stream_id
        # Read your writes: another server may have recorded it, unseen here so far.
        await self._states.load(target.kind, stream_id, fresh=True)
        return Outcome(events, last, result.stream_versions[stream_id], replayed=True)

    async def _execute(
        self,
        target: Target[S],
        user_id: str,
        build: BuildCommand,
        if_match: int | None,
        meta: Meta,
        *,
        actor: Actor | None = None,
        idempotency: IdempotentRequest | None = None,
    ) -> Outcome:
        kind, stream_id = target.kind, target.stream_id
        for attempt in range(_RETRIES):
            basis = DecisionBasis(self._states, self._pending, fresh=attempt > 0)
            trial_stream_id = workspace_target(target.trial_id).stream_id
            trial = (await self._states.load(WORKSPACE, trial_stream_id, fresh=basis.fresh)).state
            command = build(actor or actor_in(trial, user_id))
            also = [
                *kind.also_writes(target.stream, command),
                *kind.also_locks(target.stream, command),
            ]
            async with self._locks.held([stream_id, *also]):
                loaded = await basis.load(kind, stream_id)
                if if_match is not None and if_match != loaded.version:
                    loaded = await basis.reload_for_if_match(kind, stream_id)
                    if if_match != loaded.version:
                        raise StaleVersion(stream_id, if_match, loaded.version)
                situation = Situation(target.stream, trial, basis, self._directory)
                decided = await kind.decide(situation, loaded.state, command)
                recorded = _encoded(decided)
                stored = await self._sealed(recorded)
                queued = self._queue(decided, stored, basis, meta, idempotency)
            # Out of the lock: the next command on these streams is decided on the states
            # this append will leave, while it is written.
            try:
                return await self._settle(queued, recorded, basis, target)
            except KeyTakenInTheStore:
                raise IdempotencyKeyReused() from None
            except WrongExpectedVersion as conflict:
                if if_match is not None:
                    raise StaleVersion(stream_id, if_match, conflict.actual) from None
                if attempt == _RETRIES - 1:
                    raise ConcurrentChange(stream_id) from None
                # Another process wrote the stream first: let it finish before deciding
                # again (at once, the two collide again; with two servers co-editing one
                # section, 3-4 updates in 60 ran out of retries).
                await asyncio.sleep(random.uniform(0, _BACKOFF_SECONDS * 2**attempt))
        raise AssertionError("unreachable")

    async def _sealed(self, recorded: Mapping[str, list[NewEvent]]) -> dict[str, list[NewEvent]]:
        """The events as the log stores them: personal fields sealed under their
        subjects' keys (events/personal_data.py), the rest as decided."""
        personal = self._store.personal_data
        return {stream: await personal.sealed_events(new) for stream, new in recorded.items()}

    def _queue(
        self,
        decided: Mapping[str, Sequence[DomainEvent]],
        recorded: Mapping[str, list[NewEvent]],
        basis: DecisionBasis,
        meta: Meta,
        idempotency: IdempotentRequest | None,
    ) -> dict[str, Pending]:
        """Queue the decided events, expecting the versions they were decided on, after
        the pending appends the decision read; note the states they will leave."""
        appends = [
            StreamAppend(stream_id, events, expected_version=basis.version(stream_id))
            for stream_id, events in recorded.items()
            if events
        ]
        if not appends:
            return {}
        try:
            queued = self._store.queue(
                *appends,
                meta=meta,
                after=basis.after(),
                idempotency_key=idempotency.key if idempotency else None,
                request_digest=idempotency.digest if idempotency else None,
            )
        except NotCanonicalJson as refused:  # e.g. an integer beyond ±(2**53-1)
            raise ValueNotRecordable(str(refused)) from None
        return {
            append.stream_id: self._pending.queued(
                append.stream_id,
                basis.folded(append.stream_id, decided[append.stream_id]),
                queued,
                basis.pending(append.stream_id),
            )
            for append in appends
        }

    async def _settle(
        self,
        queued: Mapping[str, Pending],
        recorded: Mapping[str, list[NewEvent]],
        basis: DecisionBasis,
        target: Target[S],
    ) -> Outcome:
        events = [event for stream_events in recorded.values() for event in stream_events]
        if not queued:
            return Outcome(events, None, basis.version(target.stream_id))
        written = False
        try:
            result = await next(iter(queued.values())).queued
            # A replay (the key's request was recorded by another server meanwhile) wrote
            # nothing: the states folded for this append never came to be, as if refused.
            written = not result.replayed
        finally:
            for stream_id, pending in queued.items():
                if written:
                    self._states.written(stream_id, basis.kind(stream_id), pending.loaded)
                self._pending.settled(stream_id, pending, written=written)
        if result.replayed:
            return await self._replayed(result, target)
        version = result.stream_versions.get(target.stream_id, basis.version(target.stream_id))
        return Outcome(events, result.last_position, version)

    async def _react(self, target: Target[S], user_id: str, outcome: Outcome, meta: Meta) -> None:
        """Run the reactions registered for the events the command recorded."""

        async def run(target: Target[Any], build: BuildCommand) -> Outcome:
            return await self.execute(target, user_id, build, meta=meta)

        reacting = Reacting(target.trial_id, self._directory, run)
        for event in outcome.events:
            for reaction in self._reactions.get(event.type, ()):
                await reaction(reacting)


def _encoded(decided: Mapping[str, Sequence[DomainEvent]]) -> dict[str, list[NewEvent]]:
    """Each decided event in the form the log records (encoded once, here)."""
    return {stream_id: [_recorded(e) for e in events] for stream_id, events in decided.items()}


def _recorded(event: DomainEvent) -> NewEvent:
    return NewEvent(event.event_type, to_data(event), event.schema_version)
