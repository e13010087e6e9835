"""A shared document's content and the section markup: every kind of block the editor
makes reads as the markup that stores it, and markup written into a document reads back
the same."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from server.coediting.rich_text import FIELD, document_markup, write_markup
from server.formats.content import blocks, markup

EXAMPLES = [
    "Age 40 to 80 years\nSmoking history of 10 pack-years or more",
    "Plain paragraph.\n\nAnother one.",
    "- first item\n- second item",
    "1. one\n2. two\n3. three",
    "### Visits\n\nText below the sub-heading.\n\n#### Detail",
    "| Visit | Day |\n| --- | --- |\n| Screening | -14 |\n| Baseline | 1 |",
    "A **bold** word, an *italic* one and ***both***.",
    "Literal stars \\* and a backslash \\\\ stay text.",
    "| Only a header | row |\n| --- | --- |",
]


def _document(text: str) -> XmlFragment:
    doc: Doc[Any] = Doc()
    fragment: XmlFragment = doc.get(FIELD, type=XmlFragment)
    write_markup(fragment, text)
    return fragment


@pytest.mark.parametrize("text", EXAMPLES)
def test_markup_written_into_a_document_reads_back_the_same(text: str) -> None:
    written = document_markup(_document(text))
    assert blocks(written) == blocks(text)
    assert written == markup(blocks(text))


def test_the_editor_s_nodes_read_as_markup() -> None:
    doc: Doc[Any] = Doc()
    fragment: XmlFragment = doc.get(FIELD, type=XmlFragment)
    paragraph = fragment.children.append(XmlElement("paragraph"))
    words = paragraph.children.append(XmlText())
    words.insert(0, "Keep ")
    words.insert(5, "dry ", {"bold": {}})
    words.insert(9, "always", {"italic": {}})
    paragraph.children.append(XmlElement("hardBreak"))
    paragraph.children.append(XmlText("second line"))
    fragment.children.append(XmlElement("paragraph"))  # an empty line the person left
    listing = fragment.children.append(XmlElement("orderedList"))
    for item in ("one", "two"):
        listed = listing.children.append(XmlElement("listItem"))
        inner = listed.children.append(XmlElement("paragraph"))
        inner.children.append(XmlText(item))
    assert document_markup(fragment) == ("Keep **dry** *always*\nsecond line\n\n1. one\n2. two")


def test_an_element_the_editor_never_makes_keeps_its_text() -> None:
    doc: Doc[Any] = Doc()
    fragment: XmlFragment = doc.get(FIELD, type=XmlFragment)
    quote = fragment.children.append(XmlElement("blockquote"))
    inner = quote.children.append(XmlElement("paragraph"))
    inner.children.append(XmlText("Quoted words"))
    assert document_markup(fragment) == "Quoted words"
