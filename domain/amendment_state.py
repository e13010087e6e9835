"""An amendment as the fold of its events.

The content hash covers everything a signer vouches for: the base version, the M11
details and the proposed changes. It is recomputed whenever one of them changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from domain import m11
from domain.amendment_details import (
    AmendmentDetails,
    ChangeSummaryRow,
    ProposedChange,
    summary_of_changes,
)
from domain.amendment_events import (
    AmendmentApproved,
    AmendmentConflictDetected,
    AmendmentDetailsRevised,
    AmendmentEvent,
    AmendmentMerged,
    AmendmentOpened,
    AmendmentRebased,
    AmendmentRejected,
    AmendmentSubmitted,
    AmendmentWithdrawn,
    ConcurrentModificationNoted,
    EthicsApprovalRecorded,
    ReviewCommented,
    SectionChangeProposed,
    SectionChangeRetracted,
    SignatureApplied,
    SignaturesInvalidated,
)
from domain.approval_policy import Signature
from domain.content_hash import content_hash
from domain.event import fold_events, ignore_unknown
from domain.frozen import appended, frozen_list, frozen_map, with_entry, without_entry


class AmendmentStatus(StrEnum):
    """Where an amendment is in its lifecycle."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"


OPEN_STATUSES = frozenset(
    {AmendmentStatus.DRAFT, AmendmentStatus.SUBMITTED, AmendmentStatus.APPROVED}
)
"""The statuses in which an amendment can still change or merge."""

UNDER_EVALUATION = frozenset({AmendmentStatus.SUBMITTED, AmendmentStatus.APPROVED})
"""Submitted and not yet merged, rejected or withdrawn: the statuses of a modification
under evaluation (EU CTR Art. 15-17)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentConflict:
    """Sections this amendment changes that merged amendments changed first."""

    protocol_version: int
    sections: frozenset[str]
    merged_amendments: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewComment:
    """A reviewer's remark, as ``ReviewCommented`` recorded it."""

    text: str
    commented_by: str
    section: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentContent:
    """What signatures vouch for; its canonical JSON is hashed."""

    base_version: int
    details: AmendmentDetails | None
    changes: tuple[ProposedChange, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentState:
    """An amendment as of some position in its stream."""

    amendment_id: str = ""
    trial_id: str = ""
    status: AmendmentStatus | None = None
    opened_by: str = ""
    authors: frozenset[str] = frozenset()
    """Everyone who wrote its content: the opener and whoever proposed, retracted,
    revised or rebased. None of them may approve or review it."""
    base_version: int = 0
    details: AmendmentDetails | None = None
    changes: Mapping[str, ProposedChange] = field(default_factory=frozen_map)
    content_hash: str = ""
    signatures: tuple[Signature, ...] = ()
    """Signatures on the current content."""
    invalidated_signatures: tuple[Signature, ...] = ()
    review_comments: Sequence[ReviewComment] = field(default_factory=frozen_list)
    conflict: AmendmentConflict | None = None
    closing_reason: str | None = None
    merged_version: int | None = None
    effective_date: str | None = None
    submitted_at: str = ""
    """When it was submitted (blank while a draft, or when the log did not record it)."""
    concurrent_with: frozenset[str] = frozenset()
    """The other substantial amendments that were under evaluation at the same time as
    this one (only where the charter allows it: by default one is at a time)."""

    @property
    def exists(self) -> bool:
        return bool(self.amendment_id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_substantial(self) -> bool:
        """A yes to either substantial-impact question of its details."""
        return self.details is not None and self.details.is_substantial

    @property
    def is_under_evaluation(self) -> bool:
        return self.status in UNDER_EVALUATION

    @property
    def sections(self) -> frozenset[str]:
        """The numbers of the sections the amendment changes."""
        return frozenset(self.changes)

    def summary_of_changes(self) -> tuple[ChangeSummaryRow, ...]:
        return summary_of_changes(self.changes.values())


NEW_AMENDMENT = AmendmentState()
"""The state before the amendment's first event."""


def _with_content(
    state: AmendmentState,
    *,
    author: str,
    base_version: int | None = None,
    details: AmendmentDetails | None = None,
    changes: Mapping[str, ProposedChange] | None = None,
) -> AmendmentState:
    """``state`` with new content by ``author``, and the content hash recomputed."""
    base_version = state.base_version if base_version is None else base_version
    details = state.details if details is None else details
    changes = state.changes if changes is None else changes
    ordered = tuple(sorted(changes.values(), key=lambda c: m11.sort_key(c.number)))
    content = AmendmentContent(base_version=base_version, details=details, changes=ordered)
    return replace(
        state,
        base_version=base_version,
        details=details,
        changes=frozen_map((c.number, c) for c in ordered),
        content_hash=content_hash(content),
        authors=state.authors | {author},
    )


def evolve(state: AmendmentState, event: AmendmentEvent) -> AmendmentState:
    """The amendment after ``event``; never fails."""
    match event:
        case AmendmentOpened():
            opened = replace(
                state,
                amendment_id=event.amendment_id,
                trial_id=event.trial_id,
                status=AmendmentStatus.DRAFT,
                opened_by=event.opened_by,
            )
            return _with_content(
                opened,
                author=event.opened_by,
                base_version=event.base_version,
                details=event.details,
            )
        case AmendmentDetailsRevised(details=details, revised_by=author):
            return _with_content(state, author=author, details=details)
        case SectionChangeProposed(change=change, proposed_by=author):
            changes = with_entry(state.changes, change.number, change)
            return _with_content(state, author=author, changes=changes)
        case SectionChangeRetracted(number=number, retracted_by=author):
            return _with_content(state, author=author, changes=without_entry(state.changes, number))
        case AmendmentSubmitted(submitted_at=submitted_at):
            return replace(state, status=AmendmentStatus.SUBMITTED, submitted_at=submitted_at)
        case ReviewCommented(text=text, commented_by=by, section=section):
            comment = ReviewComment(text=text, commented_by=by, section=section)
            return replace(state, review_comments=appended(state.review_comments, comment))
        case SignatureApplied(signature=signature) | EthicsApprovalRecorded(signature=signature):
            return replace(state, signatures=(*state.signatures, signature))
        case SignaturesInvalidated():
            # Approval stood on the old content; the new content must be approved again.
            status = (
                AmendmentStatus.SUBMITTED
                if state.status is AmendmentStatus.APPROVED
                else state.status
            )
            return replace(
                state,
                status=status,
                signatures=(),
                invalidated_signatures=(*state.invalidated_signatures, *state.signatures),
            )
        case AmendmentApproved():
            return replace(state, status=AmendmentStatus.APPROVED)
        case AmendmentRejected(reason=reason):
            return replace(state, status=AmendmentStatus.REJECTED, closing_reason=reason)
        case AmendmentWithdrawn(reason=reason):
            return replace(state, status=AmendmentStatus.WITHDRAWN, closing_reason=reason)
        case AmendmentConflictDetected():
            conflict = AmendmentConflict(
                protocol_version=event.protocol_version,
                sections=frozenset(event.sections),
                merged_amendments=event.merged_amendments,
            )
            return replace(state, conflict=conflict)
        case AmendmentRebased(onto_version=onto, resolutions=resolutions, rebased_by=author):
            changes = dict(state.changes)
            for resolution in resolutions:
                changes.pop(resolution.number, None)
                if resolution.change is not None:
                    changes[resolution.number] = resolution.change
            rebased = replace(state, conflict=None)
            return _with_content(rebased, author=author, base_version=onto, changes=changes)
        case ConcurrentModificationNoted(concurrent_with=others):
            return replace(state, concurrent_with=state.concurrent_with | frozenset(others))
        case AmendmentMerged():
            return replace(
                state,
                status=AmendmentStatus.MERGED,
                merged_version=event.protocol_version,
                effective_date=event.effective_date,
            )
        case _:
            return ignore_unknown(state, event)


def fold(events: Iterable[AmendmentEvent], state: AmendmentState = NEW_AMENDMENT) -> AmendmentState:
    """The amendment after ``events``, starting from ``state``."""
    return fold_events(evolve, state, events)
