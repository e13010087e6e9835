"""The protocol's narrative in a USDM export: the study definition document and its versions.

One ``StudyDefinitionDocument`` (the protocol, template ``M11``) with a
``StudyDefinitionDocumentVersion`` per study version. Each version's sections are its
``NarrativeContent``, in M11 order: number and title (the lay summary unnumbered),
previous and next in document order, children; the text of each is a
``NarrativeContentItem`` of the study version: its markup's blocks as XHTML
(:mod:`server.formats.xhtml`: paragraphs, lists, sub-headings, tables, bold and italic).
"""

from __future__ import annotations

from domain import m11
from domain.protocol_state import Document, PublishedVersion
from server.formats import usdm_terms as terms
from server.formats.content import blocks
from server.formats.usdm_ids import PROTOCOL_DOCUMENT_ID, LogPoint, document_version_id
from server.formats.usdm_values import Json, code, governance_date
from server.formats.xhtml import to_xhtml


def protocol_document(title: str, versions: list[Json]) -> Json:
    """The protocol as a ``StudyDefinitionDocument`` with its ``versions``."""
    return {
        "id": PROTOCOL_DOCUMENT_ID,
        "extensionAttributes": [],
        "name": "Protocol",
        "label": title,
        "description": None,
        "language": code(f"{PROTOCOL_DOCUMENT_ID}_language", terms.ENGLISH),
        "type": code(f"{PROTOCOL_DOCUMENT_ID}_type", terms.PROTOCOL_DOCUMENT),
        "templateName": "M11",
        "versions": versions,
        "childIds": [],
        "notes": [],
        "instanceType": "StudyDefinitionDocument",
    }


def narrative(name: str, document: Document) -> tuple[list[Json], list[Json]]:
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


def document_version(
    name: str, published: PublishedVersion | None, contents: list[Json], point: LogPoint | None
) -> Json:
    """The protocol's version ``name``: final once published (effective and issued then),
    else the draft."""
    owner = document_version_id(name)
    dates = []
    if published is not None:
        dates.append(
            governance_date(f"{owner}_effective", terms.EFFECTIVE_DATE, published.effective_date)
        )
    if point is not None:
        dates.append(governance_date(f"{owner}_issued", terms.ISSUED_DATE, point.date))
    return {
        "id": owner,
        "extensionAttributes": [],
        "version": name,
        "status": code(f"{owner}_status", terms.FINAL if published else terms.DRAFT),
        "dateValues": dates,
        "contents": contents,
        "notes": [],
        "instanceType": "StudyDefinitionDocumentVersion",
    }
