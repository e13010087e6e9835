"""The ids a USDM export writes, and where in the log what it writes comes from.

Every id is derived from what it names (the trial, a version, a section number, an
amendment id, an organization), so two exports of the same state are equal byte for byte.
Provenance is written as extension attributes: the log position, and the chained hash
there, of what an object was exported from (:class:`LogPoint`); and the SHA-256 of the
file an imported trial was founded from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.imports import ImportRecord
from server.formats import usdm_terms as terms
from server.formats.usdm_values import Json, extension

PROTOCOL_DOCUMENT_ID = "StudyDefinitionDocument_protocol"


def study_uuid(trial_id: str) -> str:
    """The study's id (USDM wants a UUID): the same for every export of the trial."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:concord:trial:{trial_id}"))


def version_id(name: str) -> str:
    return f"StudyVersion_{name}"


def document_version_id(name: str) -> str:
    return f"StudyDefinitionDocumentVersion_{name}"


def organization_id(version: str, organization: str) -> str:
    """An organization's id in a study version (each version lists its organizations)."""
    return f"{version}_organization_{organization}"


def imported_organization_id(version: str, index: int) -> str:
    """The id of the ``index``-th organization (from 1) an import kept."""
    return organization_id(version, f"imported_{index}")


def amendment_id(amendment: str) -> str:
    return f"StudyAmendment_{amendment}"


def imported_amendment_id(index: int) -> str:
    """The id of the ``index``-th amendment (from 1) an import kept."""
    return amendment_id(f"imported_{index}")


@dataclass(frozen=True, slots=True)
class LogPoint:
    """A position of the log and the chained hash of its event."""

    position: int
    hash: str
    date: str
    """The day (UTC) the event there was recorded, ``YYYY-MM-DD``."""


def provenance(owner: str, point: LogPoint) -> list[Json]:
    """Where in the log this comes from: a position and the chained hash there."""
    return [
        extension(f"{owner}_logPosition", terms.LOG_POSITION, integer=point.position),
        extension(f"{owner}_logHash", terms.LOG_HASH, point.hash),
    ]


def imported_from(owner: str, record: ImportRecord | None) -> list[Json]:
    """The file an imported trial was founded from (nothing for a trial founded here)."""
    if record is None:
        return []
    return [extension(f"{owner}_importedFrom", terms.IMPORTED_FROM, record.file_sha256)]
