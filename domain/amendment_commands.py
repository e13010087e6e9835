"""What people ask of an amendment, and the facts from elsewhere its decisions need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.amendment_details import AmendmentDetails, ProposedChange, SectionResolution
from domain.approval_policy import SignatureMeaning
from domain.charter import Charter
from domain.event import Command
from domain.protocol_state import ProtocolState


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendmentContext:
    """What an amendment's decisions need from elsewhere in the trial.

    ``charter`` is the workspace's current charter and ``protocol`` the protocol's
    current state. ``open_disputes`` holds the ids of open disputes about this
    amendment; ``feedback_awaiting_disposition`` the ids of patient advocate comments
    on it that have no disposition yet (see ``domain.engagement``).
    ``substantial_under_evaluation`` holds the ids of the trial's substantial amendments
    under evaluation (submitted or approved; this one too if it is): the server looks
    them up for the commands that need them (submitting, revising details, checking for
    concurrent modifications) and leaves it empty for the others.
    """

    charter: Charter
    protocol: ProtocolState
    open_disputes: frozenset[str] = frozenset()
    feedback_awaiting_disposition: frozenset[str] = frozenset()
    substantial_under_evaluation: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenAmendment(Command):
    """Open an amendment against ``base_version``, which must be the current version."""

    amendment_id: str
    base_version: int
    details: AmendmentDetails


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviseAmendmentDetails(Command):
    """Replace the M11 amendment details (while draft or submitted)."""

    details: AmendmentDetails


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposeSectionChange(Command):
    """Propose a change to one section (replacing an earlier proposal for it)."""

    change: ProposedChange


@dataclass(frozen=True, slots=True, kw_only=True)
class RetractSectionChange(Command):
    """Stop proposing a change to section ``number``."""

    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitAmendment(Command):
    """Submit the draft for review and signatures."""

    submitted_at: datetime | None = None
    """The server's clock (the route fills it in); the ethics committee cannot have met
    on the amendment before this day."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentOnReview(Command):
    """A reviewer's remark, on the whole amendment or on one section it changes."""

    text: str
    section: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SignAmendment(Command):
    """Sign the content with hash ``content_hash`` (the one the signer saw), stating the
    meaning. ``password_confirmed`` is the server's word that the signer re-entered
    their password for this signature."""

    meaning: SignatureMeaning
    content_hash: str
    signed_at: datetime
    password_confirmed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordEthicsApproval(Command):
    """An ethics reviewer records the committee's approval with its vote and minutes,
    signing as for :class:`SignAmendment`."""

    content_hash: str
    signed_at: datetime
    password_confirmed: bool
    meeting_date: date
    in_favour: int
    against: int
    abstaining: int
    minutes_reference: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectAmendment(Command):
    """Reject a submitted amendment: by an approver who did not write it, with a reason."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawAmendment(Command):
    """Withdraw an open amendment: by its opener or the sponsor, with a reason."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckForConflicts(Command):
    """Record a conflict when amendments merged since the base changed the same
    sections. The server issues it to every open amendment after each merge."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RebaseAmendment(Command):
    """Move the amendment onto the current protocol version, resolving every section
    in conflict (and no other)."""

    onto_version: int
    resolutions: tuple[SectionResolution, ...]
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckForConcurrentModifications(Command):
    """Link this substantial amendment, if under evaluation, to the other substantial
    amendments under evaluation it is not linked to yet. The server issues it to every
    open amendment after a ``ConcurrentModificationNoted``, so that the link goes both
    ways."""


AmendmentCommand = (
    OpenAmendment
    | ReviseAmendmentDetails
    | ProposeSectionChange
    | RetractSectionChange
    | SubmitAmendment
    | CommentOnReview
    | SignAmendment
    | RecordEthicsApproval
    | RejectAmendment
    | WithdrawAmendment
    | CheckForConflicts
    | RebaseAmendment
    | CheckForConcurrentModifications
)
