"""An amendment's shared text of a section: what its authors write together, proposed
as the amendment's change to the section (``domain.shared_text`` holds the events, the
state and the commands of every shared text; this module decides them for an amendment).
"""

from __future__ import annotations

from typing import assert_never

from domain import amendment
from domain.amendment import EDITABLE, AmendmentContext, ProposeSectionChange
from domain.amendment_details import ProposedChange
from domain.amendment_rules import require_status
from domain.amendment_state import AmendmentState
from domain.errors import (
    AmendmentNotFound,
    SectionNotFound,
    SharedTextAlreadyStarted,
    SharedTextNotStarted,
)
from domain.protocol_state import ProtocolState
from domain.shared_text import (
    EditSharedText,
    ProposeSharedText,
    RecordSharedText,
    SharedText,
    SharedTextCommand,
    SharedTextDecision,
    SharedTextRecorded,
    StartSharedText,
    decide_edit,
    decide_start,
    require_started,
)


def decide(
    state: SharedText,
    command: SharedTextCommand,
    proposal: AmendmentState,
    context: AmendmentContext,
) -> SharedTextDecision:
    """The events a command on an amendment's shared text for a section causes."""
    if not proposal.exists:
        raise AmendmentNotFound("there is no such amendment")
    require_status(proposal, EDITABLE, "write in")
    match command:
        case StartSharedText():
            if state.started:
                raise SharedTextAlreadyStarted(
                    f"the shared text of {proposal.amendment_id}'s section {command.number}"
                    " was started already"
                )
            return decide_start(proposal.trial_id, command, from_revision=0)
        case EditSharedText():
            return decide_edit(state, proposal.trial_id, command)
        case ProposeSharedText():
            require_started(state, command.number)
            return _propose(state, command, proposal, context)
        case RecordSharedText():
            raise SharedTextNotStarted("an amendment's text is proposed, not recorded")
        case _:
            assert_never(command)


def proposal_start(proposal: AmendmentState, protocol: ProtocolState, number: str) -> str:
    """The text an amendment's shared text for section ``number`` starts from: its
    proposal for the section, else the section's current text."""
    proposed = proposal.changes.get(number)
    if proposed is not None and proposed.text is not None:
        return proposed.text
    section = protocol.live_section(number)
    if section is None:
        raise SectionNotFound(f"there is no section {number}")
    return section.head.text


def _propose(
    state: SharedText,
    command: ProposeSharedText,
    proposal: AmendmentState,
    context: AmendmentContext,
) -> SharedTextDecision:
    earlier = proposal.changes.get(command.number)
    section = context.protocol.live_section(command.number)
    heading = earlier.heading if earlier else section.head.heading if section else ""
    change = ProposedChange(
        number=command.number,
        heading=heading,
        text=command.text,
        description=command.description,
        rationale=command.rationale,
    )
    proposed = amendment.decide(
        proposal, ProposeSectionChange(actor=command.actor, change=change), context
    )
    recorded = SharedTextRecorded(
        trial_id=proposal.trial_id,
        number=command.number,
        revision=0,
        text_version=command.text_version,
        reason=command.rationale.strip(),
        contributors=state.writers,
        recorded_by=command.actor.user_id,
    )
    return SharedTextDecision([recorded], amendment_events=proposed)
