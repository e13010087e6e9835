"""A trial as a CDISC USDM v4 ``Wrapper``: a pure function of the trial's states.

:func:`usdm_wrapper` builds the JSON value from an :class:`ExportSource` (the trial's
states at one log position, read by ``server/formats/usdm_source.py``). A ``Study`` with

- a ``StudyVersion`` per published protocol version (or one ``draft`` version while
  nothing is published): version identifier, rationale, governance dates, titles, study
  identifiers, organizations, study roles with the people USDM has roles for
  (:mod:`server.formats.usdm_export_organizations`), the narrative content items of that
  version, and the ``StudyAmendment`` that made it
  (:mod:`server.formats.usdm_export_amendments`);
- one ``StudyDefinitionDocument`` (the protocol, template ``M11``) with a
  ``StudyDefinitionDocumentVersion`` per study version whose ``NarrativeContent`` follow
  the M11 outline (:mod:`server.formats.usdm_export_narrative`).

Every id is derived from what it names, so two exports of the same state are equal byte
for byte. Provenance: each study version carries the log position (and the hash there)
of the event that published it, the study the position it was exported at
(:mod:`server.formats.usdm_ids`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import msgspec

from domain.amendment_state import AmendmentState
from domain.imports import ImportRecord
from domain.protocol_state import Document, ProtocolState, PublishedVersion
from domain.workspace import TrialState
from server.formats import usdm_terms as terms
from server.formats.usdm_export_amendments import (
    approval_date,
    imported_amendment,
    merged_amendment,
)
from server.formats.usdm_export_narrative import document_version, narrative, protocol_document
from server.formats.usdm_export_organizations import identifiers, organizations, roles
from server.formats.usdm_ids import (
    LogPoint,
    document_version_id,
    imported_from,
    provenance,
    study_uuid,
    version_id,
)
from server.formats.usdm_values import Json, code, coded_term, governance_date

USDM_VERSION = "4.0.0"
SYSTEM_NAME = "Concord"
SYSTEM_VERSION = "0.1.0"
DRAFT = "draft"
"""The version identifier of a protocol nobody has published yet."""


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
    return msgspec.json.encode(usdm_wrapper(source))


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
                amendments.append(imported_amendment(record, number, imported, previous_amendment))
                previous_amendment = amendments[-1]["id"]
        merged = _merged_amendment(source, published)
        if merged is not None and published is not None:
            amendments.append(merged_amendment(merged, published, document, previous_amendment))
            previous_amendment = amendments[-1]["id"]
        items, contents = narrative(name, document)
        point = source.published.get(published.version) if published else None
        study_versions.append(
            _study_version(source, name, published, merged, amendments, items, point)
        )
        document_versions.append(document_version(name, published, contents, point))
    study: Json = {
        "id": study_uuid(source.trial_id),
        "extensionAttributes": provenance("Study", source.at)
        + imported_from("Study", source.imported),
        "name": source.trial_id,
        "label": source.trial.title or None,
        "description": None,
        "versions": study_versions,
        "documentedBy": [protocol_document(_official_title(source), document_versions)],
        "instanceType": "Study",
    }
    return {
        "study": study,
        "usdmVersion": USDM_VERSION,
        "systemName": SYSTEM_NAME,
        "systemVersion": SYSTEM_VERSION,
    }


def _merged_amendment(
    source: ExportSource, published: PublishedVersion | None
) -> AmendmentState | None:
    """The amendment whose merge published ``published``, if one did."""
    if published is None or published.amendment_id is None:
        return None
    return source.amendments.get(published.amendment_id)


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
    if merged is not None and (approved := approval_date(merged)) is not None:
        dates.append(governance_date(f"{owner}_approval", terms.APPROVAL_DATE, approved))
    if published is not None:
        dates.append(
            governance_date(f"{owner}_effective", terms.EFFECTIVE_DATE, published.effective_date)
        )
    listed = organizations(source.trial, source.imported, owner)
    return {
        "id": owner,
        "extensionAttributes": provenance(owner, point or source.at),
        "versionIdentifier": name,
        "rationale": _rationale(published, merged),
        "documentVersionIds": [document_version_id(name)],
        "dateValues": dates,
        "amendments": amendments,
        "businessTherapeuticAreas": [],
        "studyIdentifiers": identifiers(source.trial_id, source.imported, owner, listed),
        "referenceIdentifiers": [],
        "studyDesigns": [],
        "titles": _titles(source, owner),
        "eligibilityCriterionItems": [],
        "narrativeContentItems": items,
        "abbreviations": [],
        "roles": roles(source.trial, owner),
        "organizations": [org for org, _ in listed],
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
    """The official title (and the trial's, as the brief title, where it differs), then
    the titles an import kept that say something else."""
    found = [(terms.OFFICIAL_TITLE, _official_title(source))]
    if source.trial.title and source.trial.title != found[0][1]:
        found.append((terms.BRIEF_TITLE, source.trial.title))
    titles = [
        _title(f"{owner}_title_{index}", text, term) for index, (term, text) in enumerate(found, 1)
    ]
    seen = {(t["type"]["code"], t["text"]) for t in titles}
    imported = source.imported.titles if source.imported else ()
    for index, title in enumerate(imported, 1):
        if (title.kind.code, title.text) in seen:
            continue
        titles.append(_title(f"{owner}_importedTitle_{index}", title.text, coded_term(title.kind)))
    return titles


def _title(owner: str, text: str, kind: terms.Term) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "text": text,
        "type": code(f"{owner}_type", kind),
        "instanceType": "StudyTitle",
    }
