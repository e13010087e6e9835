"""A section's shared text: started from a revision, written by several people, recorded
as the next revision with a reason and its contributors; an amendment's, proposed as its
change. Updates are opaque here (the server reads them): the domain records who sent
which, in order."""

from __future__ import annotations

import base64
from dataclasses import fields
from typing import Any

import pytest

from domain import errors, proposal_text, shared_text
from domain.actor import Actor
from domain.amendment import AmendmentContext
from domain.amendment_events import SectionChangeProposed
from domain.amendment_state import AmendmentState
from domain.protocol_events import SectionRevised
from domain.protocol_state import ProtocolState
from domain.shared_text import (
    NEW_SHARED_TEXT,
    EditSharedText,
    ProposeSharedText,
    RecordSharedText,
    SharedText,
    SharedTextEdited,
    SharedTextStarted,
    StartSharedText,
)

UPDATE = base64.b64encode(b"\x01\x02\x03").decode()


def _fold(state: SharedText, decision: shared_text.SharedTextDecision) -> SharedText:
    for event in decision.text_events:
        state = shared_text.evolve(state, event)
    return state


@pytest.fixture
def started(investigator: Actor, drafted_protocol: ProtocolState) -> SharedText:
    start = StartSharedText(actor=investigator, number="5.2", from_revision=1, update=UPDATE)
    return _fold(NEW_SHARED_TEXT, shared_text.decide(NEW_SHARED_TEXT, start, drafted_protocol))


def test_a_started_text_records_each_update_with_its_author(
    started: SharedText, investigator: Actor, sponsor_lead: Actor, drafted_protocol: ProtocolState
) -> None:
    assert (started.base_revision, started.edits, started.writers) == (1, 0, ())
    state = started
    for person in (sponsor_lead, investigator, sponsor_lead):
        edit = EditSharedText(actor=person, number="5.2", update=UPDATE)
        decided = shared_text.decide(state, edit, drafted_protocol)
        assert decided.text_events == [
            SharedTextEdited(trial_id="t-1", number="5.2", update=UPDATE, edited_by=person.user_id)
        ]
        state = _fold(state, decided)
    assert (state.edits, state.writers) == (3, ("sam", "ivy"))


def test_recording_revises_the_section_with_the_reason_and_the_writers(
    started: SharedText, investigator: Actor, sponsor_lead: Actor, drafted_protocol: ProtocolState
) -> None:
    edited = _fold(
        started,
        shared_text.decide(
            started,
            EditSharedText(actor=sponsor_lead, number="5.2", update=UPDATE),
            drafted_protocol,
        ),
    )
    record = RecordSharedText(
        actor=investigator, number="5.2", text="Age 18 to 70", text_version=2, reason=" Agreed "
    )
    decided = shared_text.decide(edited, record, drafted_protocol)
    [revised] = decided.protocol_events
    assert isinstance(revised, SectionRevised)
    assert (revised.revision, revised.text, revised.reason) == (2, "Age 18 to 70", "Agreed")
    assert revised.contributors == ("sam",)
    after = _fold(edited, decided)
    assert (after.base_revision, after.edits, after.writers) == (2, 0, ())
    with pytest.raises(errors.SectionUnchanged):
        shared_text.decide(after, record, drafted_protocol)
    with pytest.raises(errors.RequiredTextMissing):
        shared_text.decide(edited, _no_reason(record), drafted_protocol)


def _no_reason(record: RecordSharedText) -> RecordSharedText:
    return RecordSharedText(
        actor=record.actor, number=record.number, text=record.text, text_version=2, reason=" "
    )


def test_what_a_shared_text_refuses(
    started: SharedText,
    investigator: Actor,
    drafted_protocol: ProtocolState,
    published_protocol: ProtocolState,
) -> None:
    edit = EditSharedText(actor=investigator, number="5.2", update=UPDATE)
    with pytest.raises(errors.SharedTextNotStarted):
        shared_text.decide(NEW_SHARED_TEXT, edit, drafted_protocol)
    with pytest.raises(errors.ProtocolUnderChangeControl):
        shared_text.decide(started, edit, published_protocol)
    with pytest.raises(errors.SectionNotFound):
        shared_text.decide(
            started, EditSharedText(**{**_fields(edit), "number": "99"}), drafted_protocol
        )
    for bad, why in (("not base64!", "not base64"), ("", "empty"), ("A" * 1_048_580, "at most")):
        with pytest.raises(errors.MalformedUpdate, match=why):
            shared_text.decide(
                started, EditSharedText(**{**_fields(edit), "update": bad}), drafted_protocol
            )
    start = StartSharedText(actor=investigator, number="5.2", from_revision=1, update=UPDATE)
    with pytest.raises(errors.SharedTextAlreadyStarted):
        shared_text.decide(started, start, drafted_protocol)
    with pytest.raises(errors.RevisionNotFound):
        shared_text.decide(
            NEW_SHARED_TEXT,
            StartSharedText(**{**_fields(start), "from_revision": 7}),
            drafted_protocol,
        )
    with pytest.raises(errors.RevisionNotFound):
        shared_text.revision_start(drafted_protocol, "5.2", 9)
    assert shared_text.revision_start(drafted_protocol, "5.2", None) == (
        "Age 18 to 65\nConfirmed diagnosis\nSigned consent",
        1,
    )


def _fields(command: object) -> dict[str, Any]:
    return {field.name: getattr(command, field.name) for field in fields(command)}  # type: ignore[arg-type]


def test_an_amendment_s_text_starts_from_its_proposal_and_is_proposed_as_its_change(
    draft: AmendmentState,
    investigator: Actor,
    context: AmendmentContext,
) -> None:
    assert proposal_text.proposal_start(draft, context.protocol, "5.2") == draft.changes["5.2"].text
    assert (
        proposal_text.proposal_start(draft, context.protocol, "5.3") == "Pregnancy\nPrior exposure"
    )
    with pytest.raises(errors.SectionNotFound):
        proposal_text.proposal_start(draft, context.protocol, "99")
    start = StartSharedText(actor=investigator, number="5.3", from_revision=0, update=UPDATE)
    state = _fold(NEW_SHARED_TEXT, proposal_text.decide(NEW_SHARED_TEXT, start, draft, context))
    edit = EditSharedText(actor=investigator, number="5.3", update=UPDATE)
    state = _fold(state, proposal_text.decide(state, edit, draft, context))
    propose = ProposeSharedText(
        actor=investigator,
        number="5.3",
        text="Pregnancy",
        text_version=2,
        description="Drop prior exposure",
        rationale="Too broad",
    )
    decided = proposal_text.decide(state, propose, draft, context)
    [proposed] = decided.amendment_events
    assert isinstance(proposed, SectionChangeProposed)
    assert (proposed.change.number, proposed.change.text) == ("5.3", "Pregnancy")
    assert proposed.change.heading == "Exclusion Criteria"
    [recorded] = decided.text_events
    assert isinstance(recorded, shared_text.SharedTextRecorded)
    assert recorded.contributors == ("ivy",)
    with pytest.raises(errors.SharedTextNotStarted):
        proposal_text.decide(NEW_SHARED_TEXT, edit, draft, context)
    with pytest.raises(errors.AmendmentNotFound):
        proposal_text.decide(state, edit, AmendmentState(), context)
    record = RecordSharedText(
        actor=investigator, number="5.3", text="x", text_version=2, reason="r"
    )
    with pytest.raises(errors.SharedTextNotStarted):
        proposal_text.decide(state, record, draft, context)


def test_an_amendment_s_text_no_longer_changes_once_it_is_approved(
    approved: AmendmentState, investigator: Actor, context: AmendmentContext
) -> None:
    edit = EditSharedText(actor=investigator, number="5.2", update=UPDATE)
    with pytest.raises(errors.WrongAmendmentStatus):
        proposal_text.decide(NEW_SHARED_TEXT, edit, approved, context)


def test_a_section_s_text_is_recorded_not_proposed(
    started: SharedText, investigator: Actor, drafted_protocol: ProtocolState
) -> None:
    propose = ProposeSharedText(
        actor=investigator, number="5.2", text="x", text_version=1, description="d", rationale="r"
    )
    with pytest.raises(errors.SharedTextNotStarted):
        shared_text.decide(started, propose, drafted_protocol)


def test_events_hold_only_what_the_log_may() -> None:
    started = SharedTextStarted(
        trial_id="t", number="5.2", from_revision=1, update=UPDATE, started_by="ivy"
    )
    assert shared_text.evolve(NEW_SHARED_TEXT, started).base_revision == 1
