"""What the USDM tests read out of a file: the narrative in document order, the
amendment history, and checks every export must pass."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from server.formats.usdm_validation import schema_errors
from server.formats.xhtml import XHTML_NAMESPACE

EXAMPLE = Path(__file__).parent / "fixtures" / "CDISC_Pilot_Study.json"
"""CDISC's example study (USDM v4.0.0, MIT: fixtures/LICENSE)."""

XHTML_ELEMENTS = {
    f"{{{XHTML_NAMESPACE}}}{tag}"
    for tag in (
        "div", "p", "br", "ul", "ol", "li", "h5", "h6", "table", "thead", "tbody", "tr", "th",
        "td", "strong", "em",
    )
}  # fmt: skip


def assert_valid_usdm(document: dict[str, Any]) -> None:
    """The file is valid against CDISC's Wrapper-Input, and its narrative is XHTML."""
    assert schema_errors(document) == []
    for version in document["study"]["versions"]:
        for item in version["narrativeContentItems"]:
            root = ET.fromstring(item["text"])
            assert {element.tag for element in root.iter()} <= XHTML_ELEMENTS, item["id"]
            assert not any(element.attrib for element in root.iter()), item["id"]
    ids = list(_ids(document))
    assert len(ids) == len(set(ids)), "ids are unique in the file"


def _ids(value: Any) -> Any:
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            yield value["id"]
        for item in value.values():
            yield from _ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids(item)


def narrative(document: dict[str, Any], version: int = -1) -> list[tuple[Any, ...]]:
    """The narrative of a study version in previous/next order: number, title, XHTML and
    the numbers of its children."""
    study_version = document["study"]["versions"][version]
    (document_version_id,) = study_version["documentVersionIds"]
    (protocol,) = document["study"]["documentedBy"]
    (found,) = [v for v in protocol["versions"] if v["id"] == document_version_id]
    contents = {c["id"]: c for c in found["contents"]}
    items = {i["id"]: i["text"] for i in study_version["narrativeContentItems"]}
    (first,) = [c for c in found["contents"] if c["previousId"] is None]
    ordered, current = [], first
    while True:
        ordered.append(current)
        if current["nextId"] is None:
            break
        following = contents[current["nextId"]]
        assert following["previousId"] == current["id"]
        current = following
    assert len(ordered) == len(contents)
    return [
        (
            c["sectionNumber"],
            c["sectionTitle"],
            items[c["contentItemId"]],
            tuple(contents[child]["sectionNumber"] for child in c["childIds"]),
        )
        for c in ordered
    ]


def amendment_history(document: dict[str, Any]) -> list[Any]:
    """Every amendment of the file in previousId order, ids and extensions aside."""
    listed = {a["id"]: a for v in document["study"]["versions"] for a in v["amendments"]}
    ordered = []
    current = [a for a in listed.values() if a["previousId"] is None]
    while current:
        (amendment,) = current
        ordered.append(amendment)
        current = [a for a in listed.values() if a["previousId"] == amendment["id"]]
    assert len(ordered) == len(listed)
    return [without_ids(a) for a in ordered]


_ID_FIELDS = {"id", "extensionAttributes", "previousId", "appliesToId"}


def without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in _ID_FIELDS}
    if isinstance(value, list):
        return [without_ids(item) for item in value]
    return value
