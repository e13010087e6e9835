"""Amendments in a USDM export: the trial's merged ones, and those an import kept.

A merged amendment is the ``StudyAmendment`` of the study version its merge published:
its M11 details with their CDISC codes (reasons, impacts, scopes; the mapping is in
:mod:`server.formats.usdm_terms`), its summary of changes with the sections each change
touched, the enrollment at the time, and its approval (the last signature on the merged
content) and effective dates. The amendments an import kept (``docs/formats.md``) are
written back as the file coded them, marked with its SHA-256, before the trial's own.
Both are built by the same pieces, so they read alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.amendment_details import AmendmentDetails, EnrollmentUnit
from domain.amendment_state import AmendmentState
from domain.imports import ImportRecord, SourceAmendment, SourceScope
from domain.protocol_events import SectionText
from domain.protocol_state import Document, PublishedVersion
from server.formats import usdm_terms as terms
from server.formats.usdm_ids import (
    PROTOCOL_DOCUMENT_ID,
    amendment_id,
    imported_amendment_id,
    imported_from,
)
from server.formats.usdm_values import (
    Json,
    alias,
    code,
    coded_term,
    extension,
    governance_date,
    scope,
)


def approval_date(amendment: AmendmentState) -> str | None:
    """The day the last signature on the merged content was applied."""
    signed = [s.signed_at for s in amendment.signatures if s.content_hash == amendment.content_hash]
    return max(signed)[:10] if signed else None


def merged_amendment(
    amendment: AmendmentState,
    published: PublishedVersion,
    document: Document,
    previous: str | None,
) -> Json:
    """The amendment whose merge published ``published`` (``document``); ``previous`` is
    the id of the amendment before it."""
    owner = amendment_id(amendment.amendment_id)
    details = amendment.details
    assert details is not None  # an amendment is opened with its details
    dates = []
    if (approved := approval_date(amendment)) is not None:
        dates.append(governance_date(f"{owner}_approval", terms.APPROVAL_DATE, approved))
    dates.append(
        governance_date(f"{owner}_effective", terms.EFFECTIVE_DATE, published.effective_date)
    )
    changes = []
    for index, row in enumerate(amendment.summary_of_changes(), 1):
        sections = [_section_title(document, amendment, n) for n in row.sections]
        changes.append(
            _change(
                f"{owner}_change_{index}",
                f"Change {index}",
                row.description,
                row.rationale,
                [(s.number, s.heading) for s in sections],
            )
        )
    answers = (
        ("safety", terms.SAFETY_OR_RIGHTS_IMPACT, details.safety_or_rights_impact),
        ("reliability", terms.DATA_RELIABILITY_IMPACT, details.data_reliability_impact),
    )
    enrollment = details.enrollment
    percent = enrollment.unit is EnrollmentUnit.PERCENT
    return {
        "id": owner,
        "extensionAttributes": [
            extension(f"{owner}_site_{i}", terms.SCOPE_SITE, site)
            for i, site in enumerate(details.scope.sites, 1)
        ],
        "name": amendment.amendment_id,
        "label": f"Amendment {amendment.amendment_id}",
        "description": None,
        "number": amendment.amendment_id,
        "summary": details.summary,
        "primaryReason": _reason(
            f"{owner}_primaryReason", terms.AMENDMENT_REASONS[details.primary_reason]
        ),
        "secondaryReasons": [
            _reason(f"{owner}_secondaryReason_{i}", terms.AMENDMENT_REASONS[reason])
            for i, reason in enumerate(details.secondary_reasons, 1)
        ],
        "changes": changes,
        "impacts": [
            _impact(f"{owner}_impact_{name}", term, answer.explanation, answer.likely)
            for name, term, answer in answers
        ],
        "geographicScopes": _scopes(owner, details),
        "enrollments": [
            _enrollment(
                f"{owner}_enrollment",
                "Enrollment",
                enrollment.value,
                terms.PERCENT if percent else None,
                scope(f"{owner}_enrollment_scope", terms.GLOBAL),
            )
        ],
        "dateValues": dates,
        "previousId": previous,
        "notes": [],
        "instanceType": "StudyAmendment",
    }


def _section_title(document: Document, amendment: AmendmentState, number: str) -> SectionText:
    """A changed section's number and heading (a removed one's as the change named it)."""
    if number in document:
        return document[number]
    change = amendment.changes[number]
    return SectionText(number=number, heading=change.heading, text="")


def _scopes(owner: str, details: AmendmentDetails) -> list[Json]:
    if not details.scope.countries:
        return [scope(f"{owner}_scope_global", terms.GLOBAL)]
    return [
        scope(f"{owner}_scope_{i}", terms.COUNTRY, _country(country))
        for i, country in enumerate(details.scope.countries, 1)
    ]


def _country(name: str) -> terms.Term:
    """A country as ISO 3166-1 alpha-3 when it is written so; else as the text typed."""
    if len(name) == 3 and name.isascii() and name.isalpha() and name.isupper():
        return terms.Term(name, name, terms.ISO_COUNTRY, "2020-08")
    return terms.Term(name, name, "Concord country name", "1")


def imported_amendment(
    record: ImportRecord, index: int, amendment: SourceAmendment, previous: str | None
) -> Json:
    """The ``index``-th amendment (from 1) the import ``record`` kept, as its file had it."""
    owner = imported_amendment_id(index)
    return {
        "id": owner,
        "extensionAttributes": imported_from(owner, record),
        "name": amendment.name,
        "label": amendment.label,
        "description": None,
        "number": amendment.number,
        "summary": amendment.summary,
        "primaryReason": _reason(
            f"{owner}_primaryReason",
            coded_term(amendment.primary_reason.code),
            amendment.primary_reason.other,
        ),
        "secondaryReasons": [
            _reason(f"{owner}_secondaryReason_{i}", coded_term(reason.code), reason.other)
            for i, reason in enumerate(amendment.secondary_reasons, 1)
        ],
        "changes": [
            _change(
                f"{owner}_change_{i}",
                change.name,
                change.summary,
                change.rationale,
                [(s.number, s.title) for s in change.sections],
            )
            for i, change in enumerate(amendment.changes, 1)
        ],
        "impacts": [
            _impact(f"{owner}_impact_{i}", coded_term(impact.kind), impact.text, impact.substantial)
            for i, impact in enumerate(amendment.impacts, 1)
        ],
        "geographicScopes": [
            _imported_scope(f"{owner}_scope_{i}", kept)
            for i, kept in enumerate(amendment.scopes, 1)
        ],
        "enrollments": [
            _enrollment(
                f"{owner}_enrollment_{i}",
                enrollment.name,
                _json_number(enrollment.quantity),
                None if enrollment.unit is None else coded_term(enrollment.unit),
                None
                if enrollment.scope is None
                else _imported_scope(f"{owner}_enrollment_{i}_scope", enrollment.scope),
            )
            for i, enrollment in enumerate(amendment.enrollments, 1)
        ],
        "dateValues": [
            governance_date(
                f"{owner}_date_{i}",
                coded_term(date.kind),
                date.value,
                name=date.name,
                scopes=[
                    _imported_scope(f"{owner}_date_{i}_scope_{j}", kept)
                    for j, kept in enumerate(date.scopes, 1)
                ],
            )
            for i, date in enumerate(amendment.dates, 1)
        ],
        "previousId": previous,
        "notes": [],
        "instanceType": "StudyAmendment",
    }


def _imported_scope(owner: str, kept: SourceScope) -> Json:
    area = None if kept.area is None else coded_term(kept.area)
    return scope(owner, coded_term(kept.kind), area)


def _json_number(text: str) -> int | float:
    """Decimal text as a JSON number (an int when it is whole)."""
    value = float(text)
    return int(value) if value.is_integer() else value


# -- the pieces both kinds are built of ---------------------------------------------------


def _change(
    owner: str, name: str, summary: str, rationale: str, sections: Sequence[tuple[str, str]]
) -> Json:
    """A ``StudyChange`` and the sections (number, title) of the protocol it changed."""
    return {
        "id": owner,
        "extensionAttributes": [],
        "name": name,
        "label": None,
        "description": None,
        "summary": summary,
        "rationale": rationale,
        "changedSections": [
            {
                "id": f"{owner}_section_{i}",
                "extensionAttributes": [],
                "sectionNumber": section_number,
                "sectionTitle": title,
                "appliesToId": PROTOCOL_DOCUMENT_ID,
                "instanceType": "DocumentContentReference",
            }
            for i, (section_number, title) in enumerate(sections, 1)
        ],
        "instanceType": "StudyChange",
    }


def _reason(owner: str, term: terms.Term, other: str | None = None) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "code": code(f"{owner}_code", term),
        "otherReason": other,
        "instanceType": "StudyAmendmentReason",
    }


def _impact(owner: str, kind: terms.Term, text: str, substantial: bool) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "type": code(f"{owner}_type", kind),
        "text": text,
        "isSubstantial": substantial,
        "notes": [],
        "instanceType": "StudyAmendmentImpact",
    }


def _enrollment(
    owner: str, name: str, value: int | float, unit: terms.Term | None, where: Json | None
) -> Json:
    """A ``SubjectEnrollment``: how many (``unit`` None: participants), and where."""
    return {
        "id": owner,
        "extensionAttributes": [],
        "name": name,
        "label": None,
        "description": None,
        "quantity": {
            "id": f"{owner}_quantity",
            "extensionAttributes": [],
            "value": value,
            "unit": None if unit is None else alias(f"{owner}_unit", unit),
            "instanceType": "Quantity",
        },
        "forGeographicScope": where,
        "forStudyCohortId": None,
        "forStudySiteId": None,
        "instanceType": "SubjectEnrollment",
    }
