"""What happens to an amendment: the events of its stream (one stream per amendment).

An amendment works like a pull request against the current protocol version: it opens
on a base version, collects proposed section changes, is submitted, signed, approved
(or rejected, or withdrawn) and finally merged into a new protocol version. Any change
to its content after a signature is followed by ``SignaturesInvalidated``.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.amendment_details import (
    AmendmentDetails,
    ChangeSummaryRow,
    ProposedChange,
    SectionResolution,
)
from domain.approval_policy import Signature
from domain.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentOpened(Event):
    """An amendment was opened against protocol version ``base_version``."""

    amendment_id: str
    trial_id: str
    base_version: int
    details: AmendmentDetails
    opened_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentDetailsRevised(Event):
    """The M11 amendment details were replaced."""

    amendment_id: str
    details: AmendmentDetails
    revised_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionChangeProposed(Event):
    """A change to one section was proposed (replacing any earlier proposal for it)."""

    amendment_id: str
    change: ProposedChange
    proposed_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionChangeRetracted(Event):
    """The amendment no longer proposes to change this section."""

    amendment_id: str
    number: str
    retracted_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentSubmitted(Event):
    """The draft went to review with the content of this hash."""

    amendment_id: str
    content_hash: str
    submitted_by: str
    submitted_at: str = ""
    """When, by the server's clock; blank in logs written before it was recorded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewCommented(Event):
    """A reviewer's remark on the amendment (or one of its sections) during review."""

    amendment_id: str
    text: str
    commented_by: str
    section: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureApplied(Event):
    """Someone signed the content with the hash in ``signature``, stating its meaning."""

    amendment_id: str
    signature: Signature


@dataclass(frozen=True, slots=True, kw_only=True)
class EthicsApprovalRecorded(Event):
    """The ethics committee approved the amendment; the reviewer's signature carries the
    committee's vote."""

    amendment_id: str
    signature: Signature


@dataclass(frozen=True, slots=True, kw_only=True)
class SignaturesInvalidated(Event):
    """The content changed after these people signed; their signatures no longer count.

    ``signers`` are who must be told (each must sign the new content again);
    ``invalidated_by`` is whose change it was (blank in logs written before it was
    recorded: the change just before names them)."""

    amendment_id: str
    previous_hash: str
    new_hash: str
    signers: tuple[str, ...]
    invalidated_by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentApproved(Event):
    """Every required signature is on the content with this hash."""

    amendment_id: str
    content_hash: str
    signatories: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentRejected(Event):
    """An approver rejected the amendment; it is closed."""

    amendment_id: str
    reason: str
    rejected_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentWithdrawn(Event):
    """The opener or the sponsor withdrew the amendment; it is closed."""

    amendment_id: str
    reason: str
    withdrawn_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentConflictDetected(Event):
    """Amendments merged since this one's base version changed the same sections."""

    amendment_id: str
    protocol_version: int
    sections: tuple[str, ...]
    merged_amendments: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentRebased(Event):
    """The amendment now starts from ``onto_version``; each section in conflict was
    settled as its resolution says."""

    amendment_id: str
    from_version: int
    onto_version: int
    resolutions: tuple[SectionResolution, ...]
    note: str
    rebased_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentMerged(Event):
    """The amendment became protocol version ``protocol_version``."""

    amendment_id: str
    trial_id: str
    protocol_version: int
    effective_date: str
    content_hash: str
    summary_of_changes: tuple[ChangeSummaryRow, ...]
    merged_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConcurrentModificationNoted(Event):
    """This substantial amendment is under evaluation at the same time as the substantial
    amendments ``concurrent_with`` (the charter allows it); each is linked to the others."""

    amendment_id: str
    concurrent_with: tuple[str, ...]


AmendmentEvent = (
    AmendmentOpened
    | AmendmentDetailsRevised
    | SectionChangeProposed
    | SectionChangeRetracted
    | AmendmentSubmitted
    | ReviewCommented
    | SignatureApplied
    | EthicsApprovalRecorded
    | SignaturesInvalidated
    | AmendmentApproved
    | AmendmentRejected
    | AmendmentWithdrawn
    | AmendmentConflictDetected
    | AmendmentRebased
    | AmendmentMerged
    | ConcurrentModificationNoted
)
