"""Application service: load, decide, append — one command in one unit of work.

For a command on one aggregate the service loads the trial (for the actor and the
charter), the target stream and whatever context the domain asks for, lets the domain
decide, and appends the events expecting the version it loaded. Commands on the same
stream are decided one at a time in this process, but not written one at a time: once a
command's append is queued the stream is free, and the next command is decided on the
state that append will leave and queued after it (``server/commands/pending_states.py``), so the
writer commits them together. A writer elsewhere (another server) is caught by the
expected version, and the command is decided again on the log — unless the client pinned
a version with If-Match, in which case it is told (412) instead.

A command with an idempotency key (``server/commands/idempotency.py``) that was recorded before is
not decided again: it is answered from the events its first attempt recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain import amendment, dispute, engagement, motion, protocol, workspace
from domain.actor import Actor
from domain.amendment import AmendmentContext, CheckForConflicts
from domain.catalog import DomainEvent, from_data, to_data
from domain.dispute import DisputeSubjectKind
from domain.engagement import CommentSubjectKind
from domain.errors import DomainError
from domain.event import Command
from domain.merging import MergeAmendment, decide_merge
from domain.motion import MotionContext
from domain.streams import amendment_stream, comments_stream, protocol_stream, trial_stream
from domain.workspace import CreateTrial, TrialState
from events import (
    AppendResult,
    EventStore,
    IdempotencyKeyReused,
    NewEvent,
    NotCanonicalJson,
    StreamAppend,
    WrongExpectedVersion,
)
from server.commands.aggregates import (
    AMENDMENT,
    COMMENTS,
    DISPUTE,
    MOTION,
    PROTOCOL,
    WORKSPACE,
    AggregateKind,
)
from server.commands.decision_basis import DecisionBasis
from server.commands.directory import Directory
from server.commands.idempotency import IdempotentRequest, key_reused
from server.commands.pending_states import Pending, PendingStates
from server.commands.state_cache import StateCache
from server.commands.stream_locks import StreamLocks
from server.http.problems import Problem

_RETRIES = 5
_KEY_LOCK_PREFIX = "idempotency-key:"  # in the stream locks' table; no stream id starts so


@dataclass(frozen=True, slots=True)
class Target:
    """The aggregate a command is about: its kind, trial and stream."""

    kind: AggregateKind[Any]
    trial_id: str
    stream_id: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command recorded: its events, the last log position and the target's version."""

    events: Sequence[DomainEvent]
    position: int | None
    version: int
    replayed: bool = False
    """True when the command was recorded by an earlier request with the same idempotency
    key, and this is what that one recorded."""


BuildCommand = Callable[[Actor], Command]


class CommandService:
    """Runs commands against the log; one per process, shared by every request."""

    def __init__(
        self,
        store: EventStore,
        states: StateCache,
        directory: Directory,
        *,
        settled: Callable[[int], Awaitable[None]],
    ) -> None:
        self._store = store
        self._states = states
        self._directory = directory
        self._settled = settled
        self._pending = PendingStates()
        self._locks = StreamLocks()

    async def execute(
        self,
        target: Target,
        user_id: str,
        build: BuildCommand,
        *,
        if_match: int | None = None,
        meta: Mapping[str, Any] | None = None,
        idempotency: IdempotentRequest | None = None,
        actor: Actor | None = None,
    ) -> Outcome:
        """Decide ``build(actor)`` for ``user_id`` on ``target`` and append what it decides.

        With ``idempotency``, a request whose key recorded the same request before is not
        decided again: the outcome is that append's (``replayed``); a key used for another
        request is a 422 problem. A command refused, or that recorded nothing, leaves the
        key unused. ``actor``: given by the caller, not drawn from the trial's members."""
        if idempotency is None:
            outcome = await self._execute(target, user_id, build, if_match, meta or {}, actor=actor)
        else:
            outcome = await self._execute_once(
                target, user_id, build, if_match, meta or {}, idempotency, actor=actor
            )
        if outcome.position is not None:
            await self._after(target, user_id, outcome, meta or {})
        return outcome

    async def create_trial(
        self,
        trial_id: str,
        actor: Actor,
        build: Callable[[Actor], CreateTrial],
        meta: Mapping[str, Any],
        *,
        idempotency: IdempotentRequest | None = None,
    ) -> Outcome:
        """Found a trial: the founder, not a member yet, acts as ``actor`` (see execute)."""
        target = Target(WORKSPACE, trial_id, trial_stream(trial_id))
        return await self.execute(
            target, actor.user_id, build, meta=meta, idempotency=idempotency, actor=actor
        )

    async def _execute_once(
        self,
        target: Target,
        user_id: str,
        build: BuildCommand,
        if_match: int | None,
        meta: Mapping[str, Any],
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
            except (Problem, DomainError):
                # Refused, perhaps on the state left by the same request that another
                # server recorded meanwhile (its key and its events commit together).
                earlier = await self._recorded_with(idempotency, target)
                if earlier is None:
                    raise
                return earlier

    async def _recorded_with(
        self, idempotency: IdempotentRequest, target: Target
    ) -> Outcome | None:
        """What the request recorded under its key before, or None if the key is unused."""
        keyed = await self._store.keyed_append(idempotency.key)
        if keyed is None:
            return None
        if keyed.digest != idempotency.digest:
            raise key_reused()
        return await self._replayed(keyed.result, target)

    async def _replayed(self, result: AppendResult, target: Target) -> Outcome:
        """The outcome of an earlier append, rebuilt from the events it recorded."""
        first, last = result.first_position, result.last_position
        recorded = await self._store.read_all(after=first - 1, limit=last - first + 1)
        events = [from_data(e.type, e.data, e.schema_version) for e in recorded]
        # The target's stream comes first in every append (``_decide``). Not
        # ``target.stream_id``: that may hold an id drawn for this attempt, not the first's.
        stream_id = recorded[0].stream_id
        # Read your writes: another server may have recorded it, unseen here so far.
        await self._states.load(target.kind, stream_id, fresh=True)
        return Outcome(events, last, result.stream_versions[stream_id], replayed=True)

    async def _execute(
        self,
        target: Target,
        user_id: str,
        build: BuildCommand,
        if_match: int | None,
        meta: Mapping[str, Any],
        *,
        actor: Actor | None = None,
        idempotency: IdempotentRequest | None = None,
    ) -> Outcome:
        for attempt in range(_RETRIES):
            basis = DecisionBasis(self._states, self._pending, fresh=attempt > 0)
            trial_id = trial_stream(target.trial_id)
            trial = (await self._states.load(WORKSPACE, trial_id, fresh=basis.fresh)).state
            command = build(actor or workspace.actor_in(trial, user_id))
            async with self._locks.held(_streams_touched(target, command)):
                loaded = await basis.load(target.kind, target.stream_id)
                if if_match is not None and if_match != loaded.version:
                    loaded = await basis.reload_for_if_match(target.kind, target.stream_id)
                    if if_match != loaded.version:
                        raise _stale(target, if_match, loaded.version)
                decided = await self._decide(target, trial, loaded.state, command, basis)
                queued = self._queue(decided, basis, meta, idempotency)
            # Out of the lock: the next command on these streams is decided on the states
            # this append will leave, while it is written.
            try:
                return await self._settle(queued, decided, basis, target)
            except IdempotencyKeyReused:
                raise key_reused() from None
            except WrongExpectedVersion as conflict:
                if if_match is not None:
                    raise _stale(target, if_match, conflict.actual) from None
                if attempt == _RETRIES - 1:
                    raise Problem(
                        409,
                        "concurrent-change",
                        f"{target.stream_id} kept changing while this command was decided;"
                        " try again",
                    ) from None
        raise AssertionError("unreachable")

    async def _decide(
        self, target: Target, trial: TrialState, state: Any, command: Any, basis: DecisionBasis
    ) -> dict[str, list[DomainEvent]]:
        """The events per stream, the target's first; every stream they go to was loaded
        through ``basis``."""
        kind, stream_id = target.kind, target.stream_id
        events: list[DomainEvent]
        if kind is WORKSPACE:
            events = list(workspace.decide(state, command))
        elif kind is PROTOCOL:
            events = list(protocol.decide(state, command))
        elif kind is MOTION:
            members = MotionContext(charter=trial.charter, members=frozenset(trial.members))
            events = list(motion.decide(state, command, members))
        elif kind is DISPUTE:
            events = list(dispute.decide(state, command, trial.charter))
        elif kind is COMMENTS:
            events = list(engagement.decide(state, command))
        else:
            context = await self._amendment_context(target, trial, basis)
            if isinstance(command, MergeAmendment):
                merge = decide_merge(state, command, context)
                return {
                    stream_id: list(merge.amendment_events),
                    protocol_stream(target.trial_id): list(merge.protocol_events),
                }
            events = list(amendment.decide(state, command, context))
        return {stream_id: events}

    async def _amendment_context(
        self, target: Target, trial: TrialState, basis: DecisionBasis
    ) -> AmendmentContext:
        amendment_id = target.stream_id.rsplit("/", 1)[1]
        protocol_loaded = await basis.load(PROTOCOL, protocol_stream(target.trial_id))
        thread_id = comments_stream(target.trial_id, CommentSubjectKind.AMENDMENT, amendment_id)
        thread = await basis.load(COMMENTS, thread_id)
        return AmendmentContext(
            charter=trial.charter,
            protocol=protocol_loaded.state,
            open_disputes=self._directory.open_disputes_about(
                target.trial_id, DisputeSubjectKind.AMENDMENT, amendment_id
            ),
            feedback_awaiting_disposition=thread.state.awaiting_disposition(),
        )

    def _queue(
        self,
        decided: Mapping[str, Sequence[DomainEvent]],
        basis: DecisionBasis,
        meta: Mapping[str, Any],
        idempotency: IdempotentRequest | None,
    ) -> dict[str, Pending]:
        """Queue the decided events, expecting the versions they were decided on, after
        the pending appends the decision read; note the states they will leave."""
        appends = [
            StreamAppend(
                stream_id,
                [NewEvent(e.event_type, to_data(e), e.schema_version) for e in events],
                expected_version=basis.version(stream_id),
            )
            for stream_id, events in decided.items()
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
            raise Problem(
                422,
                "value-not-recordable",
                f"a value in the request cannot be recorded in the log: {refused}",
                title="A value cannot be recorded",
            ) from None
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
        decided: Mapping[str, Sequence[DomainEvent]],
        basis: DecisionBasis,
        target: Target,
    ) -> Outcome:
        events = [event for stream_events in decided.values() for event in stream_events]
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

    async def _after(
        self, target: Target, user_id: str, outcome: Outcome, meta: Mapping[str, Any]
    ) -> None:
        """Read-your-writes for projections; after a merge, check open amendments for conflicts."""
        assert outcome.position is not None
        await self._settled(outcome.position)
        if any(event.event_type == "AmendmentMerged" for event in outcome.events):
            await self._check_open_amendments(target.trial_id, user_id, meta)

    async def _check_open_amendments(
        self, trial_id: str, user_id: str, meta: Mapping[str, Any]
    ) -> None:
        entry = self._directory.trial(trial_id)
        for amendment_id in sorted(entry.open_amendments if entry else ()):
            stream_id = amendment_stream(trial_id, amendment_id)
            check = Target(AMENDMENT, trial_id, stream_id)
            outcome = await self._execute(
                check, user_id, lambda actor: CheckForConflicts(actor=actor), None, meta
            )
            if outcome.position is not None:
                await self._settled(outcome.position)


def _streams_touched(target: Target, command: Command) -> list[str]:
    if isinstance(command, MergeAmendment):
        return [target.stream_id, protocol_stream(target.trial_id)]
    return [target.stream_id]


def _stale(target: Target, expected: int, actual: int) -> Problem:
    return Problem(
        412,
        "stale-version",
        f"{target.stream_id} is at version {actual}, not {expected}: reload it and decide again",
        title="The resource changed since you loaded it",
        current_version=actual,
    )
