"""Merging an approved amendment: the amendment's last step and a new protocol version.

One decision, two streams: ``AmendmentMerged`` for the amendment and the section events
plus ``ProtocolVersionPublished`` for the protocol. The server appends both in one
atomic append, expecting the protocol stream's version it loaded, so two amendments
can never both become the same protocol version. Each section event names the
amendment, its authors (they wrote the text) and the change's rationale as its reason,
so a merged section is not attributed to whoever clicked Merge alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain import m11
from domain.amendment_commands import AmendmentContext
from domain.amendment_events import AmendmentEvent, AmendmentMerged
from domain.amendment_rules import conflicting_sections, require_no_conflict, require_status
from domain.amendment_signing import missing_for
from domain.amendment_state import AmendmentState, AmendmentStatus
from domain.approval_policy import describe
from domain.errors import (
    AmendmentDisputed,
    AmendmentHasNoChanges,
    AmendmentInConflict,
    AmendmentNotFound,
    FeedbackAwaitingDisposition,
    SignaturesMissing,
)
from domain.event import Command
from domain.protocol import amended_version
from domain.protocol_events import ProtocolEvent, ProtocolVersionPublished
from domain.timestamps import date_text


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeAmendment(Command):
    """Merge the approved amendment into a new protocol version taking effect then."""

    effective_date: date


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeDecision:
    """The events for each stream; append them together or not at all."""

    amendment_events: list[AmendmentEvent]
    protocol_events: list[ProtocolEvent]


def decide_merge(
    state: AmendmentState, command: MergeAmendment, context: AmendmentContext
) -> MergeDecision:
    """Merge ``state`` into ``context.protocol``, or the DomainError naming the rule
    that forbids it: the amendment must be approved, every required signature (under
    the charter now in force) must be on its current content, no dispute on it may be
    open, every patient advocate comment on it needs a disposition, and no amendment
    merged since its base may have changed the same sections."""
    if not state.exists:
        raise AmendmentNotFound("the amendment does not exist")
    require_status(state, {AmendmentStatus.APPROVED}, "merge")
    if not state.changes:
        # A rebase may have dropped every change; a version that changes nothing is no
        # amendment.
        raise AmendmentHasNoChanges(f"amendment {state.amendment_id} changes no section")
    if context.open_disputes:
        raise AmendmentDisputed(
            f"disputes {sorted(context.open_disputes)} on amendment {state.amendment_id}"
            " must be resolved before it merges"
        )
    if context.feedback_awaiting_disposition:
        raise FeedbackAwaitingDisposition(
            f"patient advocate comments {sorted(context.feedback_awaiting_disposition)}"
            " need a disposition before the amendment merges"
        )
    require_no_conflict(state)
    conflicts = sorted(conflicting_sections(state, context.protocol), key=m11.sort_key)
    if conflicts:
        raise AmendmentInConflict(
            f"sections {conflicts} changed since version {state.base_version};"
            " check for conflicts and rebase the amendment"
        )
    missing = missing_for(state, context)
    if missing:
        raise SignaturesMissing(f"amendment {state.amendment_id} lacks {describe(missing)}")
    protocol_events = amended_version(
        context.protocol,
        amendment_id=state.amendment_id,
        changes={number: change.content for number, change in state.changes.items()},
        reasons={
            number: f"amendment {state.amendment_id}: {change.rationale}"
            for number, change in state.changes.items()
        },
        authors=merge_authors(state),
        effective_date=command.effective_date,
        published_by=command.actor.user_id,
    )
    published = protocol_events[-1]
    assert isinstance(published, ProtocolVersionPublished)
    merged = AmendmentMerged(
        amendment_id=state.amendment_id,
        trial_id=state.trial_id,
        protocol_version=published.version,
        effective_date=date_text(command.effective_date),
        content_hash=state.content_hash,
        summary_of_changes=state.summary_of_changes(),
        merged_by=command.actor.user_id,
    )
    return MergeDecision(amendment_events=[merged], protocol_events=protocol_events)


def merge_authors(state: AmendmentState) -> tuple[str, ...]:
    """Who wrote the amendment, as its merged sections name them: the opener first, then
    the others in a stable order (the state keeps them as a set)."""
    return (state.opened_by, *sorted(state.authors - {state.opened_by}))
