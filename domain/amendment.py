"""Amending the protocol: the amendment's lifecycle.

draft -> submitted -> approved -> merged, or rejected, or withdrawn. Content changes
while draft or submitted (and through a rebase while approved); every change after a
signature invalidates the signatures. The amendment is approved the moment every
signature the charter requires is on its current content (``domain.amendment_signing``).
Merging also publishes a protocol version, so it lives in ``domain.merging``.

This module is the amendment's front door: the server imports commands, ``decide``,
``evolve`` and ``fold`` from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_never

from domain import m11
from domain.amendment_commands import (
    AmendmentCommand,
    AmendmentContext,
    CheckForConcurrentModifications,
    CheckForConflicts,
    CommentOnReview,
    OpenAmendment,
    ProposeSectionChange,
    RebaseAmendment,
    RecordEthicsApproval,
    RejectAmendment,
    RetractSectionChange,
    ReviseAmendmentDetails,
    SignAmendment,
    SubmitAmendment,
    WithdrawAmendment,
)
from domain.amendment_details import ProposedChange, check_details
from domain.amendment_events import (
    AmendmentConflictDetected,
    AmendmentDetailsRevised,
    AmendmentEvent,
    AmendmentOpened,
    AmendmentRebased,
    AmendmentRejected,
    AmendmentSubmitted,
    AmendmentWithdrawn,
    ReviewCommented,
    SectionChangeProposed,
    SectionChangeRetracted,
)
from domain.amendment_rules import (
    conflicting_sections,
    content_change,
    require_no_conflict,
    require_not_author,
    require_status,
)
from domain.amendment_signing import approval_requirements_for, record_ethics_approval, sign
from domain.amendment_state import (
    NEW_AMENDMENT,
    OPEN_STATUSES,
    AmendmentState,
    AmendmentStatus,
    evolve,
    fold,
)
from domain.errors import (
    AmendmentAlreadyOpened,
    AmendmentHasNoChanges,
    AmendmentNotFound,
    AmendmentUnchanged,
    AmendmentUpToDate,
    NotASignatory,
    NotEntitledToWithdraw,
    ProposedChangeNotFound,
    ProtocolNotPublished,
    RebaseResolutionInvalid,
    StaleBaseVersion,
    require_text,
)
from domain.protocol_state import ProtocolState, apply_changes
from domain.substantial_modifications import (
    check_for_concurrent_modifications,
    entering_evaluation,
)
from domain.timestamps import instant_text

EDITABLE = frozenset({AmendmentStatus.DRAFT, AmendmentStatus.SUBMITTED})
"""The statuses in which an amendment's content can change."""


def decide(
    state: AmendmentState, command: AmendmentCommand, context: AmendmentContext
) -> list[AmendmentEvent]:
    """The events ``command`` causes, or a DomainError naming the rule it breaks."""
    if isinstance(command, OpenAmendment):
        return _open(state, command, context)
    if not state.exists:
        raise AmendmentNotFound("the amendment does not exist")
    match command:
        case ReviseAmendmentDetails() | ProposeSectionChange() | RetractSectionChange():
            return _edit(state, command, context)
        case SubmitAmendment():
            require_status(state, {AmendmentStatus.DRAFT}, "submit")
            if not state.changes:
                raise AmendmentHasNoChanges(
                    f"amendment {state.amendment_id} proposes no section change yet"
                )
            require_no_conflict(state)
            when = command.submitted_at
            submitted = AmendmentSubmitted(
                amendment_id=state.amendment_id,
                content_hash=state.content_hash,
                submitted_by=command.actor.user_id,
                submitted_at="" if when is None else instant_text(when, "the submission time"),
            )
            return [submitted, *entering_evaluation(evolve(state, submitted), context)]
        case CommentOnReview(text=text, section=section):
            require_status(state, OPEN_STATUSES, "comment on")
            require_text(text, "the review comment")
            if section is not None:
                _proposed_change(state, section)
            commented = ReviewCommented(
                amendment_id=state.amendment_id,
                text=text,
                commented_by=command.actor.user_id,
                section=section,
            )
            return [commented]
        case SignAmendment():
            return sign(state, command, context)
        case RecordEthicsApproval():
            return record_ethics_approval(state, command, context)
        case RejectAmendment() | WithdrawAmendment():
            return _close(state, command, context)
        case CheckForConflicts():
            return _check_for_conflicts(state, context.protocol)
        case RebaseAmendment():
            return _rebase(state, command, context.protocol)
        case CheckForConcurrentModifications():
            return check_for_concurrent_modifications(state, context)
        case _:
            assert_never(command)


def _open(
    state: AmendmentState, command: OpenAmendment, context: AmendmentContext
) -> list[AmendmentEvent]:
    if state.exists:
        raise AmendmentAlreadyOpened(f"amendment {state.amendment_id} already exists")
    require_text(command.amendment_id, "an amendment id")
    protocol = context.protocol
    if not protocol.versions:
        raise ProtocolNotPublished("an amendment needs a published protocol version to amend")
    if command.base_version != protocol.current_version:
        raise StaleBaseVersion(
            f"amendments start from the current version {protocol.current_version},"
            f" not version {command.base_version}"
        )
    check_details(command.details)
    opened = AmendmentOpened(
        amendment_id=command.amendment_id,
        trial_id=protocol.trial_id,
        base_version=command.base_version,
        details=command.details,
        opened_by=command.actor.user_id,
    )
    return [opened]


def _edit(
    state: AmendmentState,
    command: ReviseAmendmentDetails | ProposeSectionChange | RetractSectionChange,
    context: AmendmentContext,
) -> list[AmendmentEvent]:
    """A change to the amendment's content by one of its (possibly new) authors."""
    require_status(state, EDITABLE, "change")
    by = command.actor.user_id
    change: AmendmentEvent
    match command:
        case ReviseAmendmentDetails(details=details):
            check_details(details)
            change = AmendmentDetailsRevised(
                amendment_id=state.amendment_id, details=details, revised_by=by
            )
        case ProposeSectionChange(change=proposed):
            require_no_conflict(state)
            where = f"the change to section {proposed.number}"
            require_text(proposed.description, f"a description of {where}")
            require_text(proposed.rationale, f"a rationale for {where}")
            _check_against_base(
                state, context.protocol, {**state.changes, proposed.number: proposed}
            )
            change = SectionChangeProposed(
                amendment_id=state.amendment_id, change=proposed, proposed_by=by
            )
        case RetractSectionChange(number=number):
            _proposed_change(state, number)
            remaining = {n: c for n, c in state.changes.items() if n != number}
            if not remaining and state.status is AmendmentStatus.SUBMITTED:
                raise AmendmentHasNoChanges(
                    f"submitted amendment {state.amendment_id} would propose no change;"
                    " withdraw it instead"
                )
            _check_against_base(state, context.protocol, remaining)
            change = SectionChangeRetracted(
                amendment_id=state.amendment_id, number=number, retracted_by=by
            )
        case _:
            assert_never(command)
    events = content_change(state, change, command.actor)
    revised = isinstance(change, AmendmentDetailsRevised)
    if revised and state.status is AmendmentStatus.SUBMITTED and not state.is_substantial:
        # Made substantial while under evaluation: as if submitted so now.
        events += entering_evaluation(evolve(state, change), context)
    return events


def _close(
    state: AmendmentState,
    command: RejectAmendment | WithdrawAmendment,
    context: AmendmentContext,
) -> list[AmendmentEvent]:
    """Rejection by an approver who is not an author, or withdrawal by the opener or
    the sponsor."""
    actor = command.actor
    if isinstance(command, RejectAmendment):
        require_status(state, {AmendmentStatus.SUBMITTED}, "reject")
        require_text(command.reason, "a reason for rejecting the amendment")
        require_not_author(state, actor, "reject")
        if not approval_requirements_for(state, context, actor):
            raise NotASignatory(
                f"{actor.user_id} does not approve this amendment, so cannot reject it"
            )
        return [
            AmendmentRejected(
                amendment_id=state.amendment_id, reason=command.reason, rejected_by=actor.user_id
            )
        ]
    require_status(state, OPEN_STATUSES, "withdraw")
    require_text(command.reason, "a reason for withdrawing the amendment")
    sponsor = context.charter.approval.sponsor_approval
    if actor.user_id != state.opened_by and not sponsor.admit(actor.roles, actor.organization_kind):
        raise NotEntitledToWithdraw(
            f"{actor.user_id} neither opened amendment {state.amendment_id} nor leads the sponsor"
        )
    return [
        AmendmentWithdrawn(
            amendment_id=state.amendment_id, reason=command.reason, withdrawn_by=actor.user_id
        )
    ]


def _proposed_change(state: AmendmentState, number: str) -> ProposedChange:
    change = state.changes.get(number)
    if change is None:
        raise ProposedChangeNotFound(
            f"amendment {state.amendment_id} proposes no change to section {number}"
        )
    return change


def _check_against_base(
    state: AmendmentState, protocol: ProtocolState, changes: Mapping[str, ProposedChange]
) -> None:
    """Refuse ``changes`` that the outline forbids on the amendment's base version, or
    that leave a section as the base version has it."""
    base = protocol.version(state.base_version)
    document = {} if base is None else base.document
    for number, change in changes.items():
        current = document.get(number)
        if current is not None and change.content == current:
            raise AmendmentUnchanged(
                f"the proposed section {number} reads as in version {state.base_version}"
            )
    apply_changes(document, {number: change.content for number, change in changes.items()})


def _check_for_conflicts(state: AmendmentState, protocol: ProtocolState) -> list[AmendmentEvent]:
    """AmendmentConflictDetected for sections newly in conflict; nothing otherwise (a
    closed amendment cannot conflict)."""
    if not state.is_open:
        return []
    conflicts = conflicting_sections(state, protocol)
    known = state.conflict.sections if state.conflict is not None else frozenset()
    if not conflicts.keys() - known:
        return []
    merged = dict.fromkeys(a for amendments in conflicts.values() for a in amendments)
    detected = AmendmentConflictDetected(
        amendment_id=state.amendment_id,
        protocol_version=protocol.current_version,
        sections=tuple(sorted(conflicts, key=m11.sort_key)),
        merged_amendments=tuple(merged),
    )
    return [detected]


def _rebase(
    state: AmendmentState, command: RebaseAmendment, protocol: ProtocolState
) -> list[AmendmentEvent]:
    require_status(state, OPEN_STATUSES, "rebase")
    if command.onto_version != protocol.current_version:
        raise StaleBaseVersion(
            f"rebase onto the current version {protocol.current_version},"
            f" not version {command.onto_version}"
        )
    if state.base_version == protocol.current_version:
        raise AmendmentUpToDate(
            f"amendment {state.amendment_id} is based on version {state.base_version} already"
        )
    in_conflict = sorted(conflicting_sections(state, protocol), key=m11.sort_key)
    resolved = [resolution.number for resolution in command.resolutions]
    if sorted(resolved, key=m11.sort_key) != in_conflict:
        raise RebaseResolutionInvalid(
            f"resolve each section in conflict {in_conflict} exactly once; got {resolved}"
        )
    for resolution in command.resolutions:
        if resolution.change is not None and resolution.change.number != resolution.number:
            raise RebaseResolutionInvalid(
                f"the resolution of section {resolution.number}"
                f" changes section {resolution.change.number}"
            )
    rebased = AmendmentRebased(
        amendment_id=state.amendment_id,
        from_version=state.base_version,
        onto_version=command.onto_version,
        resolutions=command.resolutions,
        note=command.note,
        rebased_by=command.actor.user_id,
    )
    after = evolve(state, rebased)
    _check_against_base(after, protocol, after.changes)
    return content_change(state, rebased, command.actor)


__all__ = [
    "NEW_AMENDMENT",
    "AmendmentCommand",
    "AmendmentContext",
    "AmendmentState",
    "AmendmentStatus",
    "CheckForConcurrentModifications",
    "CheckForConflicts",
    "CommentOnReview",
    "OpenAmendment",
    "ProposeSectionChange",
    "RebaseAmendment",
    "RecordEthicsApproval",
    "RejectAmendment",
    "RetractSectionChange",
    "ReviseAmendmentDetails",
    "SignAmendment",
    "SubmitAmendment",
    "WithdrawAmendment",
    "decide",
    "evolve",
    "fold",
]
