"""Checks that several amendment decisions share."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from domain import m11
from domain.actor import Actor
from domain.amendment_events import AmendmentEvent, SignaturesInvalidated
from domain.amendment_state import AmendmentState, AmendmentStatus, evolve
from domain.errors import (
    AmendmentInConflict,
    AmendmentUnchanged,
    SeparationOfDuties,
    WrongAmendmentStatus,
)
from domain.protocol_state import ProtocolState


def require_status(
    state: AmendmentState, allowed: Collection[AmendmentStatus], action: str
) -> None:
    """Refuse unless the status is one of ``allowed``; ``action`` names what is refused."""
    if state.status not in allowed:
        expected = " or ".join(sorted(status.value for status in allowed))
        raise WrongAmendmentStatus(
            f"cannot {action} amendment {state.amendment_id} while it is {state.status};"
            f" it must be {expected}"
        )


def require_not_author(state: AmendmentState, actor: Actor, action: str) -> None:
    """Separation of duties: nobody who wrote the amendment may ``action`` it."""
    if actor.user_id in state.authors:
        raise SeparationOfDuties(
            f"{actor.user_id} is an author of amendment {state.amendment_id} and cannot {action} it"
        )


def require_no_conflict(state: AmendmentState) -> None:
    """Refuse while a recorded conflict waits for a rebase."""
    if state.conflict is not None:
        sections = ", ".join(sorted(state.conflict.sections, key=m11.sort_key))
        raise AmendmentInConflict(
            f"amendment {state.amendment_id} conflicts with version"
            f" {state.conflict.protocol_version} in sections {sections}; rebase it first"
        )


def content_change(
    state: AmendmentState, change: AmendmentEvent, by: Actor
) -> list[AmendmentEvent]:
    """``change`` to the content by ``by``, followed by SignaturesInvalidated when the
    content was signed (naming who signed, to be told, and whose change it was); a change
    that leaves the content as it was is refused."""
    after = evolve(state, change)
    if after.content_hash == state.content_hash:
        raise AmendmentUnchanged(f"amendment {state.amendment_id} already reads so")
    if not state.signatures:
        return [change]
    invalidated = SignaturesInvalidated(
        amendment_id=state.amendment_id,
        previous_hash=state.content_hash,
        new_hash=after.content_hash,
        signers=tuple(signature.signer_id for signature in state.signatures),
        invalidated_by=by.user_id,
    )
    return [change, invalidated]


def conflicting_sections(
    state: AmendmentState, protocol: ProtocolState
) -> Mapping[str, tuple[str, ...]]:
    """Sections this amendment changes that versions after its base changed too, with
    the amendments that changed them. Changes to a section and to one of its
    subsections conflict as well."""
    changed = protocol.changed_since(state.base_version)
    conflicts: dict[str, tuple[str, ...]] = {}
    for number in state.changes:
        for other, amendments in changed.items():
            if m11.is_within(number, frozenset({other})) or m11.is_within(
                other, frozenset({number})
            ):
                conflicts[number] = (*conflicts.get(number, ()), *amendments)
    return conflicts
