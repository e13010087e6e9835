"""Writing the protocol: drafting, concurrent revisions, edit conflicts and publication.

Before version 1 is published, members revise sections directly. A revision names the
revision it started from; when someone else revised the section meanwhile, both changes
are merged three ways if they touched different lines, and otherwise the later one is
recorded as an edit conflict that a person resolves. Publishing version 1 puts the
protocol under change control: from then on, only merged amendments change it
(:func:`amended_version`, called by ``domain.merging``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import assert_never

from domain import m11
from domain.errors import (
    EditConflictNotFound,
    EditConflictsOpen,
    EffectiveDateTooEarly,
    ProtocolAlreadyDrafted,
    ProtocolNotDrafted,
    ProtocolNotPublished,
    ProtocolUnderChangeControl,
    RevisionReasonMissing,
    SectionAlreadyExists,
    SectionNotFound,
    SectionUnchanged,
    StaleRevision,
    require_text,
)
from domain.event import Command
from domain.frozen import frozen_map
from domain.protocol_events import (
    ProtocolDrafted,
    ProtocolEvent,
    ProtocolVersionPublished,
    SectionAdded,
    SectionConflictResolved,
    SectionEditConflicted,
    SectionRemoved,
    SectionRevised,
    SectionText,
)
from domain.protocol_state import (
    NEW_PROTOCOL,
    ProtocolState,
    Section,
    SectionChanges,
    apply_changes,
    check_rewrite,
    document_hash,
    evolve,
    fold,
)
from domain.text_merge import merge_three_ways, merge_values
from domain.timestamps import date_text


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftProtocol(Command):
    """Start the protocol from the M11 outline, with optional initial texts by number."""

    trial_id: str
    title: str
    texts: Mapping[str, str] = field(default_factory=frozen_map)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviseSection(Command):
    """Replace a section's text (and, below level 2, its heading; None keeps it), starting
    from revision ``base_revision``."""

    number: str
    base_revision: int
    text: str
    reason: str
    """Why the section changes (recorded with the revision; EU GMP Annex 11 §9)."""
    heading: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AddSection(Command):
    """Add a level-3 or deeper subsection under an existing section."""

    number: str
    heading: str
    text: str
    reason: str
    """Why the subsection is added (recorded with it; EU GMP Annex 11 §9)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveSection(Command):
    """Remove a level-3 or deeper subsection that has no subsections."""

    number: str
    reason: str
    """Why the subsection is removed (recorded with the removal; EU GMP Annex 11 §9)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveEditConflict(Command):
    """Settle an edit conflict with the content to keep, having seen ``head_revision``."""

    conflict_number: int
    head_revision: int
    text: str
    reason: str
    """Why this content is kept (recorded with the resolution; EU GMP Annex 11 §9)."""
    heading: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishProtocol(Command):
    """Publish the drafted protocol as version 1."""

    effective_date: date


ProtocolCommand = (
    DraftProtocol
    | ReviseSection
    | AddSection
    | RemoveSection
    | ResolveEditConflict
    | PublishProtocol
)


def decide(state: ProtocolState, command: ProtocolCommand) -> list[ProtocolEvent]:
    """The events ``command`` causes, or a DomainError naming the rule it breaks."""
    if isinstance(command, DraftProtocol):
        return _draft(state, command)
    if not state.exists:
        raise ProtocolNotDrafted("the trial has no protocol yet")
    if state.versions:
        raise ProtocolUnderChangeControl(
            f"version {state.current_version} is published; change the protocol with an amendment"
        )
    by = command.actor.user_id
    match command:
        case ReviseSection():
            return revise(state, command)
        case AddSection(number=number, heading=heading, text=text):
            reason = _stated(command.reason, f"say why subsection {number} is added")
            if state.live_section(number) is not None:
                raise SectionAlreadyExists(f"section {number} already exists")
            content = SectionText(number=number, heading=heading, text=text)
            apply_changes(state.document(), {number: content})
            return [
                SectionAdded(
                    trial_id=state.trial_id,
                    number=number,
                    revision=_next_revision(state, number),
                    heading=heading,
                    text=text,
                    added_by=by,
                    reason=reason,
                )
            ]
        case RemoveSection(number=number):
            reason = _stated(command.reason, f"say why subsection {number} is removed")
            _live_section(state, number)
            _require_no_conflicts(state, number)
            apply_changes(state.document(), {number: None})
            return [
                SectionRemoved(trial_id=state.trial_id, number=number, removed_by=by, reason=reason)
            ]
        case ResolveEditConflict():
            return _resolve(state, command)
        case PublishProtocol(effective_date=effective_date):
            _require_no_conflicts(state, None)
            document = state.document()
            return [
                ProtocolVersionPublished(
                    trial_id=state.trial_id,
                    version=1,
                    effective_date=date_text(effective_date),
                    content_hash=document_hash(document),
                    published_by=by,
                    changed_sections=tuple(document),
                )
            ]
        case _:
            assert_never(command)


def _draft(state: ProtocolState, command: DraftProtocol) -> list[ProtocolEvent]:
    if state.exists:
        raise ProtocolAlreadyDrafted("the trial's protocol is already drafted")
    require_text(command.trial_id, "a trial id")
    require_text(command.title, "the protocol's title")
    outline = {section.number for section in m11.OUTLINE}
    unknown = sorted(set(command.texts) - outline, key=m11.sort_key)
    if unknown:
        raise SectionNotFound(f"sections {unknown} are not in the M11 outline")
    sections = tuple(
        SectionText(number=s.number, heading=s.heading, text=command.texts.get(s.number, ""))
        for s in m11.OUTLINE
    )
    return [
        ProtocolDrafted(
            trial_id=command.trial_id,
            title=command.title,
            sections=sections,
            drafted_by=command.actor.user_id,
        )
    ]


def revise(state: ProtocolState, command: ReviseSection) -> list[ProtocolEvent]:
    """A new revision of a live section, merged three ways when ``base_revision`` is not
    the head, or the conflict when both changed the same lines (the protocol's other
    rules checked by :func:`decide`). Every revision states why it was made."""
    reason = _stated(command.reason, f"say why section {command.number} changes")
    section = _live_section(state, command.number)
    base = section.revision(command.base_revision)
    if base is None:
        raise section.no_revision(command.base_revision)
    head = section.head
    heading = base.heading if command.heading is None else command.heading
    proposed = SectionText(number=command.number, heading=heading, text=command.text)
    # The section is live, so the outline stays as it is: only the new content is checked.
    check_rewrite(
        SectionText(number=command.number, heading=head.heading, text=head.text), proposed
    )
    merged_with = None if base.revision == head.revision else head.revision
    merged_text = merge_three_ways(base.text, head.text, command.text)
    merged_heading = merge_values(base.heading, head.heading, heading)
    if merged_text is None or merged_heading is None:
        return [
            SectionEditConflicted(
                trial_id=state.trial_id,
                conflict_number=state.conflicts_recorded + 1,
                number=command.number,
                base_revision=base.revision,
                head_revision=head.revision,
                heading=heading,
                text=command.text,
                proposed_by=command.actor.user_id,
                reason=reason,
            )
        ]
    if (merged_heading, merged_text) == (head.heading, head.text):
        raise SectionUnchanged(
            f"section {command.number} already reads so at revision {head.revision}"
        )
    return [
        SectionRevised(
            trial_id=state.trial_id,
            number=command.number,
            revision=head.revision + 1,
            based_on=base.revision,
            heading=merged_heading,
            text=merged_text,
            revised_by=command.actor.user_id,
            merged_with=merged_with,
            reason=reason,
        )
    ]


def _resolve(state: ProtocolState, command: ResolveEditConflict) -> list[ProtocolEvent]:
    reason = _stated(
        command.reason, f"say why edit conflict {command.conflict_number} is settled so"
    )
    conflict = state.open_conflicts.get(command.conflict_number)
    if conflict is None:
        raise EditConflictNotFound(f"there is no open edit conflict {command.conflict_number}")
    section = _live_section(state, conflict.number)
    head = section.head
    if command.head_revision != head.revision:
        raise StaleRevision(
            f"section {conflict.number} is at revision {head.revision}, not"
            f" {command.head_revision}; review it again before resolving"
        )
    heading = head.heading if command.heading is None else command.heading
    content = SectionText(number=conflict.number, heading=heading, text=command.text)
    check_rewrite(
        SectionText(number=conflict.number, heading=head.heading, text=head.text), content
    )
    unchanged = (heading, command.text) == (head.heading, head.text)
    return [
        SectionConflictResolved(
            trial_id=state.trial_id,
            conflict_number=conflict.conflict_number,
            number=conflict.number,
            revision=head.revision if unchanged else head.revision + 1,
            based_on=head.revision,
            heading=heading,
            text=command.text,
            resolved_by=command.actor.user_id,
            reason=reason,
        )
    ]


def _stated(reason: str, ask: str) -> str:
    """``reason`` without surrounding blanks, or RevisionReasonMissing (``ask``): every
    change to the draft is recorded with why it was made."""
    stated = reason.strip()
    if not stated:
        raise RevisionReasonMissing(f"{ask}: the change is recorded with its reason")
    return stated


def _live_section(state: ProtocolState, number: str) -> Section:
    section = state.live_section(number)
    if section is None:
        raise SectionNotFound(f"the protocol has no section {number}")
    return section


def _next_revision(state: ProtocolState, number: str) -> int:
    section = state.sections.get(number)
    return 1 if section is None else section.head.revision + 1


def _require_no_conflicts(state: ProtocolState, number: str | None) -> None:
    """Refuse while edit conflicts are open (on section ``number``, or on any section)."""
    open_conflicts = sorted(
        c.conflict_number
        for c in state.open_conflicts.values()
        if number is None or c.number == number
    )
    if open_conflicts:
        where = "the protocol" if number is None else f"section {number}"
        raise EditConflictsOpen(f"{where} has open edit conflicts {open_conflicts}")


def amended_version(
    state: ProtocolState,
    *,
    amendment_id: str,
    changes: SectionChanges,
    reasons: Mapping[str, str],
    authors: Sequence[str],
    effective_date: date,
    published_by: str,
) -> list[ProtocolEvent]:
    """The events that publish the next version with an amendment's ``changes``.

    The changes apply to the current version; the outline rules are checked again,
    since other amendments may have changed the document since this one was written.
    Each section event says why, from ``reasons`` by number, and names the amendment's
    ``authors`` as its contributors: they wrote the text, ``published_by`` merged it.
    """
    if not state.versions:
        raise ProtocolNotPublished("the protocol has no published version to amend")
    current = state.versions[-1]
    if date_text(effective_date) < current.effective_date:
        raise EffectiveDateTooEarly(
            f"version {current.version} takes effect on {current.effective_date};"
            f" the next cannot take effect on {date_text(effective_date)}"
        )
    document = state.document()
    amended = apply_changes(document, changes)
    events: list[ProtocolEvent] = []
    for number in sorted(changes, key=m11.sort_key):
        content = changes[number]
        if content is None:
            events.append(
                SectionRemoved(
                    trial_id=state.trial_id,
                    number=number,
                    removed_by=published_by,
                    amendment_id=amendment_id,
                    reason=reasons.get(number, ""),
                )
            )
        elif number in document:
            head = _live_section(state, number).head
            events.append(
                SectionRevised(
                    trial_id=state.trial_id,
                    number=number,
                    revision=head.revision + 1,
                    based_on=head.revision,
                    heading=content.heading,
                    text=content.text,
                    revised_by=published_by,
                    amendment_id=amendment_id,
                    reason=reasons.get(number, ""),
                    contributors=tuple(authors),
                )
            )
        else:
            events.append(
                SectionAdded(
                    trial_id=state.trial_id,
                    number=number,
                    revision=_next_revision(state, number),
                    heading=content.heading,
                    text=content.text,
                    added_by=published_by,
                    amendment_id=amendment_id,
                    reason=reasons.get(number, ""),
                    contributors=tuple(authors),
                )
            )
    events.append(
        ProtocolVersionPublished(
            trial_id=state.trial_id,
            version=current.version + 1,
            effective_date=date_text(effective_date),
            content_hash=document_hash(amended),
            published_by=published_by,
            changed_sections=tuple(sorted(changes, key=m11.sort_key)),
            amendment_id=amendment_id,
        )
    )
    return events


__all__ = [
    "NEW_PROTOCOL",
    "AddSection",
    "DraftProtocol",
    "ProtocolCommand",
    "ProtocolState",
    "PublishProtocol",
    "RemoveSection",
    "ResolveEditConflict",
    "ReviseSection",
    "amended_version",
    "decide",
    "evolve",
    "fold",
]
