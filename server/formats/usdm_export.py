"""A trial as a CDISC USDM v4 ``Wrapper``: a pure function of the trial's states.

:func:`usdm_wrapper` builds the JSON value from an :class:`ExportSource` (the trial's
states at one log position, read by ``server/formats/usdm_source.py``). A ``Study`` with

- a ``StudyVersion`` per published protocol version (or one ``draft`` version while
  nothing is published): version identifier, rationale, governance dates, titles, study
  identifiers, organizations, study roles with the people USDM has roles for, the
  narrative content items of that version, and the ``StudyAmendment`` that made it;
- one ``StudyDefinitionDocument`` (the protocol, template ``M11``) with a
  ``StudyDefinitionDocumentVersion`` per study version whose ``NarrativeContent`` follow
  the M11 outline (numbers, titles, previous/next in document order, children).

Every id is derived from what it names (the trial, a version, a section number, an
amendment id), so two exports of the same state are equal byte for byte. Provenance:
each study version carries the log position (and the hash there) of the event that
published it, the study the position it was exported at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from domain import m11
from domain.amendment_details import AmendmentDetails, EnrollmentUnit
from domain.amendment_state import AmendmentState
from domain.imports import (
    Coded,
    ImportRecord,
    SourceAmendment,
    SourceDate,
    SourceEnrollment,
    SourceReason,
    SourceScope,
)
from domain.protocol_events import SectionText
from domain.protocol_state import Document, ProtocolState, PublishedVersion
from domain.roles import OrganizationKind
from domain.workspace import TrialState
from server.formats import usdm_terms as terms
from server.formats.content import blocks
from server.formats.xhtml import to_xhtml

USDM_VERSION = "4.0.0"
SYSTEM_NAME = "Concord"
SYSTEM_VERSION = "0.1.0"
DRAFT = "draft"
"""The version identifier of a protocol nobody has published yet."""
PROTOCOL_DOCUMENT_ID = "StudyDefinitionDocument_protocol"

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LogPoint:
    """A position of the log and the chained hash of its event."""

    position: int
    hash: str
    date: str
    """The day (UTC) the event there was recorded, ``YYYY-MM-DD``."""


@dataclass(frozen=True, slots=True)
class ExportSource:
    """What an export reads: the trial's states once the log had reached ``at``."""

    trial_id: str
    trial: TrialState
    protocol: ProtocolState
    versions: tuple[PublishedVersion, ...]
    """The published versions to export, oldest first (none: the draft)."""
    published: Mapping[int, LogPoint]
    """Where each exported version was published."""
    amendments: Mapping[str, AmendmentState]
    """The merged amendments, by id."""
    at: LogPoint
    imported: ImportRecord | None = None


def usdm_json(source: ExportSource) -> bytes:
    """The Wrapper as JSON bytes (keys in the order built: equal for equal states)."""
    return orjson.dumps(usdm_wrapper(source))


def study_uuid(trial_id: str) -> str:
    """The study's id (USDM wants a UUID): the same for every export of the trial."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:concord:trial:{trial_id}"))


def usdm_wrapper(source: ExportSource) -> Json:
    """The USDM v4 ``Wrapper`` of the trial (see the module's docstring)."""
    versions: list[tuple[str, Document, PublishedVersion | None]] = [
        (str(v.version), v.document, v) for v in source.versions
    ] or [(DRAFT, source.protocol.document(), None)]
    study_versions, document_versions = [], []
    previous_amendment: str | None = None
    for index, (name, document, published) in enumerate(versions):
        amendments: list[Json] = []
        if index == 0 and source.imported is not None:
            record = source.imported
            for number, imported in enumerate(record.amendments, 1):
                amendments.append(_source_amendment(record, number, imported, previous_amendment))
                previous_amendment = amendments[-1]["id"]
        merged = _merged_amendment(source, published)
        if merged is not None and published is not None:
            amendments.append(_amendment(merged, published, document, previous_amendment))
            previous_amendment = amendments[-1]["id"]
        items, contents = _narrative(name, document)
        point = source.published.get(published.version) if published else None
        study_versions.append(
            _study_version(source, name, published, merged, amendments, items, point)
        )
        document_versions.append(_document_version(name, published, contents, point))
    title = _official_title(source)
    study: Json = {
        "id": study_uuid(source.trial_id),
        "extensionAttributes": _provenance("Study", source.at)
        + _imported_from("Study", source.imported),
        "name": source.trial_id,
        "label": source.trial.title or None,
        "description": None,
        "versions": study_versions,
        "documentedBy": [
            {
                "id": PROTOCOL_DOCUMENT_ID,
                "extensionAttributes": [],
                "name": "Protocol",
                "label": title,
                "description": None,
                "language": _code(f"{PROTOCOL_DOCUMENT_ID}_language", terms.ENGLISH),
                "type": _code(f"{PROTOCOL_DOCUMENT_ID}_type", terms.PROTOCOL_DOCUMENT),
                "templateName": "M11",
                "versions": document_versions,
                "childIds": [],
                "notes": [],
                "instanceType": "StudyDefinitionDocument",
            }
        ],
        "instanceType": "Study",
    }
    return {
        "study": study,
        "usdmVersion": USDM_VERSION,
        "systemName": SYSTEM_NAME,
        "systemVersion": SYSTEM_VERSION,
    }


# -- the narrative --------------------------------------------------------------------


def version_id(name: str) -> str:
    return f"StudyVersion_{name}"


def document_version_id(name: str) -> str:
    return f"StudyDefinitionDocumentVersion_{name}"


def _narrative(name: str, document: Document) -> tuple[list[Json], list[Json]]:
    """The content items of a version's document and its narrative contents, in order."""
    sections = list(document.values())
    ids = [f"NarrativeContent_{name}_{s.number}" for s in sections]
    children: dict[str, list[str]] = {}
    for section, content_id in zip(sections, ids, strict=True):
        parent = m11.parent(section.number)
        if parent is not None and parent in document:
            children.setdefault(parent, []).append(content_id)
    items, contents = [], []
    for index, (section, content_id) in enumerate(zip(sections, ids, strict=True)):
        item_id = f"NarrativeContentItem_{name}_{section.number}"
        items.append(
            {
                "id": item_id,
                "extensionAttributes": [],
                "name": f"NCI_{name}_{section.number}",
                "text": to_xhtml(blocks(section.text)),
                "instanceType": "NarrativeContentItem",
            }
        )
        numbered = section.number != m11.LAY_SUMMARY
        contents.append(
            {
                "id": content_id,
                "extensionAttributes": [],
                "name": f"NC_{name}_{section.number}",
                "sectionNumber": section.number if numbered else None,
                "sectionTitle": section.heading,
                "displaySectionNumber": numbered,
                "displaySectionTitle": True,
                "childIds": children.get(section.number, []),
                "previousId": ids[index - 1] if index else None,
                "nextId": ids[index + 1] if index + 1 < len(ids) else None,
                "contentItemId": item_id,
                "instanceType": "NarrativeContent",
            }
        )
    return items, contents


def _document_version(
    name: str, published: PublishedVersion | None, contents: list[Json], point: LogPoint | None
) -> Json:
    owner = document_version_id(name)
    dates = []
    if published is not None:
        dates.append(_date(f"{owner}_effective", terms.EFFECTIVE_DATE, published.effective_date))
    if point is not None:
        dates.append(_date(f"{owner}_issued", terms.ISSUED_DATE, point.date))
    return {
        "id": owner,
        "extensionAttributes": [],
        "version": name,
        "status": _code(f"{owner}_status", terms.FINAL if published else terms.DRAFT),
        "dateValues": dates,
        "contents": contents,
        "notes": [],
        "instanceType": "StudyDefinitionDocumentVersion",
    }


# -- the study version ----------------------------------------------------------------


def _study_version(
    source: ExportSource,
    name: str,
    published: PublishedVersion | None,
    merged: AmendmentState | None,
    amendments: list[Json],
    items: list[Json],
    point: LogPoint | None,
) -> Json:
    owner = version_id(name)
    dates = []
    if merged is not None and (approved := _approval_date(merged)) is not None:
        dates.append(_date(f"{owner}_approval", terms.APPROVAL_DATE, approved))
    if published is not None:
        dates.append(_date(f"{owner}_effective", terms.EFFECTIVE_DATE, published.effective_date))
    organizations = _organizations(source, owner)
    return {
        "id": owner,
        "extensionAttributes": _provenance(owner, point or source.at),
        "versionIdentifier": name,
        "rationale": _rationale(published, merged),
        "documentVersionIds": [document_version_id(name)],
        "dateValues": dates,
        "amendments": amendments,
        "businessTherapeuticAreas": [],
        "studyIdentifiers": _identifiers(source, owner, organizations),
        "referenceIdentifiers": [],
        "studyDesigns": [],
        "titles": _titles(source, owner),
        "eligibilityCriterionItems": [],
        "narrativeContentItems": items,
        "abbreviations": [],
        "roles": _roles(source, owner),
        "organizations": [org for org, _ in organizations],
        "studyInterventions": [],
        "administrableProducts": [],
        "medicalDevices": [],
        "productOrganizationRoles": [],
        "biomedicalConcepts": [],
        "bcCategories": [],
        "bcSurrogates": [],
        "dictionaries": [],
        "conditions": [],
        "notes": [],
        "instanceType": "StudyVersion",
    }


def _rationale(published: PublishedVersion | None, merged: AmendmentState | None) -> str:
    if published is None:
        return "Draft protocol: no version published yet."
    if merged is not None and merged.details is not None:
        return f"Amendment {merged.amendment_id}: {merged.details.summary}"
    if published.amendment_id is None:
        return "The original protocol (version 1)."
    return f"Amendment {published.amendment_id}."


def _official_title(source: ExportSource) -> str:
    return source.protocol.title or source.trial.title or source.trial_id


def _titles(source: ExportSource, owner: str) -> list[Json]:
    found = [(terms.OFFICIAL_TITLE, _official_title(source))]
    if source.trial.title and source.trial.title != found[0][1]:
        found.append((terms.BRIEF_TITLE, source.trial.title))
    titles: list[Json] = [
        {
            "id": f"{owner}_title_{index}",
            "extensionAttributes": [],
            "text": text,
            "type": _code(f"{owner}_title_{index}_type", term),
            "instanceType": "StudyTitle",
        }
        for index, (term, text) in enumerate(found, 1)
    ]
    seen = {(t["type"]["code"], t["text"]) for t in titles}
    imported = source.imported.titles if source.imported else ()
    for index, title in enumerate(imported, 1):
        if (title.kind.code, title.text) in seen:
            continue
        titles.append(
            {
                "id": f"{owner}_importedTitle_{index}",
                "extensionAttributes": [],
                "text": title.text,
                "type": _coded(f"{owner}_importedTitle_{index}_type", title.kind),
                "instanceType": "StudyTitle",
            }
        )
    return titles


def organization_id(version: str, organization: str) -> str:
    """An organization's id in a study version (each version lists its organizations)."""
    return f"{version}_organization_{organization}"


def _organizations(
    source: ExportSource, version: str
) -> list[tuple[Json, OrganizationKind | None]]:
    """The trial's organizations (admitted by the time exported), then those an import
    brought along, each with its Concord kind (None for an imported one)."""
    found: list[tuple[Json, OrganizationKind | None]] = []
    for organization in source.trial.organizations.values():
        owner = organization_id(version, organization.organization_id)
        kind = organization.kind
        found.append(
            (
                {
                    "id": owner,
                    "extensionAttributes": [
                        _extension(f"{owner}_kind", terms.ORGANIZATION_KIND, kind.value)
                    ],
                    "name": organization.name,
                    "label": organization.name,
                    "type": _code(f"{owner}_type", terms.ORGANIZATION_TYPES[kind]),
                    "identifierScheme": "Concord",
                    "identifier": organization.organization_id,
                    "legalAddress": None,
                    "managedSites": [],
                    "instanceType": "Organization",
                },
                kind,
            )
        )
    for index, imported in enumerate(source.imported.organizations if source.imported else (), 1):
        owner = organization_id(version, f"imported_{index}")
        found.append(
            (
                {
                    "id": owner,
                    "extensionAttributes": [],
                    "name": imported.name,
                    "label": imported.label,
                    "type": _coded(f"{owner}_type", imported.kind),
                    "identifierScheme": imported.identifier_scheme,
                    "identifier": imported.identifier,
                    "legalAddress": None,
                    "managedSites": [],
                    "instanceType": "Organization",
                },
                None,
            )
        )
    return found


def _identifiers(
    source: ExportSource, owner: str, organizations: list[tuple[Json, OrganizationKind | None]]
) -> list[Json]:
    """The trial's id, assigned by its (first) sponsor, then the imported identifiers."""
    scope = next(
        (org["id"] for org, kind in organizations if kind is OrganizationKind.SPONSOR),
        organizations[0][0]["id"] if organizations else "",
    )
    found: list[Json] = [
        {
            "id": f"{owner}_identifier_trial",
            "extensionAttributes": [],
            "text": source.trial_id,
            "scopeId": scope,
            "instanceType": "StudyIdentifier",
        }
    ]
    if source.imported is None:
        return found
    keys = {
        o.key: organization_id(owner, f"imported_{i}")
        for i, o in enumerate(source.imported.organizations, 1)
    }
    for index, identifier in enumerate(source.imported.identifiers, 1):
        found.append(
            {
                "id": f"{owner}_identifier_imported_{index}",
                "extensionAttributes": [],
                "text": identifier.text,
                "scopeId": keys.get(identifier.organization, scope),
                "instanceType": "StudyIdentifier",
            }
        )
    return found


def _roles(source: ExportSource, owner: str) -> list[Json]:
    """A study role per USDM role the trial's organizations and people hold."""
    roles: dict[str, tuple[terms.Term, list[str], list[Json]]] = {}
    for organization in source.trial.organizations.values():
        term = terms.ORGANIZATION_ROLES.get(organization.kind)
        if term is not None:
            roles.setdefault(term.code, (term, [], []))[1].append(
                organization_id(owner, organization.organization_id)
            )
    for member in source.trial.members.values():
        for role in sorted(member.roles):
            term = terms.PERSON_ROLES.get(role)
            if term is None:
                continue
            person_id = f"{owner}_person_{member.user_id}_{role.value}"
            roles.setdefault(term.code, (term, [], []))[2].append(
                {
                    "id": person_id,
                    "extensionAttributes": [],
                    "name": member.user_id,
                    "label": member.printed_name,
                    "description": None,
                    "personName": {
                        "id": f"{person_id}_name",
                        "extensionAttributes": [],
                        "text": member.printed_name,
                        "familyName": None,
                        "givenNames": [],
                        "prefixes": [],
                        "suffixes": [],
                        "instanceType": "PersonName",
                    },
                    "jobTitle": terms.JOB_TITLES[role],
                    "organizationId": organization_id(owner, member.organization_id),
                    "instanceType": "AssignedPerson",
                }
            )
    found = []
    for code, (term, organizations, people) in roles.items():
        role_id = f"{owner}_role_{code}"
        found.append(
            {
                "id": role_id,
                "extensionAttributes": [],
                "name": term.decode,
                "label": term.decode,
                "description": None,
                "code": _code(f"{role_id}_code", term),
                "appliesToIds": [],
                "assignedPersons": people,
                "organizationIds": organizations,
                "masking": None,
                "notes": [],
                "instanceType": "StudyRole",
            }
        )
    return found


# -- amendments -----------------------------------------------------------------------


def _merged_amendment(
    source: ExportSource, published: PublishedVersion | None
) -> AmendmentState | None:
    if published is None or published.amendment_id is None:
        return None
    return source.amendments.get(published.amendment_id)


def amendment_id(amendment: str) -> str:
    return f"StudyAmendment_{amendment}"


def _approval_date(amendment: AmendmentState) -> str | None:
    """The day the last signature on the merged content was applied."""
    signed = [s.signed_at for s in amendment.signatures if s.content_hash == amendment.content_hash]
    return max(signed)[:10] if signed else None


def _amendment(
    amendment: AmendmentState,
    published: PublishedVersion,
    document: Document,
    previous: str | None,
) -> Json:
    owner = amendment_id(amendment.amendment_id)
    details = amendment.details
    assert details is not None  # an amendment is opened with its details
    dates = []
    if (approved := _approval_date(amendment)) is not None:
        dates.append(_date(f"{owner}_approval", terms.APPROVAL_DATE, approved))
    dates.append(_date(f"{owner}_effective", terms.EFFECTIVE_DATE, published.effective_date))
    changes = []
    for index, row in enumerate(amendment.summary_of_changes(), 1):
        change_id = f"{owner}_change_{index}"
        sections = [_section_title(document, amendment, n) for n in row.sections]
        changes.append(
            {
                "id": change_id,
                "extensionAttributes": [],
                "name": f"Change {index}",
                "label": None,
                "description": None,
                "summary": row.description,
                "rationale": row.rationale,
                "changedSections": [
                    _section_reference(f"{change_id}_section_{i}", section)
                    for i, section in enumerate(sections, 1)
                ],
                "instanceType": "StudyChange",
            }
        )
    scope_extensions = [
        _extension(f"{owner}_site_{i}", terms.SCOPE_SITE, site)
        for i, site in enumerate(details.scope.sites, 1)
    ]
    return {
        "id": owner,
        "extensionAttributes": scope_extensions,
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
        "impacts": _impacts(owner, details),
        "geographicScopes": _scopes(owner, details),
        "enrollments": [_enrollment(owner, details)],
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


def _section_reference(owner: str, section: SectionText) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "sectionNumber": section.number,
        "sectionTitle": section.heading,
        "appliesToId": PROTOCOL_DOCUMENT_ID,
        "instanceType": "DocumentContentReference",
    }


def _reason(owner: str, term: terms.Term, other: str | None = None) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "code": _code(f"{owner}_code", term),
        "otherReason": other,
        "instanceType": "StudyAmendmentReason",
    }


def _impacts(owner: str, details: AmendmentDetails) -> list[Json]:
    answers = (
        ("safety", terms.SAFETY_OR_RIGHTS_IMPACT, details.safety_or_rights_impact),
        ("reliability", terms.DATA_RELIABILITY_IMPACT, details.data_reliability_impact),
    )
    return [
        {
            "id": f"{owner}_impact_{name}",
            "extensionAttributes": [],
            "type": _code(f"{owner}_impact_{name}_type", term),
            "text": answer.explanation,
            "isSubstantial": answer.likely,
            "notes": [],
            "instanceType": "StudyAmendmentImpact",
        }
        for name, term, answer in answers
    ]


def _scopes(owner: str, details: AmendmentDetails) -> list[Json]:
    if not details.scope.countries:
        return [_scope(f"{owner}_scope_global", terms.GLOBAL)]
    return [
        _scope(f"{owner}_scope_{i}", terms.COUNTRY, _country(country))
        for i, country in enumerate(details.scope.countries, 1)
    ]


def _country(name: str) -> terms.Term:
    """A country as ISO 3166-1 alpha-3 when it is written so; else as the text typed."""
    if len(name) == 3 and name.isascii() and name.isalpha() and name.isupper():
        return terms.Term(name, name, terms.ISO_COUNTRY, "2020-08")
    return terms.Term(name, name, "Concord country name", "1")


def _scope(owner: str, kind: terms.Term, area: terms.Term | None = None) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "type": _code(f"{owner}_type", kind),
        "code": None if area is None else _alias(f"{owner}_code", area),
        "instanceType": "GeographicScope",
    }


def _enrollment(owner: str, details: AmendmentDetails) -> Json:
    enrollment = details.enrollment
    percent = enrollment.unit is EnrollmentUnit.PERCENT
    return {
        "id": f"{owner}_enrollment",
        "extensionAttributes": [],
        "name": "Enrollment",
        "label": None,
        "description": None,
        "quantity": {
            "id": f"{owner}_enrollment_quantity",
            "extensionAttributes": [],
            "value": enrollment.value,
            "unit": _alias(f"{owner}_enrollment_unit", terms.PERCENT) if percent else None,
            "instanceType": "Quantity",
        },
        "forGeographicScope": _scope(f"{owner}_enrollment_scope", terms.GLOBAL),
        "forStudyCohortId": None,
        "forStudySiteId": None,
        "instanceType": "SubjectEnrollment",
    }


# -- amendments an import brought along -------------------------------------------------


def _source_amendment(
    record: ImportRecord, index: int, amendment: SourceAmendment, previous: str | None
) -> Json:
    owner = f"StudyAmendment_imported_{index}"
    imported = _extension(f"{owner}_importedFrom", terms.IMPORTED_FROM, record.file_sha256)
    return {
        "id": owner,
        "extensionAttributes": [imported],
        "name": amendment.name,
        "label": amendment.label,
        "description": None,
        "number": amendment.number,
        "summary": amendment.summary,
        "primaryReason": _source_reason(f"{owner}_primaryReason", amendment.primary_reason),
        "secondaryReasons": [
            _source_reason(f"{owner}_secondaryReason_{i}", reason)
            for i, reason in enumerate(amendment.secondary_reasons, 1)
        ],
        "changes": [
            {
                "id": f"{owner}_change_{i}",
                "extensionAttributes": [],
                "name": change.name,
                "label": None,
                "description": None,
                "summary": change.summary,
                "rationale": change.rationale,
                "changedSections": [
                    _section_reference(
                        f"{owner}_change_{i}_section_{j}",
                        SectionText(number=s.number, heading=s.title, text=""),
                    )
                    for j, s in enumerate(change.sections, 1)
                ],
                "instanceType": "StudyChange",
            }
            for i, change in enumerate(amendment.changes, 1)
        ],
        "impacts": [
            {
                "id": f"{owner}_impact_{i}",
                "extensionAttributes": [],
                "type": _coded(f"{owner}_impact_{i}_type", impact.kind),
                "text": impact.text,
                "isSubstantial": impact.substantial,
                "notes": [],
                "instanceType": "StudyAmendmentImpact",
            }
            for i, impact in enumerate(amendment.impacts, 1)
        ],
        "geographicScopes": [
            _source_scope(f"{owner}_scope_{i}", scope)
            for i, scope in enumerate(amendment.scopes, 1)
        ],
        "enrollments": [
            _source_enrollment(f"{owner}_enrollment_{i}", enrollment)
            for i, enrollment in enumerate(amendment.enrollments, 1)
        ],
        "dateValues": [
            _source_date(f"{owner}_date_{i}", date) for i, date in enumerate(amendment.dates, 1)
        ],
        "previousId": previous,
        "notes": [],
        "instanceType": "StudyAmendment",
    }


def _source_reason(owner: str, reason: SourceReason) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "code": _coded(f"{owner}_code", reason.code),
        "otherReason": reason.other,
        "instanceType": "StudyAmendmentReason",
    }


def _source_scope(owner: str, scope: SourceScope) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "type": _coded(f"{owner}_type", scope.kind),
        "code": None
        if scope.area is None
        else {
            "id": f"{owner}_code",
            "extensionAttributes": [],
            "standardCode": _coded(f"{owner}_code_standard", scope.area),
            "standardCodeAliases": [],
            "instanceType": "AliasCode",
        },
        "instanceType": "GeographicScope",
    }


def _source_enrollment(owner: str, enrollment: SourceEnrollment) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "name": enrollment.name,
        "label": None,
        "description": None,
        "quantity": {
            "id": f"{owner}_quantity",
            "extensionAttributes": [],
            "value": number(enrollment.quantity),
            "unit": None
            if enrollment.unit is None
            else {
                "id": f"{owner}_unit",
                "extensionAttributes": [],
                "standardCode": _coded(f"{owner}_unit_standard", enrollment.unit),
                "standardCodeAliases": [],
                "instanceType": "AliasCode",
            },
            "instanceType": "Quantity",
        },
        "forGeographicScope": None
        if enrollment.scope is None
        else _source_scope(f"{owner}_scope", enrollment.scope),
        "forStudyCohortId": None,
        "forStudySiteId": None,
        "instanceType": "SubjectEnrollment",
    }


def _source_date(owner: str, date: SourceDate) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "name": date.name,
        "label": date.kind.decode,
        "description": None,
        "type": _coded(f"{owner}_type", date.kind),
        "dateValue": date.value,
        "geographicScopes": [
            _source_scope(f"{owner}_scope_{i}", scope) for i, scope in enumerate(date.scopes, 1)
        ],
        "instanceType": "GovernanceDate",
    }


def number(text: str) -> int | float:
    """Decimal text as a JSON number (an int when it is whole)."""
    value = float(text)
    return int(value) if value.is_integer() else value


# -- building blocks ------------------------------------------------------------------


def _code(owner: str, term: terms.Term) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "code": term.code,
        "codeSystem": term.system,
        "codeSystemVersion": term.version,
        "decode": term.decode,
        "instanceType": "Code",
    }


def _coded(owner: str, coded: Coded) -> Json:
    return _code(owner, terms.Term(coded.code, coded.decode, coded.system, coded.system_version))


def _alias(owner: str, term: terms.Term) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "standardCode": _code(f"{owner}_standard", term),
        "standardCodeAliases": [],
        "instanceType": "AliasCode",
    }


def _date(owner: str, kind: terms.Term, value: str) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "name": kind.decode,
        "label": kind.decode,
        "description": None,
        "type": _code(f"{owner}_type", kind),
        "dateValue": value,
        "geographicScopes": [_scope(f"{owner}_scope", terms.GLOBAL)],
        "instanceType": "GovernanceDate",
    }


def _extension(owner: str, url: str, value: str | None = None, integer: int | None = None) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "url": url,
        "valueString": value,
        "valueBoolean": None,
        "valueInteger": integer,
        "valueId": None,
        "valueQuantity": None,
        "valueRange": None,
        "valueCode": None,
        "valueAliasCode": None,
        "valueExtensionClass": None,
        "instanceType": "ExtensionAttribute",
    }


def _provenance(owner: str, point: LogPoint) -> list[Json]:
    """Where in the log this comes from: a position and the chained hash there."""
    return [
        _extension(f"{owner}_logPosition", terms.LOG_POSITION, integer=point.position),
        _extension(f"{owner}_logHash", terms.LOG_HASH, point.hash),
    ]


def _imported_from(owner: str, record: ImportRecord | None) -> list[Json]:
    if record is None:
        return []
    return [_extension(f"{owner}_importedFrom", terms.IMPORTED_FROM, record.file_sha256)]


def first(items: Iterable[Json], **wanted: Any) -> Json | None:
    """The first item whose fields have the wanted values (for tests and readers)."""
    return next((i for i in items if all(i.get(k) == v for k, v in wanted.items())), None)


def extension_values(item: Json, url: str) -> Sequence[Any]:
    """The values of an item's extension attributes named ``url``."""
    return [
        e["valueString"] if e["valueInteger"] is None else e["valueInteger"]
        for e in item.get("extensionAttributes", [])
        if e.get("url") == url
    ]
