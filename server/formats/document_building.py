"""A protocol document from the trial's states: a published version's, or an amendment's.

Two kinds of document (:class:`server.formats.protocol_document.ProtocolDocument`):

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
from datetime import datetime

from domain import m11
from domain.amendment_details import AmendmentDetails, EnrollmentUnit, ImpactAssessment
from domain.amendment_state import AmendmentState, AmendmentStatus
from domain.protocol_diff import SectionChange, diff_documents
from domain.protocol_events import SectionText
from domain.protocol_state import Document, ProtocolState, PublishedVersion
from domain.roles import OrganizationKind
from domain.timestamps import reading_text
from domain.workspace import TrialState
from server.formats.marked_content import clean_blocks, line, tracked_blocks, tracked_line
from server.formats.protocol_document import (
    AmendmentPart,
    ChangeRow,
    Copy,
    DocumentSection,
    ProtocolDocument,
    Revision,
    numbered,
    utc_text,
)

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
    fields += [
        ("This Copy", label),
        ("Generated", f"{reading_text(generated_at)} by Concord"),
    ]
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
        ("Generated", f"{reading_text(generated_at)} by Concord"),
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
