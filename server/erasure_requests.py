"""Erasure requests: the rules of :mod:`domain.erasure_requests` on the log, for the HTTP
routes (:mod:`server.http.erasure_routes`) and the CLI
(:mod:`server.personal_data_commands`) alike.

Each step reads the account's stream, lets the domain decide, and appends what it decided
to that stream with the version it read as the expected one (decided again on a fresh
read when another change came first: up to :data:`ATTEMPTS` times, then
:class:`~server.commands.errors.ConcurrentChange`). So two approvals at once never both
believe the other missing, and a second request never slips in beside a pending one.
The approval that completes a request is appended together with
:class:`~domain.personal_data.PersonalDataErased`, then the erasure is carried out
(:func:`server.personal_data.carry_out_erasure`).

Where the person took part, and what each trial's charter and members are, come from the
caller: the server's directory and state cache, or the CLI's own fold of the log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.account_events import SystemRole, account_stream
from domain.catalog import from_data, to_data
from domain.erasure_requests import (
    ERASURE_REQUEST_EVENTS,
    NO_REQUEST,
    ErasureApprover,
    ErasureRequestState,
    PendingErasure,
    approval_refusal,
    decide_approval,
    decide_request,
    decide_withdrawal,
    evolve_erasure,
)
from domain.event import Event
from domain.personal_data import ErasureApproval, PersonalDataErased
from domain.workspace_state import TrialState
from events import EventStore, NewEvent, StreamAppend, WrongExpectedVersion
from events.snapshots import ProjectionSnapshots
from server.accounts.account_log import AccountLog
from server.accounts.users import Accounts, User
from server.commands.errors import ConcurrentChange
from server.erasure_candidates import REQUESTED_TYPE, candidates_of
from server.personal_data import (
    Erasure,
    carry_out_erasure,
    erasure_subjects,
    require_disabled,
)

ATTEMPTS = 5
"""How many times a step is decided again after another change to the account came first."""

REQUEST_TYPES = frozenset(cls.event_type for cls in ERASURE_REQUEST_EVENTS)

TrialsOf = Callable[[str], Awaitable[Sequence[str]]]
"""The trials a user id is or was a member of."""
WorkspaceOf = Callable[[str], Awaitable[TrialState]]
"""A trial's workspace as it is now (its charter and members)."""


@dataclass(frozen=True, slots=True)
class FoldedRequest:
    """An account's erasure request as its stream says now."""

    user_id: str
    state: ErasureRequestState
    version: int
    """The account stream's version it was read at."""
    requested_at: datetime | None = None
    """When the pending request was recorded."""

    @property
    def pending(self) -> PendingErasure | None:
        return self.state.pending


@dataclass(frozen=True, slots=True)
class Approval:
    """What an approval did: where it is recorded, the request as it stands after it
    (None once the erasure is carried out), and the erasure it completed, if it did."""

    position: int
    pending: PendingErasure | None
    erasure: Erasure | None = None
    approvals: tuple[ErasureApproval, ...] = ()
    """Every approval the completed request had (empty while it is pending)."""


Decision = Callable[[FoldedRequest], Awaitable[Sequence[Event]]]


class ErasureRequests:
    """Request, approve and withdraw erasures of personal data; read them."""

    def __init__(
        self,
        store: EventStore,
        engine: AsyncEngine,
        accounts: Accounts,
        account_log: AccountLog,
        *,
        trials_of: TrialsOf,
        workspace_of: WorkspaceOf,
    ) -> None:
        self._store = store
        self._engine = engine
        self._snapshots = ProjectionSnapshots(engine)
        self._accounts = accounts
        self._log = account_log
        self._trials_of = trials_of
        self.workspace_of = workspace_of

    async def read(self, user_id: str) -> FoldedRequest:
        """The account's erasure request as its stream says now."""
        state, requested_at, version = NO_REQUEST, None, 0
        for recorded in await self._store.read_stream(account_stream(user_id)):
            version = recorded.stream_version
            if recorded.type in REQUEST_TYPES:
                event = from_data(recorded.type, recorded.data, recorded.schema_version)
                state = evolve_erasure(state, event)
                if recorded.type == REQUESTED_TYPE:
                    requested_at = recorded.recorded_at
        return FoldedRequest(user_id, state, version, requested_at if state.pending else None)

    async def request(
        self,
        user: User,
        *,
        reason: str,
        requested_by: str,
        meta: Mapping[str, Any],
        vouched_by: str | None = None,
    ) -> FoldedRequest:
        """Record a request to erase ``user``'s personal data (a disabled account's);
        the trials to approve it are those they are or were a member of."""
        require_disabled(user)
        trials = await self._trials_of(user.user_id)

        async def decide(folded: FoldedRequest) -> Sequence[Event]:
            return [
                decide_request(
                    folded.state,
                    user_id=user.user_id,
                    reason=reason,
                    requested_by=requested_by,
                    trials=trials,
                    vouched_by=vouched_by,
                )
            ]

        await self._record(user.user_id, decide, meta)
        return await self.read(user.user_id)

    async def approve(
        self,
        user: User,
        *,
        trial_id: str | None,
        approver: User,
        meta: Mapping[str, Any],
        vouched_by: str | None = None,
    ) -> Approval:
        """Record ``approver``'s approval of the pending erasure of ``user``'s data for
        ``trial_id`` (None: as the second system admin); the one that completes it
        carries the erasure out (the account must still be disabled)."""
        system_admin = await self.is_system_admin(approver.user_id)

        async def decide(folded: FoldedRequest) -> Sequence[Event]:
            pending = folded.pending
            concerned = pending is not None and trial_id is not None and trial_id in pending.trials
            trial = await self.workspace_of(trial_id) if concerned and trial_id else None
            current = await self._accounts.get(user.user_id)
            assert current is not None  # accounts are never deleted
            decided = decide_approval(
                folded.state,
                trial_id=trial_id,
                approver=ErasureApprover(
                    user_id=approver.user_id, system_admin=system_admin, trial=trial
                ),
                subjects=erasure_subjects(current),
                vouched_by=vouched_by,
            )
            if any(isinstance(event, PersonalDataErased) for event in decided):
                require_disabled(current)  # it may have been enabled since the request
            return decided

        position, events = await self._record(user.user_id, decide, meta)
        erased = next((e for e in events if isinstance(e, PersonalDataErased)), None)
        if erased is None:
            return Approval(position, (await self.read(user.user_id)).pending)
        current = await self._accounts.get(user.user_id)
        assert current is not None
        erasure = await carry_out_erasure(
            self._store,
            self._engine,
            self._accounts,
            user=current,
            subjects=erased.subjects,
            position=position,
        )
        return Approval(position, None, erasure, erased.approvals)

    async def withdraw(
        self,
        user_id: str,
        *,
        reason: str,
        withdrawn_by: str,
        meta: Mapping[str, Any],
        vouched_by: str | None = None,
    ) -> int:
        """Withdraw the pending erasure of ``user_id``'s data; its position in the log."""

        async def decide(folded: FoldedRequest) -> Sequence[Event]:
            return [
                decide_withdrawal(
                    folded.state, reason=reason, withdrawn_by=withdrawn_by, vouched_by=vouched_by
                )
            ]

        position, _ = await self._record(user_id, decide, meta)
        return position

    async def is_system_admin(self, user_id: str) -> bool:
        """Whether the account's stream says it holds the system role system_admin."""
        return SystemRole.SYSTEM_ADMIN in (await self._log.state(user_id)).system_roles

    async def approvable_by(
        self, pending: PendingErasure, approver_id: str, *, system_admin: bool
    ) -> tuple[str | None, ...]:
        """The trials (None: the second system admin's approval) of ``pending`` still
        awaiting an approval that ``approver_id`` may give."""
        mine: list[str | None] = []
        for trial_id in pending.awaiting:
            trial = await self.workspace_of(trial_id) if trial_id is not None else None
            approver = ErasureApprover(user_id=approver_id, system_admin=system_admin, trial=trial)
            if approval_refusal(pending, trial_id, approver) is None:
                mine.append(trial_id)
        return tuple(mine)

    async def pending_requests(self) -> list[FoldedRequest]:
        """Every pending request, oldest account id first. The accounts that may have one
        are found from the log's requests (:mod:`server.erasure_candidates`: those after
        the last look, or after the newest snapshot of them), then each one's stream is
        read."""
        candidates = candidates_of(self._store)
        users = await candidates.look(self._store, self._snapshots)
        found = []
        for user_id in users:
            folded = await self.read(user_id)
            if folded.pending is None:
                # Settled: a later request is found by the next look, from here on.
                candidates.settled(user_id)
            else:
                found.append(folded)
        return found

    async def _record(
        self, user_id: str, decide: Decision, meta: Mapping[str, Any]
    ) -> tuple[int, Sequence[Event]]:
        stream = account_stream(user_id)
        for _ in range(ATTEMPTS):
            folded = await self.read(user_id)
            events = await decide(folded)
            append = StreamAppend(
                stream,
                [NewEvent(e.event_type, to_data(e), e.schema_version) for e in events],
                expected_version=folded.version,
            )
            try:
                recorded = await self._store.append(append, meta=dict(meta))
            except WrongExpectedVersion:
                continue  # another change to the account came first: decide again
            return recorded.last_position, events
        raise ConcurrentChange(stream)
