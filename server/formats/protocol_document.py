"""The protocol as a document, laid out as the ICH M11 template expects: what the PDF and
the DOCX renderers both draw.

A document is a title page (M11's title-page fields as Concord knows them), the amendment
details and overview of changes when the text comes from an amendment, a table of
contents, and the sections in M11 order, numbered, each as marked blocks
(:mod:`server.formats.marked_content`: paragraphs, lists, sub-headings and tables, bold
and italic kept): all kept in a clean copy; in a tracked copy,
inserted and deleted against the amendment's base version. The running head names the
trial, the version and the copy, and goes on every page with the page number.

:mod:`server.formats.document_building` builds one from the trial's states: a published
version's, or an amendment's protocol, clean or tracked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from domain import m11
from domain.protocol_diff import Mark, SectionChange
from domain.timestamps import reading_text
from server.formats.marked_content import MarkedBlock, MarkedLine, MarkedRun


class Copy(StrEnum):
    """Which copy of an amendment's protocol: the amended text, or its changes marked."""

    CLEAN = "clean"
    TRACKED = "tracked"


@dataclass(frozen=True, slots=True)
class Revision:
    """Who made a tracked change and when: the author of the proposal and the time it was
    recorded (a DOCX revision's author and date)."""

    author: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DocumentSection:
    """One section: number, heading and text, marked; how it changed, if it did."""

    number: str
    heading: MarkedLine
    blocks: tuple[MarkedBlock, ...]
    change: SectionChange | None = None
    revision: Revision | None = None

    @property
    def level(self) -> int:
        return m11.level(self.number)

    @property
    def whole(self) -> Mark:
        """INSERTED for an added section, DELETED for a removed one, else KEPT."""
        if self.change is SectionChange.ADDED:
            return Mark.INSERTED
        return Mark.DELETED if self.change is SectionChange.REMOVED else Mark.KEPT

    @property
    def numbered_heading(self) -> MarkedLine:
        """The heading with its number before it (marked as the section is: an added
        section's number is inserted too)."""
        number = numbered(self.number, "").strip()
        if not number:
            return self.heading
        return MarkedLine((MarkedRun(f"{number} ", self.whole), *self.heading.runs))

    @property
    def change_note(self) -> str | None:
        """The note under a changed section's heading: how it changed, and who proposed
        the change when (None for a section the copy does not mark)."""
        if self.change is None:
            return None
        what = {
            SectionChange.ADDED: "Section added",
            SectionChange.REMOVED: "Section removed",
            SectionChange.CHANGED: "Section changed",
        }[self.change]
        if self.revision is not None:
            what += f": proposed by {self.revision.author}, {reading_text(self.revision.at)}"
        return what

    @property
    def title(self) -> str:
        """Number and heading as the section reads now (as it read, if removed)."""
        side = Mark.DELETED if self.change is SectionChange.REMOVED else Mark.INSERTED
        return numbered(self.number, self.heading.side(side))


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """A row of M11's Overview of Changes: what, why, and the sections with their names."""

    description: str
    rationale: str
    sections: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AmendmentPart:
    """M11's amendment details and overview of changes, after the title page."""

    identifier: str
    details: tuple[tuple[str, str], ...]
    changes: tuple[ChangeRow, ...]


@dataclass(frozen=True, slots=True)
class ProtocolDocument:
    """Everything a renderer lays out, in reading order."""

    title: str
    copy_label: str
    """Which document this is, for the title page: "Protocol version 2", "Tracked changes
    against version 1", ..."""
    running_head: str
    """On every page, beside the page number: the trial, the version and the copy."""
    title_page: tuple[tuple[str, str], ...]
    amendment: AmendmentPart | None
    sections: tuple[DocumentSection, ...]
    tracked_against: int | None
    """The base version a tracked copy marks its changes against; None in a clean copy."""
    sponsor: str
    generated_at: datetime
    file_stem: str
    """The file's name without its extension."""


def numbered(number: str, heading: str) -> str:
    """``5.2 Inclusion Criteria``; the lay summary has no number."""
    return heading if number == m11.LAY_SUMMARY else f"{number} {heading}"


def utc(moment: datetime) -> str:
    """A time as a document's metadata writes it (a revision's ``w:date``): ISO-8601 UTC to
    the second, with ``Z``. What people read is :func:`reading_text`'s form."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(recorded: str) -> str:
    """A time recorded as text in an event (``...Z``), printed as people read times
    everywhere: ``2026-12-04 16:20:45 UTC``."""
    return reading_text(recorded)
