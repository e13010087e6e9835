"""Erasing a person's personal data is a request, approved per each trial's charter.

A person's names are recorded in the trials they took part in, so each of those trials
has a say (issue 22). In the account's stream ``system/account/{user_id}``:

1. A system admin requests the erasure, with a reason
   (:class:`PersonalDataErasureRequested`), naming the trials the person is or was a
   member of. One request is pending at a time.
2. For each of those trials, a member holding one of the roles the trial's charter names
   (``Charter.erasure_approvers``), neither the requester nor the person, approves
   (:class:`PersonalDataErasureApproved`). When the person took part in no trial, a
   second system admin approves instead, for no trial: four eyes all the same.
3. The approval that completes the set is recorded together with
   :class:`~domain.personal_data.PersonalDataErased`, which carries the request's reason,
   its requester and every approval; the server then erases the keys.

A pending request may be withdrawn, with a reason (:class:`PersonalDataErasureWithdrawn`).
:func:`evolve_erasure` folds these events (and the erasure) into an
:class:`ErasureRequestState`; the ``decide_*`` functions are the rules, each refusal a
named error of :mod:`domain.errors`. Who may *attempt* a request or a withdrawal (a
system admin) is the server's authorization, as for every change of an account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from domain.errors import (
    ErasedPersonCannotApprove,
    ErasureAlreadyApproved,
    ErasureAlreadyRequested,
    ErasureRequesterCannotApprove,
    NoPendingErasure,
    NotAnErasureApprover,
    TrialNotConcerned,
    require_text,
)
from domain.event import Event
from domain.personal_data import ErasureApproval, PersonalDataErased
from domain.workspace_state import TrialState

SECOND_SYSTEM_ADMIN = "system_admin"
"""The role that approves, for no trial, the erasure of someone who took part in none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalDataErasureRequested(Event):
    """A system admin (``requested_by``) asked that the personal data about ``user_id``
    be erased, for ``reason``; each of ``trials`` (those the person is or was a member
    of, none if they took part in none) must approve. ``vouched_by`` is the operator who
    recorded it on the requester's word (``concord personal-data erase request``)."""

    user_id: str
    reason: str
    requested_by: str
    trials: tuple[str, ...]
    vouched_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalDataErasureApproved(Event):
    """``approved_by`` approved the pending erasure for the trial ``trial_id`` (None: as
    the second system admin, the person having taken part in no trial)."""

    user_id: str
    trial_id: str | None
    approved_by: str
    vouched_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalDataErasureWithdrawn(Event):
    """A system admin withdrew the pending erasure, for ``reason``: nothing is erased,
    and its approvals no longer count."""

    user_id: str
    reason: str
    withdrawn_by: str
    vouched_by: str | None = None


ErasureRequestEvent = (
    PersonalDataErasureRequested | PersonalDataErasureApproved | PersonalDataErasureWithdrawn
)
"""The events of an erasure request (all in the account's stream)."""

ERASURE_REQUEST_EVENTS: tuple[type[Event], ...] = (
    PersonalDataErasureRequested,
    PersonalDataErasureApproved,
    PersonalDataErasureWithdrawn,
    PersonalDataErased,
)
"""What :func:`evolve_erasure` folds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingErasure:
    """An erasure awaiting its approvals."""

    user_id: str
    reason: str
    requested_by: str
    trials: tuple[str, ...]
    approvals: tuple[ErasureApproval, ...] = ()
    vouched_by: str | None = None

    @property
    def approvers_needed(self) -> tuple[str | None, ...]:
        """Whose approval it needs: each trial, or None for a second system admin."""
        return self.trials or (None,)

    @property
    def awaiting(self) -> tuple[str | None, ...]:
        """The trials (or None) whose approval is still missing, in the request's order."""
        given = {approval.trial_id for approval in self.approvals}
        return tuple(needed for needed in self.approvers_needed if needed not in given)

    def approval_for(self, trial_id: str | None) -> ErasureApproval | None:
        return next((a for a in self.approvals if a.trial_id == trial_id), None)


@dataclass(frozen=True, slots=True)
class ErasureRequestState:
    """What an account's stream says of erasing its personal data."""

    pending: PendingErasure | None = None
    erasures: int = 0
    """How many erasures were carried out (a second one erases what a first left)."""


NO_REQUEST = ErasureRequestState()


def evolve_erasure(state: ErasureRequestState, event: Event) -> ErasureRequestState:
    """The request after ``event``; events of the account that are none of
    :data:`ERASURE_REQUEST_EVENTS` leave it as it was."""
    match event:
        case PersonalDataErasureRequested():
            pending = PendingErasure(
                user_id=event.user_id,
                reason=event.reason,
                requested_by=event.requested_by,
                trials=event.trials,
                vouched_by=event.vouched_by,
            )
            return replace(state, pending=pending)
        case PersonalDataErasureApproved() if state.pending is not None:
            approval = ErasureApproval(
                trial_id=event.trial_id, approved_by=event.approved_by, vouched_by=event.vouched_by
            )
            approvals = (*state.pending.approvals, approval)
            return replace(state, pending=replace(state.pending, approvals=approvals))
        case PersonalDataErasureWithdrawn():
            return replace(state, pending=None)
        case PersonalDataErased():
            return ErasureRequestState(pending=None, erasures=state.erasures + 1)
        case _:
            return state


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasureApprover:
    """Who asks to approve, as the rules need them: their user id, whether they hold the
    system role system_admin, and the trial they approve for as it is now (its members'
    roles and its charter; None when they approve for no trial)."""

    user_id: str
    system_admin: bool = False
    trial: TrialState | None = None


def decide_request(
    state: ErasureRequestState,
    *,
    user_id: str,
    reason: str,
    requested_by: str,
    trials: Iterable[str],
    vouched_by: str | None = None,
) -> PersonalDataErasureRequested:
    """Record a request, unless one is pending or the reason is blank."""
    require_text(reason, "a reason for erasing the personal data")
    if state.pending is not None:
        raise ErasureAlreadyRequested(
            f"an erasure of {user_id}'s personal data is already awaiting approval"
            f" (requested by {state.pending.requested_by}): approve or withdraw it"
        )
    return PersonalDataErasureRequested(
        user_id=user_id,
        reason=reason.strip(),
        requested_by=requested_by,
        trials=tuple(dict.fromkeys(trials)),
        vouched_by=vouched_by,
    )


def approval_refusal(
    pending: PendingErasure, trial_id: str | None, approver: ErasureApprover
) -> NotAnErasureApprover | ErasureRequesterCannotApprove | ErasedPersonCannotApprove | None:
    """Why ``approver`` may not approve ``pending`` for ``trial_id`` (one the request
    names), or None when they may: the rule :func:`decide_approval` applies, and what
    the server reads to say who may still approve."""
    if approver.user_id == pending.user_id:
        return ErasedPersonCannotApprove("nobody approves the erasure of their own personal data")
    if approver.user_id == pending.requested_by:
        return ErasureRequesterCannotApprove(
            "you requested this erasure: someone else approves it (four eyes)"
        )
    if trial_id is None:
        if approver.system_admin:
            return None
        return NotAnErasureApprover(
            "the person took part in no trial: a second system admin approves their erasure",
            trial_id=None,
            roles=(SECOND_SYSTEM_ADMIN,),
        )
    trial = approver.trial
    roles = trial.charter.erasure_approvers if trial is not None else frozenset()
    member = trial.members.get(approver.user_id) if trial is not None else None
    if member is not None and not member.roles.isdisjoint(roles):
        return None
    named = tuple(sorted(role.value for role in roles))
    return NotAnErasureApprover(
        f"the charter of trial {trial_id} lets a member holding {' or '.join(named) or 'no role'}"
        " approve an erasure, and you are none",
        trial_id=trial_id,
        roles=named,
    )


def decide_approval(
    state: ErasureRequestState,
    *,
    trial_id: str | None,
    approver: ErasureApprover,
    subjects: tuple[str, ...],
    vouched_by: str | None = None,
) -> list[PersonalDataErasureApproved | PersonalDataErased]:
    """Record ``approver``'s approval for ``trial_id``; when it is the last one needed,
    :class:`PersonalDataErased` follows it (``subjects``: whose keys it erases)."""
    pending = state.pending
    if pending is None:
        raise NoPendingErasure("no erasure of this person's personal data awaits approval")
    if trial_id not in pending.approvers_needed:
        asked = ", ".join(pending.trials) or "none: a second system admin approves, for no trial"
        raise TrialNotConcerned(
            f"the request asks these trials for approval: {asked}; not {trial_id or 'no trial'}"
        )
    if pending.approval_for(trial_id) is not None:
        raise ErasureAlreadyApproved(
            f"{'trial ' + trial_id if trial_id else 'a second system admin'} already approved"
            " this erasure"
        )
    if (refusal := approval_refusal(pending, trial_id, approver)) is not None:
        raise refusal
    approved = PersonalDataErasureApproved(
        user_id=pending.user_id,
        trial_id=trial_id,
        approved_by=approver.user_id,
        vouched_by=vouched_by,
    )
    after = evolve_erasure(state, approved).pending
    assert after is not None
    if after.awaiting:
        return [approved]
    erased = PersonalDataErased(
        user_id=pending.user_id,
        subjects=subjects,
        reason=pending.reason,
        approved_by=approver.user_id,
        requested_by=pending.requested_by,
        approvals=after.approvals,
    )
    return [approved, erased]


def decide_withdrawal(
    state: ErasureRequestState, *, reason: str, withdrawn_by: str, vouched_by: str | None = None
) -> PersonalDataErasureWithdrawn:
    """Withdraw the pending request, with a reason."""
    require_text(reason, "a reason for withdrawing the erasure")
    if state.pending is None:
        raise NoPendingErasure("no erasure of this person's personal data awaits approval")
    return PersonalDataErasureWithdrawn(
        user_id=state.pending.user_id,
        reason=reason.strip(),
        withdrawn_by=withdrawn_by,
        vouched_by=vouched_by,
    )


def eligible_approvers(
    pending: PendingErasure,
    trial_id: str | None,
    trial: TrialState | None,
    system_admins: Iterable[str] = (),
) -> tuple[str, ...]:
    """Who may give ``pending`` the approval for ``trial_id`` now, by user id: the
    members of ``trial`` whom its charter names (or, for no trial, ``system_admins``),
    but the requester and the person."""
    if trial_id is None:
        candidates = [ErasureApprover(user_id=user, system_admin=True) for user in system_admins]
    else:
        candidates = (
            [ErasureApprover(user_id=user, trial=trial) for user in trial.members] if trial else []
        )
    return tuple(
        sorted(c.user_id for c in candidates if approval_refusal(pending, trial_id, c) is None)
    )
