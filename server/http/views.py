"""The JSON a client reads for each aggregate: its state in the domain's own vocabulary,
arranged for reading (the protocol's current text in document order, versions without
their full text)."""

from __future__ import annotations

from typing import Any

from domain import m11
from domain.amendment_state import AmendmentState
from domain.approval_policy import missing_signatures, required_signatures
from domain.charter import Charter
from domain.codec import JsonValue, encode
from domain.dispute import DisputeState
from domain.motion import MotionState
from domain.protocol_state import ProtocolState


def protocol_view(state: ProtocolState) -> dict[str, Any]:
    """The protocol now: title, live sections in M11 order, open edit conflicts, versions."""
    live = sorted(
        (s for s in state.sections.values() if not s.removed), key=lambda s: m11.sort_key(s.number)
    )
    return {
        "trial_id": state.trial_id,
        "title": state.title,
        "current_version": state.current_version,
        "sections": [
            {
                "number": section.number,
                "heading": section.head.heading,
                "text": section.head.text,
                "revision": section.head.revision,
                "author": section.head.author,
            }
            for section in live
        ],
        "open_conflicts": [encode(conflict) for conflict in state.open_conflicts.values()],
        "versions": [
            {
                "version": v.version,
                "effective_date": v.effective_date,
                "content_hash": v.content_hash,
                "changed_sections": sorted(v.changed_sections, key=m11.sort_key),
                "amendment_id": v.amendment_id,
            }
            for v in state.versions
        ],
    }


def state_view(state: object) -> JsonValue:
    """Any other aggregate's state as plain JSON."""
    return encode(state)


def amendment_view(state: AmendmentState, charter: Charter) -> dict[str, Any]:
    """The amendment's state, with the signatures the charter requires of it and those its
    current content still lacks (what a signer is waiting on)."""
    required = required_signatures(charter, state.details, state.sections) if state.details else ()
    missing = missing_signatures(required, state.signatures, state.content_hash, state.authors)
    view = encode(state)
    assert isinstance(view, dict)
    return {
        **view,
        "required_signatures": [encode(r) for r in required],
        "missing_signatures": [encode(r) for r in missing],
    }


def amendment_summary(state: AmendmentState) -> dict[str, Any]:
    """One line of a list of amendments."""
    return {
        "amendment_id": state.amendment_id,
        "status": state.status.value if state.status else None,
        "summary": state.details.summary if state.details else "",
        "base_version": state.base_version,
        "content_hash": state.content_hash,
        "opened_by": state.opened_by,
        "signatures": len(state.signatures),
    }


def motion_summary(state: MotionState) -> dict[str, Any]:
    """One line of a list of motions: the question, how it stands, and the tally."""
    return {
        "motion_id": state.motion_id,
        "question": state.question,
        "status": state.status.value if state.status else None,
        "outcome": state.outcome,
        "tally": encode(state.tally()),
    }


def dispute_summary(state: DisputeState) -> dict[str, Any]:
    """One line of a list of disputes: what about, and how it was settled."""
    return {
        "dispute_id": state.dispute_id,
        "subject_kind": state.subject_kind.value if state.subject_kind else None,
        "subject_id": state.subject_id,
        "raised_by": state.raised_by,
        "resolution": state.resolution,
        "resolved_by": state.resolved_by,
    }
