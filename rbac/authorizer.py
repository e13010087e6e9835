"""The live policy: a projection of the log's role events that answers every request
(the system roles' too: :meth:`Authorizer.allows_system`).

:meth:`Authorizer.start` reads the role events already in the log, then follows the log
in a background task of its own (an :class:`events.following.LogFollower`); in a server
process the one follower of the log feeds it instead, first of the process's projections
(``server/bootstrap.py``). :meth:`Authorizer.allows` answers synchronously from a decision
cache; a miss asks Casbin (:meth:`rbac.policy.Policy.enforce`). Each grant or revoke the
projection applies drops the cached decisions of exactly the member it changed, so a
cached answer is always the answer Casbin would give for the policy at
:attr:`Authorizer.position`.

If following the log fails, the authorizer stops answering (:class:`AuthorizerStopped`)
instead of answering from a policy that may have missed a revoke.

Given :class:`events.snapshots.ProjectionSnapshots`, it starts from the newest snapshot of
the policy that checks out against the log and reads only the role events after it; it
saves a new one in the background once :data:`events.snapshots.SAVE_EVERY` positions have
passed since the last (at the end of a catch-up that read that much, or as it follows the
log). A snapshot is only ever the fold of the log up to its position, so a role revoked
after it is revoked once the tail is read, before the first answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import aclosing
from types import TracebackType
from typing import NoReturn

from domain.account_events import SystemRole
from domain.roles import Role
from events import EventStore, RecordedEvent
from events.following import LogFollower
from events.position_waiters import PositionWaiters
from events.snapshots import CatchUpProgress, ProjectionSnapshots, SnapshotSchedule
from rbac.actions import SYSTEM_DOMAIN, Action, SystemAction
from rbac.policy import POLICY_EVENT_TYPES, SNAPSHOT_VERSION, Policy

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 100_000
"""How many (trial, user) pairs keep their cached decisions (up to one per action each)."""

CATCH_UP_PAGE = 5_000

SNAPSHOT_NAME = "authorization-policy"
"""The policy's name among the projection snapshots."""


class AuthorizerStopped(RuntimeError):
    """The authorizer no longer follows the log (it failed or was closed), so its policy
    may be stale: it refuses to answer rather than answer from the past."""


class Authorizer:
    """Casbin's policy kept current by following the log: create it with :meth:`start`, or
    give it to the process's :class:`events.following.LogFollower` (it is a projection)."""

    name = "authorization policy"

    def __init__(
        self,
        store: EventStore,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        snapshots: ProjectionSnapshots | None = None,
        progress: CatchUpProgress | None = None,
    ) -> None:
        if cache_size < 0:
            raise ValueError(f"cache_size must be 0 or more, got {cache_size}")
        self._store = store
        self._policy = Policy()
        self._schedule = (
            SnapshotSchedule(snapshots, SNAPSHOT_NAME, SNAPSHOT_VERSION)
            if snapshots is not None
            else None
        )
        self._progress = progress
        self._cache_size = cache_size
        self._decisions: dict[tuple[str, str], dict[str, bool]] = {}
        self._position = 0
        self._waiters = PositionWaiters()
        self._follower: LogFollower | None = None
        """Its own follower of the log, when started on its own."""
        self._stopped: str | None = "the authorizer was not started (use Authorizer.start)"
        self._failure: BaseException | None = None
        self.enforcements = 0
        """How many checks Casbin decided (the cache's misses)."""

    @classmethod
    async def start(
        cls,
        store: EventStore,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        snapshots: ProjectionSnapshots | None = None,
    ) -> Authorizer:
        """Apply every role event already in the log (after the newest snapshot among
        ``snapshots``, if given), then follow it in a background task.

        ``cache_size`` bounds the decision cache in (trial, user) pairs; 0 turns it off,
        so that Casbin decides every check.
        """
        authorizer = cls(store, cache_size=cache_size, snapshots=snapshots)
        follower = authorizer._follower = LogFollower(store, [authorizer])
        try:
            await follower.start()
        except BaseException:
            await follower.close()
            raise
        return authorizer

    # -- answers (synchronous, from the event loop's thread) ------------------------------

    def allows(self, user_id: str, trial_id: str, action: Action) -> bool:
        """May ``user_id`` attempt ``action`` in ``trial_id``, as of :attr:`position`?

        Raises :class:`AuthorizerStopped` once the authorizer has stopped following the log.
        """
        return self._cached(
            (trial_id, user_id), action, lambda: self._policy.enforce(user_id, trial_id, action)
        )

    def allows_system(self, user_id: str, action: SystemAction) -> bool:
        """May ``user_id`` attempt ``action`` (found a trial, administer accounts, read
        account trails), as of :attr:`position`? Cached like :meth:`allows`.

        Raises :class:`AuthorizerStopped` once the authorizer has stopped following the log.
        """
        return self._cached(
            (SYSTEM_DOMAIN, user_id), action, lambda: self._policy.enforce_system(user_id, action)
        )

    def _cached(self, key: tuple[str, str], action: str, decide: Callable[[], bool]) -> bool:
        """The decision on ``action`` for ``key`` (domain, user): remembered, or ``decide()``."""
        if self._stopped is not None:
            self._raise_stopped()
        decisions = self._decisions.get(key)
        if decisions is None:
            decisions = self._remember(key)
        else:
            decided = decisions.get(action)
            if decided is not None:
                return decided
        return self._decided(decisions, action, decide())

    def system_roles_of(self, user_id: str) -> frozenset[SystemRole]:
        """The system roles ``user_id`` holds, as of :attr:`position`."""
        if self._stopped is not None:
            self._raise_stopped()
        return self._policy.system_roles_of(user_id)

    def who_can_system(self, action: SystemAction) -> frozenset[str]:
        """The users who may attempt ``action`` (which concerns no trial), as of
        :attr:`position`."""
        if self._stopped is not None:
            self._raise_stopped()
        return self._policy.who_can_system(action)

    def roles_of(self, user_id: str, trial_id: str) -> frozenset[Role]:
        """The roles ``user_id`` holds in ``trial_id``, as of :attr:`position`."""
        if self._stopped is not None:
            self._raise_stopped()
        return self._policy.roles_of(user_id, trial_id)

    def who_can(self, trial_id: str, action: Action) -> frozenset[str]:
        """The users who may attempt ``action`` in ``trial_id``, as of :attr:`position`
        (:func:`rbac.who_can` answers for any past position)."""
        if self._stopped is not None:
            self._raise_stopped()
        return self._policy.who_can(trial_id, action)

    def clear_cache(self) -> None:
        """Forget every cached decision: the next checks ask Casbin again."""
        self._decisions.clear()

    @property
    def position(self) -> int:
        """The position of the last event of the log applied."""
        return self._position

    @property
    def grants(self) -> int:
        """How many (user, role, trial) grants are in force."""
        return self._policy.grants

    @property
    def failure(self) -> BaseException | None:
        """Why following the log failed, if it did."""
        return self._failure

    # -- read-your-writes ------------------------------------------------------------------

    async def wait_for(self, position: int) -> None:
        """Return once every event up to ``position`` (inclusive) has been applied, e.g.
        the ``last_position`` of an append this process just made.

        Raises :class:`AuthorizerStopped` if the authorizer stops before getting there.
        """
        if self._position >= position:
            return
        if self._stopped is not None:
            self._raise_stopped()
        await self._waiters.wait(position)

    # -- lifecycle ---------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop following the log; later checks raise :class:`AuthorizerStopped`."""
        try:
            if self._follower is not None:
                await self._follower.close()
        finally:
            self._stop("the authorizer was closed")

    async def __aenter__(self) -> Authorizer:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- the projection (fed by a LogFollower) ----------------------------------------------

    async def catch_up(self, head: int) -> None:
        """Apply the role events, trial and system, up to ``head`` (the others leave the
        policy as it is), after the newest snapshot if there is one, the next page read
        while this one is applied; then answer as of ``head``."""
        start = 0
        if self._schedule is not None:
            start = await self._schedule.restore_newest(head, self._restore)
        pages = self._store.pages(
            after=start,
            until=head,
            page_size=CATCH_UP_PAGE,
            types=POLICY_EVENT_TYPES,
            read_ahead=True,
        )
        async with aclosing(pages):
            async for page in pages:
                for event in page:
                    self._fold(event)
                if self._progress is not None:
                    self._progress(start, page[-1].position, head)
        if self._progress is not None:
            self._progress(start, head, head)
        self._advance(head)
        self._stopped = None
        self._snapshot_if_due(head)

    def apply(self, event: RecordedEvent) -> None:
        """Apply one event of the log (any type: every position counts for :meth:`wait_for`)."""
        self._fold(event)
        self._advance(event.position)
        self._snapshot_if_due(event.position)

    def stopped(self, failure: BaseException | None) -> None:
        """Following the log stopped: from now on every check raises."""
        if failure is None:
            self._stop("the authorizer was closed")
            return
        logger.error(
            "the authorization policy stopped following the log after position %d;"
            " every check fails until the authorizer is started again",
            self._position,
        )
        self._stop(f"following the log failed after position {self._position}", failure)

    def _restore(self, snapshot: bytes) -> None:
        self._policy = Policy.restored(snapshot)
        self._decisions.clear()

    def _snapshot_if_due(self, position: int) -> None:
        # The grants are copied here on the loop (about 10 ms at 500,000 grants, once
        # every SAVE_EVERY positions); encoding, hashing and writing run in the background.
        if self._schedule is not None and position and self._schedule.due(position):
            self._schedule.save(position, self._policy.snapshot().encode)

    def _fold(self, event: RecordedEvent) -> None:
        changed = self._policy.apply(event)
        if changed is not None:
            self._decisions.pop(changed, None)

    def _advance(self, position: int) -> None:
        self._position = position
        self._waiters.reached(position)

    def _decided(self, decisions: dict[str, bool], action: str, decided: bool) -> bool:
        self.enforcements += 1
        decisions[action] = decided
        return decided

    def _remember(self, key: tuple[str, str]) -> dict[str, bool]:
        decisions: dict[str, bool] = {}
        if self._cache_size:
            if len(self._decisions) >= self._cache_size:
                del self._decisions[next(iter(self._decisions))]  # the oldest pair
            self._decisions[key] = decisions
        return decisions

    def _stop(self, reason: str, failure: BaseException | None = None) -> None:
        if self._stopped is None:
            self._stopped, self._failure = reason, failure
        self._decisions.clear()
        self._waiters.fail(self._stopped_error)

    def _stopped_error(self) -> AuthorizerStopped:
        error = AuthorizerStopped(self._stopped)
        error.__cause__ = self._failure
        return error

    def _raise_stopped(self) -> NoReturn:
        raise self._stopped_error()
