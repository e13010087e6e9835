"""Merging an approved amendment into a new protocol version."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest

from domain import amendment, errors, protocol
from domain.actor import Actor
from domain.amendment import (
    AmendmentContext,
    AmendmentState,
    AmendmentStatus,
    RebaseAmendment,
    SignAmendment,
)
from domain.amendment_details import ChangeSummaryRow, SectionResolution
from domain.amendment_events import AmendmentMerged
from domain.approval_policy import SignatureMeaning
from domain.charter import DEFAULT_CHARTER
from domain.merging import MergeAmendment, decide_merge
from domain.protocol_events import ProtocolVersionPublished, SectionRevised
from domain.protocol_state import document_hash

APRIL = date(2026, 4, 1)


def merge(actor: Actor, effective: date = APRIL) -> MergeAmendment:
    return MergeAmendment(actor=actor, effective_date=effective)


def test_an_approved_amendment_becomes_the_next_protocol_version(
    approved: AmendmentState, sponsor_lead: Actor, context: AmendmentContext
) -> None:
    decision = decide_merge(approved, merge(sponsor_lead), context)
    after = protocol.fold(decision.protocol_events, context.protocol)
    assert decision.protocol_events == [
        SectionRevised(
            trial_id="t-1",
            number="5.2",
            revision=2,
            based_on=1,
            heading="Inclusion Criteria",
            text="Age 18 to 75\nConfirmed diagnosis\nSigned consent",
            revised_by="sam",
            amendment_id="A-1",
            reason="amendment A-1: Recruitment is slow in older cohorts",
            contributors=("ivy",),
        ),
        ProtocolVersionPublished(
            trial_id="t-1",
            version=2,
            effective_date="2026-04-01",
            content_hash=document_hash(after.document()),
            published_by="sam",
            changed_sections=("5.2",),
            amendment_id="A-1",
        ),
    ]
    assert decision.amendment_events == [
        AmendmentMerged(
            amendment_id="A-1",
            trial_id="t-1",
            protocol_version=2,
            effective_date="2026-04-01",
            content_hash=approved.content_hash,
            summary_of_changes=(
                ChangeSummaryRow(
                    description="Raise the upper age limit to 75",
                    rationale="Recruitment is slow in older cohorts",
                    sections=("5.2",),
                ),
            ),
            merged_by="sam",
        )
    ]
    merged = amendment.fold(decision.amendment_events, approved)
    assert merged.status is AmendmentStatus.MERGED
    assert merged.merged_version == 2


def test_only_an_approved_amendment_merges(
    submitted: AmendmentState, sponsor_lead: Actor, context: AmendmentContext
) -> None:
    with pytest.raises(errors.WrongAmendmentStatus, match="it must be approved"):
        decide_merge(submitted, merge(sponsor_lead), context)
    with pytest.raises(errors.AmendmentNotFound):
        decide_merge(amendment.NEW_AMENDMENT, merge(sponsor_lead), context)


def test_no_merge_while_a_dispute_on_the_amendment_is_open(
    approved: AmendmentState, sponsor_lead: Actor, context: AmendmentContext
) -> None:
    disputed = replace(context, open_disputes=frozenset({"D-7"}))
    with pytest.raises(errors.AmendmentDisputed, match=re.escape("disputes ['D-7']")):
        decide_merge(approved, merge(sponsor_lead), disputed)


def test_no_merge_while_patient_advocate_feedback_awaits_a_disposition(
    approved: AmendmentState, sponsor_lead: Actor, context: AmendmentContext
) -> None:
    pending = replace(context, feedback_awaiting_disposition=frozenset({"c-3"}))
    with pytest.raises(errors.FeedbackAwaitingDisposition, match=re.escape("['c-3']")):
        decide_merge(approved, merge(sponsor_lead), pending)


def test_no_merge_while_a_required_signature_is_missing_under_the_charter_in_force(
    approved: AmendmentState, sponsor_lead: Actor, context: AmendmentContext
) -> None:
    wider = replace(
        DEFAULT_CHARTER.approval,
        participant_facing_sections=DEFAULT_CHARTER.approval.participant_facing_sections | {"5.2"},
    )
    stricter = replace(context, charter=replace(DEFAULT_CHARTER, approval=wider))
    with pytest.raises(
        errors.SignaturesMissing,
        match=re.escape("A-1 lacks patient advocate review (patient_advocate)"),
    ):
        decide_merge(approved, merge(sponsor_lead), stricter)


def test_no_merge_when_an_amendment_merged_since_changed_the_same_section(
    approved: AmendmentState, sponsor_lead: Actor, moved_on: AmendmentContext
) -> None:
    with pytest.raises(
        errors.AmendmentInConflict, match=re.escape("sections ['5.2'] changed since version 1")
    ):
        decide_merge(approved, merge(sponsor_lead), moved_on)


def test_an_amendment_behind_but_without_shared_sections_merges_on_the_latest_version(
    approved: AmendmentState, sponsor_lead: Actor, moved_on_elsewhere: AmendmentContext
) -> None:
    decision = decide_merge(approved, merge(sponsor_lead), moved_on_elsewhere)
    after = protocol.fold(decision.protocol_events, moved_on_elsewhere.protocol)
    assert after.current_version == 3
    assert after.document()["5.3"].text == "None"
    assert after.document()["5.2"].text.startswith("Age 18 to 75")


def test_the_new_version_cannot_take_effect_before_the_current_one(
    approved: AmendmentState, sponsor_lead: Actor, context: AmendmentContext
) -> None:
    with pytest.raises(errors.EffectiveDateTooEarly):
        decide_merge(approved, merge(sponsor_lead, date(2025, 6, 1)), context)


def test_an_amendment_whose_rebase_dropped_every_change_does_not_merge(
    approved: AmendmentState,
    sponsor_lead: Actor,
    investigator: Actor,
    moved_on: AmendmentContext,
    now: datetime,
) -> None:
    drop = RebaseAmendment(
        actor=investigator,
        onto_version=2,
        resolutions=(SectionResolution(number="5.2", change=None),),
    )
    emptied = amendment.fold(amendment.decide(approved, drop, moved_on), approved)
    sign = SignAmendment(
        actor=sponsor_lead,
        meaning=SignatureMeaning.APPROVAL,
        content_hash=emptied.content_hash,
        signed_at=now,
        password_confirmed=True,
    )
    reapproved = amendment.fold(amendment.decide(emptied, sign, moved_on), emptied)
    assert reapproved.status is AmendmentStatus.APPROVED
    with pytest.raises(errors.AmendmentHasNoChanges, match="A-1 changes no section"):
        decide_merge(reapproved, merge(sponsor_lead), moved_on)
