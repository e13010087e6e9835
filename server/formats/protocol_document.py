"""The protocol as a document, laid out as the ICH M11 template expects: what the PDF and
the DOCX renderers both draw.

A document is a title page (M11's title-page fields as Concord knows them), the amendment
details and overview of changes when the text comes from an amendment, a table of
contents, and the sections in M11 order, numbered, each as marked blocks
(:mod:`server.formats.marked_content`): all kept in a clean copy; in a tracked copy,
inserted and deleted against the amendment's base version. The running head names the
trial, the version and the copy, and goes on every page with the page number.

Two kinds of document:

- :func:`version_document`: a published version, clean. A version that came from an
  amendment's merge carries that amendment's details and overview of changes.
- :func:`amendment_document`: an amendment's protocol, clean or tracked. Its clean text
  is the version the amendment was merged as, or, while it is open, its base version
  with the changes it proposes. The tracked copy marks the amendment's own changes
  against its base version (never against the protocol as it is now): each section it
  changes reads as in the base version, with the insertions and deletions that make it
  the amended text, and every other section reads as in the clean copy.

Everything here is pure: the states come in, the document goes out
(:mod:`server.formats.document_files` loads them from the log).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from domain import m11
from domain.amendment_details import AmendmentDetails, EnrollmentUnit, ImpactAssessment
from domain.amendment_state import AmendmentState, AmendmentStatus
from domain.protocol_diff import Mark, Run, SectionChange, diff_documents
from domain.protocol_events import SectionText
from domain.protocol_state import Document, ProtocolState, PublishedVersion
from domain.roles import OrganizationKind
from domain.workspace import TrialState
from server.formats.marked_content import (
    MarkedBlock,
    MarkedLine,
    clean_blocks,
    line,
    tracked_blocks,
    tracked_line,
)


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
        return MarkedLine((Run(mark=self.whole, text=f"{number} "), *self.heading.runs))

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
    """A time as the documents print it: UTC to the second, with ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(recorded: str) -> str:
    """A time recorded as text in an event (``...Z``), printed as :func:`utc` does."""
    try:
        return utc(datetime.fromisoformat(recorded))
    except ValueError:
        return recorded


# -- a published version ------------------------------------------------------------------


def version_document(
    workspace: TrialState,
    protocol: ProtocolState,
    version: PublishedVersion,
    amendment: AmendmentState | None,
    *,
    generated_at: datetime,
) -> ProtocolDocument:
    """Published ``version``, clean; ``amendment`` is the one it was merged from, if any."""
    trial_id = protocol.trial_id
    from_amendment = amendment if version.amendment_id is not None else None
    fields = [
        ("Sponsor Protocol Identifier", trial_id),
        ("Original Protocol", "Yes" if version.amendment_id is None else "No"),
        ("Version Number", str(version.version)),
        ("Version Date", version.effective_date),
        ("Amendment Identifier", version.amendment_id or "Not applicable"),
    ]
    if from_amendment is not None and from_amendment.details is not None:
        fields.append(("Amendment Scope", _scope(from_amendment.details)))
    fields += [
        ("Sponsor Name", _sponsor(workspace)),
        ("Content Hash", version.content_hash),
    ]
    if from_amendment is not None:
        fields += _signatures(from_amendment)
    label = f"Protocol version {version.version}"
    fields += [("This Copy", label), ("Generated", f"{utc(generated_at)} by Concord")]
    return ProtocolDocument(
        title=protocol.title,
        copy_label=label,
        running_head=f"{trial_id} · {label} · effective {version.effective_date}",
        title_page=tuple(fields),
        amendment=(
            _amendment_part(from_amendment, version.document)
            if from_amendment is not None
            else None
        ),
        sections=tuple(_clean(section) for section in version.document.values()),
        tracked_against=None,
        sponsor=_sponsor(workspace),
        generated_at=generated_at,
        file_stem=f"{trial_id}-protocol-v{version.version}",
    )


# -- an amendment's protocol ----------------------------------------------------------------


def amendment_document(
    workspace: TrialState,
    protocol: ProtocolState,
    amendment: AmendmentState,
    copy: Copy,
    *,
    revisions: Mapping[str, Revision],
    generated_at: datetime,
) -> ProtocolDocument:
    """The protocol as ``amendment`` makes it, clean or with its changes marked against
    its base version; ``revisions`` says who proposed each section's change and when."""
    trial_id, amendment_id = protocol.trial_id, amendment.amendment_id
    base = protocol.version(amendment.base_version)
    base_document: Document = base.document if base is not None else {}
    merged = (
        protocol.version(amendment.merged_version)
        if amendment.status is AmendmentStatus.MERGED and amendment.merged_version is not None
        else None
    )
    new = merged.document if merged is not None else proposed_document(base_document, amendment)
    status = amendment.status.value if amendment.status else "unknown"
    if merged is not None:
        version_label = f"Protocol version {merged.version} (amendment {amendment_id})"
        fields = [("Version Number", str(merged.version)), ("Version Date", merged.effective_date)]
    else:
        version_label = f"Amendment {amendment_id} ({status}) to version {amendment.base_version}"
        fields = [
            ("Version Number", f"Proposed: amends version {amendment.base_version}"),
            ("Version Date", "Not yet effective"),
        ]
    if copy is Copy.TRACKED:
        copy_label = f"Tracked changes against version {amendment.base_version}"
        old = reverted_document(new, base_document, amendment.sections)
        changes = {d.number: d.change for d in diff_documents(old, new)}
        sections = tuple(
            _tracked(number, old.get(number), new.get(number), changes, revisions)
            for number in sorted(old.keys() | new.keys(), key=m11.sort_key)
        )
    else:
        copy_label = "Clean copy"
        sections = tuple(_clean(section) for section in new.values())
    details = amendment.details
    title_page = [
        ("Sponsor Protocol Identifier", trial_id),
        ("Original Protocol", "No"),
        *fields,
        ("Amendment Identifier", amendment_id),
        ("Amendment Scope", _scope(details) if details is not None else "Not stated"),
        ("Amendment Status", status),
        ("Base Version", str(amendment.base_version)),
        ("Sponsor Name", _sponsor(workspace)),
        ("Amendment Content Hash", amendment.content_hash),
        *_signatures(amendment),
        ("This Copy", copy_label),
        ("Generated", f"{utc(generated_at)} by Concord"),
    ]
    return ProtocolDocument(
        title=protocol.title,
        copy_label=copy_label,
        running_head=f"{trial_id} · {version_label} · {copy_label.lower()}",
        title_page=tuple(title_page),
        amendment=_amendment_part(amendment, new),
        sections=sections,
        tracked_against=amendment.base_version if copy is Copy.TRACKED else None,
        sponsor=_sponsor(workspace),
        generated_at=generated_at,
        file_stem=f"{trial_id}-{amendment_id}-{copy.value}",
    )


def proposed_document(base: Document, amendment: AmendmentState) -> Document:
    """``base`` with the amendment's proposed changes (None removes a section)."""
    document = dict(base)
    for number, change in amendment.changes.items():
        if change.content is None:
            document.pop(number, None)
        else:
            document[number] = change.content
    return _ordered(document)


def reverted_document(new: Document, base: Document, numbers: frozenset[str]) -> Document:
    """``new`` with sections ``numbers`` as they were in ``base`` (absent if they were)."""
    document = dict(new)
    for number in numbers:
        if number in base:
            document[number] = base[number]
        else:
            document.pop(number, None)
    return _ordered(document)


def _ordered(document: Mapping[str, SectionText]) -> Document:
    return dict(sorted(document.items(), key=lambda item: m11.sort_key(item[0])))


def _clean(section: SectionText) -> DocumentSection:
    return DocumentSection(
        number=section.number, heading=line(section.heading), blocks=clean_blocks(section.text)
    )


def _tracked(
    number: str,
    old: SectionText | None,
    new: SectionText | None,
    changes: Mapping[str, SectionChange],
    revisions: Mapping[str, Revision],
) -> DocumentSection:
    change = changes.get(number)
    if change is None and new is not None:
        return _clean(new)
    old_heading, old_text = (old.heading, old.text) if old else ("", "")
    new_heading, new_text = (new.heading, new.text) if new else ("", "")
    return DocumentSection(
        number=number,
        heading=tracked_line(old_heading, new_heading),
        blocks=tracked_blocks(old_text, new_text),
        change=change,
        revision=revisions.get(number),
    )


# -- the parts ------------------------------------------------------------------------------


def _sponsor(workspace: TrialState) -> str:
    names = [
        org.name for org in workspace.organizations.values() if org.kind is OrganizationKind.SPONSOR
    ]
    return ", ".join(names) or "Not recorded"


def _scope(details: AmendmentDetails) -> str:
    scope = details.scope
    if scope.is_global:
        return "Global"
    parts = []
    if scope.countries:
        parts.append("Countries: " + ", ".join(scope.countries))
    if scope.sites:
        parts.append("Sites: " + ", ".join(scope.sites))
    return "Not global. " + "; ".join(parts)


def _signatures(amendment: AmendmentState) -> list[tuple[str, str]]:
    return [
        (
            f"Signature ({signature.meaning.value})",
            f"{signature.printed_name}, {utc_text(signature.signed_at)}",
        )
        for signature in amendment.signatures
    ]


def _impact(answer: ImpactAssessment) -> str:
    return f"{'Yes' if answer.likely else 'No'}. {answer.explanation}"


def _amendment_part(amendment: AmendmentState, document: Document) -> AmendmentPart:
    details = amendment.details
    rows: list[tuple[str, str]] = [("Amendment Identifier", amendment.amendment_id)]
    if details is not None:
        unit = "%" if details.enrollment.unit is EnrollmentUnit.PERCENT else " participants"
        secondary = ", ".join(reason.value for reason in details.secondary_reasons)
        rows += [
            ("Amendment Scope", _scope(details)),
            ("Enrollment at the Time of the Amendment", f"{details.enrollment.value}{unit}"),
            ("Primary Reason for Amendment", details.primary_reason.value),
            ("Secondary Reason(s) for Amendment", secondary or "None"),
            ("Amendment Summary", details.summary),
            (
                "Is this amendment likely to have a substantial impact on the safety or rights"
                " of the trial participants?",
                _impact(details.safety_or_rights_impact),
            ),
            (
                "Is this amendment likely to have a substantial impact on the reliability and"
                " robustness of the data generated in the clinical trial?",
                _impact(details.data_reliability_impact),
            ),
            ("Substantial Modification", "Yes" if details.is_substantial else "No"),
        ]
    changes = tuple(
        ChangeRow(
            description=row.description,
            rationale=row.rationale,
            sections=tuple(_section_name(number, amendment, document) for number in row.sections),
        )
        for row in amendment.summary_of_changes()
    )
    return AmendmentPart(identifier=amendment.amendment_id, details=tuple(rows), changes=changes)


def _section_name(number: str, amendment: AmendmentState, document: Document) -> str:
    section = document.get(number)
    heading = section.heading if section is not None else amendment.changes[number].heading
    return numbered(number, heading)
