"""A protocol founded from a file: what an import records, and the decision that drafts it.

An import drafts a new trial's protocol from a study file made elsewhere (a CDISC USDM
file; the server reads it, this module knows no file format): the M11 outline with the
texts the file's narrative gave each section, plus the deeper subsections it had. One
decision, one append on the protocol stream: ``ProtocolDrafted``, a ``SectionAdded`` per
subsection, and ``ProtocolImported``, the record of the import itself: who (the actor),
when (the log's clock), the file's name, size and SHA-256, and what it held that the
protocol does not: its titles, identifiers and organizations, where each part of its
narrative went, and the amendments it lists.

Those amendments are history, not governance: nobody in this trial proposed, signed or
merged them, so they are never amendments of this trial, only what the source said about
its own past, kept as the source coded it. The imported protocol is a draft: its members
revise it and publish version 1 under this trial's own rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from domain import m11
from domain.errors import InvalidCommand, InvalidSectionNumber, require_text
from domain.event import Command, Event
from domain.frozen import frozen_map
from domain.protocol import AddSection, DraftProtocol, decide, fold
from domain.protocol_events import ProtocolEvent, SectionText
from domain.protocol_state import ProtocolState


class InvalidImport(InvalidCommand):
    """The import's record is malformed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Coded:
    """A value from a terminology, as the source coded it."""

    code: str
    system: str
    system_version: str
    decode: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceTitle:
    text: str
    kind: Coded


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceOrganization:
    """An organization the source names; ``key`` is its id there."""

    key: str
    name: str
    label: str | None
    kind: Coded
    identifier_scheme: str
    identifier: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceIdentifier:
    """A study identifier and the key of the organization that assigned it."""

    text: str
    organization: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSection:
    """A section an amendment changed, as the source numbered and titled it."""

    number: str
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceReason:
    code: Coded
    other: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceChange:
    name: str
    summary: str
    rationale: str
    sections: tuple[SourceSection, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceImpact:
    kind: Coded
    text: str
    substantial: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceScope:
    kind: Coded
    area: Coded | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceEnrollment:
    name: str
    quantity: str
    """The number as decimal text (the log holds no floats)."""
    unit: Coded | None = None
    scope: SourceScope | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDate:
    name: str
    kind: Coded
    value: str
    """``YYYY-MM-DD``."""
    scopes: tuple[SourceScope, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceAmendment:
    """An amendment as the source lists it (oldest first in the record)."""

    number: str
    name: str
    label: str | None = None
    summary: str
    primary_reason: SourceReason
    secondary_reasons: tuple[SourceReason, ...] = ()
    changes: tuple[SourceChange, ...] = ()
    impacts: tuple[SourceImpact, ...] = ()
    scopes: tuple[SourceScope, ...] = ()
    enrollments: tuple[SourceEnrollment, ...] = ()
    dates: tuple[SourceDate, ...] = ()


class PlacementRule(StrEnum):
    """How a part of the source's narrative found its section."""

    BY_NUMBER = "by_number"
    BY_TITLE = "by_title"
    UNPLACED = "unplaced"
    """No section matched: kept in the holding section (see the record's ``holding``)."""
    LEFT_OUT = "left_out"
    """Nothing to keep (an empty section, the title page, a heading whose text is elsewhere)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """Where one part of the source's narrative went, and why."""

    source_number: str
    source_title: str
    rule: PlacementRule
    number: str | None = None
    """The section of this protocol that holds it (None when left out)."""
    notes: tuple[str, ...] = ()
    """What changed on the way: markup dropped, a heading the outline fixes, ..."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportRecord:
    """Everything an import keeps besides the protocol's text."""

    file_name: str
    file_sha256: str
    file_bytes: int
    format: str
    """The file's format and version, e.g. ``USDM 4.0.0``."""
    system: str
    """The system that wrote the file, as it names itself (may be empty)."""
    study_name: str
    titles: tuple[SourceTitle, ...] = ()
    identifiers: tuple[SourceIdentifier, ...] = ()
    organizations: tuple[SourceOrganization, ...] = ()
    amendments: tuple[SourceAmendment, ...] = ()
    placements: tuple[Placement, ...] = ()
    holding: str | None = None
    """The section that holds the narrative no section matched (None: all was placed)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportProtocol(Command):
    """Draft the protocol from an imported file: outline texts by number, the deeper
    subsections it adds, and the import's record."""

    trial_id: str
    title: str
    texts: Mapping[str, str] = field(default_factory=frozen_map)
    subsections: tuple[SectionText, ...] = ()
    record: ImportRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolImported(Event):
    """The protocol was drafted from a file; the record says which and what it held."""

    trial_id: str
    imported_by: str
    record: ImportRecord


ImportEvent = ProtocolImported

_SHA256 = re.compile(r"[0-9a-f]{64}")


def decide_import(
    state: ProtocolState, command: ImportProtocol
) -> list[ProtocolEvent | ProtocolImported]:
    """The protocol drafted with the file's texts and subsections, then the record; or the
    DomainError naming the rule a part of it breaks (then nothing is drafted)."""
    record = command.record
    if not _SHA256.fullmatch(record.file_sha256):
        raise InvalidImport("the file's SHA-256 must be 64 lowercase hexadecimal digits")
    if record.file_bytes < 0:
        raise InvalidImport("the file's size cannot be negative")
    require_text(record.format, "the file's format")
    for subsection in command.subsections:
        if not m11.is_section_number(subsection.number) or m11.is_fixed(subsection.number):
            raise InvalidSectionNumber(
                f"{subsection.number!r} is not a subsection below the fixed M11 outline"
            )
    actor = command.actor
    events: list[ProtocolEvent | ProtocolImported] = []
    drafted = decide(
        state,
        DraftProtocol(
            actor=actor, trial_id=command.trial_id, title=command.title, texts=command.texts
        ),
    )
    state = fold(drafted, state)
    events.extend(drafted)
    for subsection in sorted(command.subsections, key=lambda s: m11.sort_key(s.number)):
        added = decide(
            state,
            AddSection(
                actor=actor,
                number=subsection.number,
                heading=subsection.heading,
                text=subsection.text,
                reason=f"imported from {record.format}",
            ),
        )
        state = fold(added, state)
        events.extend(added)
    events.append(
        ProtocolImported(trial_id=command.trial_id, imported_by=actor.user_id, record=record)
    )
    return events
