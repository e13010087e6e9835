"""Signing an amendment, and the approval that follows the last required signature.

Every signature needs the password re-entered, binds to the content hash the signer
saw (which must still be the current one), states its meaning, and waits while a
dispute on the amendment is open. Authors sign only for authorship (or responsibility);
approval and review come from people the charter names who did not write it. The ethics
committee's approval is judged before it is signed: its vote against the charter's
committee quorum, its meeting date against the amendment's submission and the server's
clock.
"""

from __future__ import annotations

from domain.actor import Actor
from domain.amendment_commands import AmendmentContext, RecordEthicsApproval, SignAmendment
from domain.amendment_events import (
    AmendmentApproved,
    AmendmentEvent,
    EthicsApprovalRecorded,
    SignatureApplied,
)
from domain.amendment_rules import require_not_author, require_status
from domain.amendment_state import OPEN_STATUSES, AmendmentState, AmendmentStatus, evolve
from domain.approval_policy import (
    CommitteeVote,
    Requirement,
    Signature,
    SignatureMeaning,
    missing_signatures,
    required_signatures,
)
from domain.charter import CommitteeQuorum
from domain.errors import (
    AlreadySigned,
    AmendmentDisputed,
    CommitteeVoteExceedsMembership,
    CommitteeVoteNotCarried,
    CommitteeVoteNotQuorate,
    CommitteeVoteRequired,
    EthicsMeetingBeforeSubmission,
    EthicsMeetingInFuture,
    InvalidCommand,
    NotAnAuthor,
    NotASignatory,
    ReauthenticationRequired,
    StaleContentHash,
    require_text,
)
from domain.timestamps import (
    date_text,
    earliest_date_anywhere,
    instant_text,
    latest_date_anywhere,
)

_SIGNABLE = frozenset({AmendmentStatus.SUBMITTED, AmendmentStatus.APPROVED})
_VOUCHING = frozenset({SignatureMeaning.REVIEW, SignatureMeaning.APPROVAL})
"""Meanings by which a signer vouches for someone else's work."""


def sign(
    state: AmendmentState, command: SignAmendment, context: AmendmentContext
) -> list[AmendmentEvent]:
    """SignatureApplied (and AmendmentApproved when it completes the requirements)."""
    meaning, actor = command.meaning, command.actor
    signature = _signature(state, command, context, meaning, None)
    if meaning is SignatureMeaning.AUTHORSHIP and actor.user_id not in state.authors:
        raise NotAnAuthor(f"{actor.user_id} did not write amendment {state.amendment_id}")
    if meaning in _VOUCHING:
        require_not_author(state, actor, f"sign for {meaning.value} of")
    if meaning is SignatureMeaning.APPROVAL:
        fitting = approval_requirements_for(state, context, actor)
        if not fitting:
            raise NotASignatory(
                f"the charter does not ask {actor.user_id}'s roles to approve this amendment"
            )
        if all(requirement.needs_committee_vote for requirement in fitting):
            raise CommitteeVoteRequired(
                "record the ethics committee's approval with its vote and minutes"
            )
    applied = SignatureApplied(amendment_id=state.amendment_id, signature=signature)
    return [applied, *approval_if_complete(evolve(state, applied), context)]


def record_ethics_approval(
    state: AmendmentState, command: RecordEthicsApproval, context: AmendmentContext
) -> list[AmendmentEvent]:
    """EthicsApprovalRecorded: the reviewer's signature carrying the committee's vote."""
    actor = command.actor
    require_text(command.minutes_reference, "a reference to the committee's minutes")
    if min(command.in_favour, command.against, command.abstaining) < 0:
        raise InvalidCommand("vote counts cannot be negative")
    vote = CommitteeVote(
        meeting_date=date_text(command.meeting_date),
        in_favour=command.in_favour,
        against=command.against,
        abstaining=command.abstaining,
        minutes_reference=command.minutes_reference,
    )
    _require_committee_decision(vote, context.charter.ethics_committee)
    _require_plausible_meeting(state, vote, command)
    signature = _signature(state, command, context, SignatureMeaning.APPROVAL, vote)
    require_not_author(state, actor, "approve")
    if not context.charter.approval.ethics_approval.admit(actor.roles, actor.organization_kind):
        raise NotASignatory(f"{actor.user_id} does not record ethics approvals under the charter")
    recorded = EthicsApprovalRecorded(amendment_id=state.amendment_id, signature=signature)
    return [recorded, *approval_if_complete(evolve(state, recorded), context)]


def _require_committee_decision(vote: CommitteeVote, committee: CommitteeQuorum) -> None:
    """Refuse a vote the charter's committee quorum does not let approve the amendment:
    more members than the committee has, too few present, or too few in favour."""
    present = vote.in_favour + vote.against + vote.abstaining
    rule, members = committee.rule, committee.membership
    if present > members:
        raise CommitteeVoteExceedsMembership(
            f"{present} members voted or abstained, but the charter's ethics committee has"
            f" {members}"
        )
    if not committee.is_quorate(present):
        raise CommitteeVoteNotQuorate(
            f"{present} of the committee's {members} members were present; its quorum"
            f" ({rule.name}: {rule.participation} of the members) needs"
            f" {rule.votes_needed(members)}"
        )
    if not committee.carries(vote.in_favour, present):
        raise CommitteeVoteNotCarried(
            f"{vote.in_favour} in favour of {present} members present is not"
            f" {rule.majority} ({rule.name}); reject the amendment instead"
        )


def _require_plausible_meeting(
    state: AmendmentState, vote: CommitteeVote, command: RecordEthicsApproval
) -> None:
    """Refuse a meeting later than today anywhere on Earth at the signing time (the
    server's clock), or earlier than the day, anywhere on Earth, the amendment was
    submitted (unless the log did not record when)."""
    latest = date_text(latest_date_anywhere(command.signed_at, "the signing time"))
    if vote.meeting_date > latest:
        raise EthicsMeetingInFuture(
            f"the committee's meeting on {vote.meeting_date} lies in the future (today is"
            f" {latest} at the latest)"
        )
    if not state.submitted_at:
        return
    earliest = date_text(earliest_date_anywhere(state.submitted_at))
    if vote.meeting_date < earliest:
        raise EthicsMeetingBeforeSubmission(
            f"the committee met on {vote.meeting_date}, but amendment {state.amendment_id}"
            f" was submitted at {state.submitted_at}"
        )


def approval_requirements_for(
    state: AmendmentState, context: AmendmentContext, actor: Actor
) -> list[Requirement]:
    """The approval requirements of the amendment that ``actor``'s roles could meet."""
    if state.details is None:
        return []
    return [
        requirement
        for requirement in required_signatures(context.charter, state.details, state.sections)
        if requirement.meaning is SignatureMeaning.APPROVAL
        and requirement.signatories.admit(actor.roles, actor.organization_kind)
    ]


def missing_for(state: AmendmentState, context: AmendmentContext) -> tuple[Requirement, ...]:
    """The required signatures the amendment's current content still lacks."""
    if state.details is None:
        return ()
    required = required_signatures(context.charter, state.details, state.sections)
    return missing_signatures(required, state.signatures, state.content_hash, state.authors)


def approval_if_complete(state: AmendmentState, context: AmendmentContext) -> list[AmendmentEvent]:
    """AmendmentApproved when a submitted amendment now has every required signature."""
    if state.status is not AmendmentStatus.SUBMITTED or missing_for(state, context):
        return []
    signatories = sorted({s.signer_id for s in state.signatures if s.meaning in _VOUCHING})
    return [
        AmendmentApproved(
            amendment_id=state.amendment_id,
            content_hash=state.content_hash,
            signatories=tuple(signatories),
        )
    ]


def _signature(
    state: AmendmentState,
    command: SignAmendment | RecordEthicsApproval,
    context: AmendmentContext,
    meaning: SignatureMeaning,
    vote: CommitteeVote | None,
) -> Signature:
    """The signature ``command`` would apply, after the checks every signature passes."""
    allowed = OPEN_STATUSES if meaning is SignatureMeaning.AUTHORSHIP else _SIGNABLE
    require_status(state, allowed, f"sign for {meaning.value}")
    actor = command.actor
    if not command.password_confirmed:
        raise ReauthenticationRequired(f"{actor.user_id} must re-enter their password to sign")
    if command.content_hash != state.content_hash:
        raise StaleContentHash(
            f"amendment {state.amendment_id} changed since it was viewed;"
            f" its content is now {state.content_hash}"
        )
    if context.open_disputes:
        raise AmendmentDisputed(
            f"disputes {sorted(context.open_disputes)} on amendment {state.amendment_id}"
            " must be resolved before anyone signs it"
        )
    if any(s.signer_id == actor.user_id and s.meaning is meaning for s in state.signatures):
        raise AlreadySigned(f"{actor.user_id} already signed this content for {meaning.value}")
    return Signature(
        signer_id=actor.user_id,
        printed_name=actor.printed_name,
        meaning=meaning,
        content_hash=state.content_hash,
        signed_at=instant_text(command.signed_at, "the signing time"),
        roles=actor.roles,
        organization_kind=actor.organization_kind,
        committee_vote=vote,
    )
