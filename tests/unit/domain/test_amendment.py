"""The amendment's lifecycle: opening, editing, submission, review, closing, conflicts."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from domain import amendment, errors
from domain.actor import Actor
from domain.amendment import (
    AmendmentContext,
    AmendmentState,
    AmendmentStatus,
    CheckForConflicts,
    CommentOnReview,
    OpenAmendment,
    ProposeSectionChange,
    RebaseAmendment,
    RejectAmendment,
    RetractSectionChange,
    ReviseAmendmentDetails,
    SubmitAmendment,
    WithdrawAmendment,
)
from domain.amendment_details import AmendmentDetails, ProposedChange, SectionResolution
from domain.amendment_events import (
    AmendmentConflictDetected,
    AmendmentOpened,
    AmendmentRebased,
    AmendmentRejected,
    AmendmentSubmitted,
    AmendmentWithdrawn,
    ReviewCommented,
    SectionChangeProposed,
)
from domain.protocol import ProtocolState
from domain.protocol_events import SectionText
from tests.unit.domain.steps import Amend, OtherMerge


def proposal(number: str, text: str | None, heading: str = "Inclusion Criteria") -> ProposedChange:
    return ProposedChange(
        number=number, heading=heading, text=text, description="Change", rationale="Because"
    )


# -- opening ----------------------------------------------------------------------------


def test_an_amendment_opens_on_the_current_version(
    investigator: Actor, details: AmendmentDetails, context: AmendmentContext, amend: Amend
) -> None:
    command = OpenAmendment(actor=investigator, amendment_id="A-1", base_version=1, details=details)
    assert amendment.decide(amendment.NEW_AMENDMENT, command, context) == [
        AmendmentOpened(
            amendment_id="A-1", trial_id="t-1", base_version=1, details=details, opened_by="ivy"
        )
    ]
    opened = amend(amendment.NEW_AMENDMENT, context, command)
    assert opened.status is AmendmentStatus.DRAFT
    assert opened.authors == {"ivy"}


def test_an_amendment_needs_a_published_protocol(
    investigator: Actor,
    details: AmendmentDetails,
    context: AmendmentContext,
    drafted_protocol: ProtocolState,
) -> None:
    command = OpenAmendment(actor=investigator, amendment_id="A-1", base_version=0, details=details)
    with pytest.raises(errors.ProtocolNotPublished):
        amendment.decide(
            amendment.NEW_AMENDMENT, command, replace(context, protocol=drafted_protocol)
        )


def test_an_amendment_starts_from_the_current_version_only(
    investigator: Actor, details: AmendmentDetails, context: AmendmentContext
) -> None:
    command = OpenAmendment(actor=investigator, amendment_id="A-1", base_version=0, details=details)
    with pytest.raises(errors.StaleBaseVersion, match="current version 1, not version 0"):
        amendment.decide(amendment.NEW_AMENDMENT, command, context)


def test_an_amendment_opens_once_with_valid_details(
    investigator: Actor, details: AmendmentDetails, context: AmendmentContext, draft: AmendmentState
) -> None:
    command = OpenAmendment(actor=investigator, amendment_id="A-1", base_version=1, details=details)
    with pytest.raises(errors.AmendmentAlreadyOpened):
        amendment.decide(draft, command, context)
    with pytest.raises(errors.RequiredTextMissing, match="summary"):
        amendment.decide(
            amendment.NEW_AMENDMENT, replace(command, details=replace(details, summary="")), context
        )


def test_commands_need_an_opened_amendment(investigator: Actor, context: AmendmentContext) -> None:
    with pytest.raises(errors.AmendmentNotFound):
        amendment.decide(amendment.NEW_AMENDMENT, SubmitAmendment(actor=investigator), context)


# -- editing ----------------------------------------------------------------------------


def test_proposing_a_change_makes_the_proposer_an_author(
    draft: AmendmentState, sponsor_lead: Actor, context: AmendmentContext, amend: Amend
) -> None:
    change = proposal("5.3", "Pregnancy", heading="Exclusion Criteria")
    command = ProposeSectionChange(actor=sponsor_lead, change=change)
    assert amendment.decide(draft, command, context) == [
        SectionChangeProposed(amendment_id="A-1", change=change, proposed_by="sam")
    ]
    proposed = amend(draft, context, command)
    assert proposed.authors == {"ivy", "sam"}
    assert proposed.sections == {"5.2", "5.3"}
    assert proposed.content_hash != draft.content_hash


def test_a_proposal_replaces_the_earlier_one_for_the_same_section(
    draft: AmendmentState, investigator: Actor, context: AmendmentContext, amend: Amend
) -> None:
    again = amend(
        draft, context, ProposeSectionChange(actor=investigator, change=proposal("5.2", "Age 18+"))
    )
    assert again.changes["5.2"].text == "Age 18+"
    assert len(again.changes) == 1


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (replace(proposal("5.2", "x"), description=""), errors.RequiredTextMissing, "description"),
        (replace(proposal("5.2", "x"), rationale=" "), errors.RequiredTextMissing, "rationale"),
        (proposal("5.2", "x", heading="Who Can Join"), errors.FixedHeadingChanged, "fixed"),
        (proposal("5.2", None), errors.FixedSectionRemoved, "section 5.2 is fixed"),
        (proposal("5.7.1", "x", heading="New"), errors.SectionNotFound, "parent section 5.7"),
        (proposal("5.x", "x"), errors.InvalidSectionNumber, "5.x"),
        (
            proposal("5.3", "Pregnancy\nPrior exposure", heading="Exclusion Criteria"),
            errors.AmendmentUnchanged,
            "reads as in version 1",
        ),
    ],
)
def test_a_proposal_must_obey_the_outline_and_change_something(
    draft: AmendmentState,
    investigator: Actor,
    context: AmendmentContext,
    change: ProposedChange,
    error: type[errors.DomainError],
    message: str,
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        amendment.decide(draft, ProposeSectionChange(actor=investigator, change=change), context)


def test_proposing_the_same_change_again_is_refused(
    draft: AmendmentState,
    investigator: Actor,
    age_change: ProposedChange,
    context: AmendmentContext,
) -> None:
    with pytest.raises(errors.AmendmentUnchanged, match="A-1 already reads so"):
        amendment.decide(
            draft, ProposeSectionChange(actor=investigator, change=age_change), context
        )


def test_subsections_can_be_added_and_removed(
    draft: AmendmentState, investigator: Actor, context: AmendmentContext, amend: Amend
) -> None:
    edited = amend(
        draft,
        context,
        ProposeSectionChange(
            actor=investigator, change=proposal("5.2.1", "18 to 75", heading="Age")
        ),
        ProposeSectionChange(
            actor=investigator, change=proposal("1.1.2", None, heading="Overall Design")
        ),
    )
    assert edited.sections == {"1.1.2", "5.2", "5.2.1"}


def test_a_change_is_retracted_unless_another_depends_on_it(
    draft: AmendmentState, investigator: Actor, context: AmendmentContext, amend: Amend
) -> None:
    nested = amend(
        draft,
        context,
        ProposeSectionChange(actor=investigator, change=proposal("5.2.1", "x", heading="Age")),
        ProposeSectionChange(actor=investigator, change=proposal("5.2.1.1", "y", heading="Upper")),
    )
    with pytest.raises(errors.SectionNotFound, match=re.escape("parent section 5.2.1")):
        amendment.decide(nested, RetractSectionChange(actor=investigator, number="5.2.1"), context)
    retracted = amend(nested, context, RetractSectionChange(actor=investigator, number="5.2.1.1"))
    assert retracted.sections == {"5.2", "5.2.1"}
    with pytest.raises(errors.ProposedChangeNotFound):
        amendment.decide(retracted, RetractSectionChange(actor=investigator, number="9.1"), context)


def test_a_submitted_amendment_keeps_at_least_one_change(
    submitted: AmendmentState, investigator: Actor, context: AmendmentContext
) -> None:
    with pytest.raises(errors.AmendmentHasNoChanges, match="withdraw it instead"):
        amendment.decide(submitted, RetractSectionChange(actor=investigator, number="5.2"), context)


def test_the_details_are_revised_while_editable(
    draft: AmendmentState,
    investigator: Actor,
    details: AmendmentDetails,
    context: AmendmentContext,
    amend: Amend,
) -> None:
    revised_details = replace(details, summary="Widen the age range to 75")
    revised = amend(
        draft, context, ReviseAmendmentDetails(actor=investigator, details=revised_details)
    )
    assert revised.details == revised_details
    with pytest.raises(errors.AmendmentUnchanged):
        amendment.decide(
            revised, ReviseAmendmentDetails(actor=investigator, details=revised_details), context
        )


# -- submission, review, closing --------------------------------------------------------


def test_submission_records_the_content_hash(
    draft: AmendmentState, investigator: Actor, context: AmendmentContext
) -> None:
    assert amendment.decide(draft, SubmitAmendment(actor=investigator), context) == [
        AmendmentSubmitted(amendment_id="A-1", content_hash=draft.content_hash, submitted_by="ivy")
    ]


def test_an_amendment_without_changes_is_not_submitted(
    investigator: Actor, details: AmendmentDetails, context: AmendmentContext, amend: Amend
) -> None:
    empty = amend(
        amendment.NEW_AMENDMENT,
        context,
        OpenAmendment(actor=investigator, amendment_id="A-9", base_version=1, details=details),
    )
    with pytest.raises(errors.AmendmentHasNoChanges):
        amendment.decide(empty, SubmitAmendment(actor=investigator), context)


def test_an_amendment_is_submitted_once(
    submitted: AmendmentState, investigator: Actor, context: AmendmentContext
) -> None:
    with pytest.raises(
        errors.WrongAmendmentStatus,
        match="cannot submit amendment A-1 while it is submitted; it must be draft",
    ):
        amendment.decide(submitted, SubmitAmendment(actor=investigator), context)


def test_reviewers_comment_on_the_amendment_or_a_section_it_changes(
    submitted: AmendmentState, advocate: Actor, context: AmendmentContext
) -> None:
    comment = CommentOnReview(actor=advocate, text="Clear", section="5.2")
    assert amendment.decide(submitted, comment, context) == [
        ReviewCommented(amendment_id="A-1", text="Clear", commented_by="pat", section="5.2")
    ]
    with pytest.raises(errors.ProposedChangeNotFound):
        amendment.decide(submitted, replace(comment, section="1.3"), context)


def test_an_approved_amendment_can_no_longer_be_edited(
    approved: AmendmentState, investigator: Actor, context: AmendmentContext
) -> None:
    assert approved.status is AmendmentStatus.APPROVED
    with pytest.raises(errors.WrongAmendmentStatus, match="cannot change amendment A-1"):
        amendment.decide(
            approved, ProposeSectionChange(actor=investigator, change=proposal("5.2", "x")), context
        )


def test_an_approver_who_is_not_an_author_rejects_with_a_reason(
    submitted: AmendmentState, sponsor_lead: Actor, context: AmendmentContext, amend: Amend
) -> None:
    reject = RejectAmendment(actor=sponsor_lead, reason="Safety data pending")
    assert amendment.decide(submitted, reject, context) == [
        AmendmentRejected(amendment_id="A-1", reason="Safety data pending", rejected_by="sam")
    ]
    assert amend(submitted, context, reject).status is AmendmentStatus.REJECTED
    with pytest.raises(errors.RequiredTextMissing):
        amendment.decide(submitted, replace(reject, reason=""), context)


def test_only_approvers_reject(
    submitted: AmendmentState, advocate: Actor, context: AmendmentContext
) -> None:
    with pytest.raises(errors.NotASignatory):
        amendment.decide(submitted, RejectAmendment(actor=advocate, reason="No"), context)


def test_an_author_cannot_reject(
    draft: AmendmentState, sponsor_lead: Actor, context: AmendmentContext, amend: Amend
) -> None:
    coauthored = amend(
        draft,
        context,
        ProposeSectionChange(
            actor=sponsor_lead, change=proposal("5.3", "None", heading="Exclusion Criteria")
        ),
        SubmitAmendment(actor=sponsor_lead),
    )
    with pytest.raises(errors.SeparationOfDuties, match="sam is an author of amendment A-1"):
        amendment.decide(coauthored, RejectAmendment(actor=sponsor_lead, reason="No"), context)


def test_a_draft_is_not_rejected(
    draft: AmendmentState, sponsor_lead: Actor, context: AmendmentContext
) -> None:
    with pytest.raises(errors.WrongAmendmentStatus):
        amendment.decide(draft, RejectAmendment(actor=sponsor_lead, reason="No"), context)


def test_the_opener_or_the_sponsor_withdraws(
    submitted: AmendmentState,
    investigator: Actor,
    sponsor_lead: Actor,
    advocate: Actor,
    context: AmendmentContext,
    amend: Amend,
) -> None:
    withdraw = WithdrawAmendment(actor=investigator, reason="Superseded")
    assert amendment.decide(submitted, withdraw, context) == [
        AmendmentWithdrawn(amendment_id="A-1", reason="Superseded", withdrawn_by="ivy")
    ]
    assert amendment.decide(submitted, replace(withdraw, actor=sponsor_lead), context)
    with pytest.raises(errors.NotEntitledToWithdraw):
        amendment.decide(submitted, replace(withdraw, actor=advocate), context)
    withdrawn = amend(submitted, context, withdraw)
    with pytest.raises(errors.WrongAmendmentStatus):
        amendment.decide(withdrawn, withdraw, context)


# -- conflicts and rebase ---------------------------------------------------------------


def test_a_conflict_is_detected_when_a_merged_amendment_changed_the_same_section(
    submitted: AmendmentState, sponsor_lead: Actor, moved_on: AmendmentContext
) -> None:
    check = CheckForConflicts(actor=sponsor_lead)
    [detected] = amendment.decide(submitted, check, moved_on)
    assert detected == AmendmentConflictDetected(
        amendment_id="A-1", protocol_version=2, sections=("5.2",), merged_amendments=("B-1",)
    )
    in_conflict = amendment.fold([detected], submitted)
    assert amendment.decide(in_conflict, check, moved_on) == []


def test_no_conflict_without_a_shared_section(
    submitted: AmendmentState, sponsor_lead: Actor, moved_on_elsewhere: AmendmentContext
) -> None:
    check = CheckForConflicts(actor=sponsor_lead)
    assert amendment.decide(submitted, check, moved_on_elsewhere) == []


def test_a_change_to_a_subsection_conflicts_with_a_change_to_its_section(
    submitted: AmendmentState,
    sponsor_lead: Actor,
    context: AmendmentContext,
    merged_elsewhere: OtherMerge,
) -> None:
    below = merged_elsewhere(
        context.protocol, SectionText(number="5.2.1", heading="Age", text="18 to 70")
    )
    [detected] = amendment.decide(
        submitted, CheckForConflicts(actor=sponsor_lead), replace(context, protocol=below)
    )
    assert isinstance(detected, AmendmentConflictDetected)
    assert detected.sections == ("5.2",)


def test_a_closed_amendment_has_no_conflicts(
    submitted: AmendmentState, investigator: Actor, moved_on: AmendmentContext, amend: Amend
) -> None:
    withdrawn = amend(submitted, moved_on, WithdrawAmendment(actor=investigator, reason="r"))
    assert amendment.decide(withdrawn, CheckForConflicts(actor=investigator), moved_on) == []


@pytest.fixture(scope="module")
def in_conflict(
    submitted: AmendmentState, sponsor_lead: Actor, moved_on: AmendmentContext, amend: Amend
) -> AmendmentState:
    return amend(submitted, moved_on, CheckForConflicts(actor=sponsor_lead))


def test_an_amendment_in_conflict_is_not_edited_until_rebased(
    in_conflict: AmendmentState, investigator: Actor, moved_on: AmendmentContext
) -> None:
    change = proposal("5.3", "None", heading="Exclusion Criteria")
    with pytest.raises(
        errors.AmendmentInConflict, match=re.escape("in sections 5.2; rebase it first")
    ):
        amendment.decide(
            in_conflict, ProposeSectionChange(actor=investigator, change=change), moved_on
        )


def test_a_rebase_resolves_each_section_in_conflict_and_moves_the_base(
    in_conflict: AmendmentState, investigator: Actor, moved_on: AmendmentContext, amend: Amend
) -> None:
    resolved = replace(in_conflict.changes["5.2"], text="Age 16 to 75")
    resolution = SectionResolution(number="5.2", change=resolved)
    rebase = RebaseAmendment(
        actor=investigator, onto_version=2, resolutions=(resolution,), note="keep both limits"
    )
    assert amendment.decide(in_conflict, rebase, moved_on) == [
        AmendmentRebased(
            amendment_id="A-1",
            from_version=1,
            onto_version=2,
            resolutions=(resolution,),
            note="keep both limits",
            rebased_by="ivy",
        )
    ]
    rebased = amend(in_conflict, moved_on, rebase)
    assert rebased.base_version == 2
    assert rebased.conflict is None
    assert rebased.changes["5.2"].text == "Age 16 to 75"


def test_a_rebase_can_drop_the_change_in_conflict(
    in_conflict: AmendmentState, investigator: Actor, moved_on: AmendmentContext, amend: Amend
) -> None:
    drop = RebaseAmendment(
        actor=investigator,
        onto_version=2,
        resolutions=(SectionResolution(number="5.2", change=None),),
    )
    assert amend(in_conflict, moved_on, drop).changes == {}


@pytest.mark.parametrize(
    ("onto", "resolutions", "error", "message"),
    [
        (1, (), errors.StaleBaseVersion, "rebase onto the current version 2, not version 1"),
        (2, (), errors.RebaseResolutionInvalid, "resolve each section in conflict ['5.2']"),
        (
            2,
            (SectionResolution(number="5.2", change=None),) * 2,
            errors.RebaseResolutionInvalid,
            "exactly once",
        ),
        (
            2,
            (SectionResolution(number="5.2", change=proposal("5.3", "x")),),
            errors.RebaseResolutionInvalid,
            "the resolution of section 5.2 changes section 5.3",
        ),
        (
            2,
            (SectionResolution(number="5.2", change=proposal("5.2", "Age 16 to 65")),),
            errors.AmendmentUnchanged,
            "reads as in version 2",
        ),
    ],
)
def test_a_rebase_must_resolve_exactly_the_conflict_on_the_current_version(
    in_conflict: AmendmentState,
    investigator: Actor,
    moved_on: AmendmentContext,
    onto: int,
    resolutions: tuple[SectionResolution, ...],
    error: type[errors.DomainError],
    message: str,
) -> None:
    rebase = RebaseAmendment(actor=investigator, onto_version=onto, resolutions=resolutions)
    with pytest.raises(error, match=re.escape(message)):
        amendment.decide(in_conflict, rebase, moved_on)


def test_an_amendment_on_the_current_version_needs_no_rebase(
    submitted: AmendmentState, investigator: Actor, context: AmendmentContext
) -> None:
    rebase = RebaseAmendment(actor=investigator, onto_version=1, resolutions=())
    with pytest.raises(errors.AmendmentUpToDate):
        amendment.decide(submitted, rebase, context)


def test_a_stale_amendment_without_conflicts_rebases_without_resolutions(
    submitted: AmendmentState,
    investigator: Actor,
    moved_on_elsewhere: AmendmentContext,
    amend: Amend,
) -> None:
    rebase = RebaseAmendment(actor=investigator, onto_version=2, resolutions=())
    assert amend(submitted, moved_on_elsewhere, rebase).base_version == 2
