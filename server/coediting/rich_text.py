"""A shared document's content as section markup, and markup as a document's content.

The browser's editor (TipTap on ProseMirror, ``web/js/rich-editor.js``) keeps its content
in the document's XML fragment :data:`FIELD` with y-prosemirror's layout: one element per
node (``paragraph``, ``heading`` with ``level`` 3 or 4, ``bulletList``/``orderedList`` of
``listItem``, ``table`` of ``tableRow`` of ``tableHeader``/``tableCell``, ``hardBreak``),
text in ``XmlText`` whose formatting attributes are the marks (``bold``, ``italic``).
Its schema allows exactly what the markup holds (``server/formats/content.py``); what a
hand-made update adds beyond it is read as text, never lost: an unknown element's text
becomes a paragraph.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from server.formats.content import (
    Block,
    Heading,
    Inline,
    ItemList,
    ListKind,
    Paragraph,
    Run,
    Table,
    blocks,
    markup,
    normal_inline,
)

FIELD = "default"
"""The XML fragment the editor binds to (TipTap's Collaboration default)."""

FIRST_STATE_CLIENT = 1
"""The Yjs client id of every text's first state: with it the first state of a text is
the same bytes wherever and whenever it is made, so the copy a browser was given before
anyone wrote and the one recorded with the first edit are one and the same."""

SUBHEADING_LEVELS = {3: 1, 4: 2}
"""Editor heading level -> markup sub-heading level."""

_LISTS = {"bulletList": ListKind.BULLETED, "orderedList": ListKind.NUMBERED}
_CELLS = ("tableHeader", "tableCell")


# -- document -> markup ------------------------------------------------------------------


def document_markup(fragment: XmlFragment) -> str:
    """The fragment's content as section markup (canonical: read back, it is the same)."""
    return markup(_blocks(fragment.children))


def _blocks(children: Iterable[Any]) -> Iterator[Block]:
    for child in children:
        if isinstance(child, XmlText):
            yield from _paragraph([child])
        elif isinstance(child, XmlElement):
            yield from _block(child)


def _block(element: XmlElement) -> Iterator[Block]:
    tag = element.tag
    if tag == "heading":
        level: Literal[1, 2] = 2 if _whole(element.attributes.get("level")) == 4 else 1
        text = _inline(element.children)
        if text:
            yield Heading(level=level, text=text)
    elif tag in _LISTS:
        items = tuple(i for i in (_inline_of(item) for item in _elements(element)) if i)
        if items:
            yield ItemList(_LISTS[tag], items)
    elif tag == "table":
        rows = [tuple(_inline_of(cell) for cell in _elements(row)) for row in _elements(element)]
        if rows:
            yield Table(header=rows[0], rows=tuple(rows[1:]))
    else:  # a paragraph, or an element the editor does not make: its text is kept
        yield from _paragraph(element.children)


def _paragraph(children: Iterable[Any]) -> Iterator[Paragraph]:
    lines: list[list[Run]] = [[]]
    for child in children:
        if isinstance(child, XmlElement) and child.tag == "hardBreak":
            lines.append([])
        else:
            lines[-1].extend(_runs([child]))
    kept = tuple(normal_inline(line) for line in lines)
    kept = tuple(line for line in kept if line)
    if kept:
        yield Paragraph(lines=kept)


def _inline_of(element: XmlElement) -> Inline:
    """The text of a list item or a cell: its paragraphs' runs, joined by a space."""
    runs: list[Run] = []
    for paragraph in _paragraph(element.children if element.tag == "paragraph" else ()):
        runs.extend(_joined(paragraph.lines))
    for child in element.children if element.tag != "paragraph" else ():
        part = _inline_of(child) if isinstance(child, XmlElement) else normal_inline(_runs([child]))
        if part and runs:
            runs.append(Run(" "))
        runs.extend(part)
    return normal_inline(runs)


def _joined(lines: Iterable[Inline]) -> list[Run]:
    runs: list[Run] = []
    for line in lines:
        if runs:
            runs.append(Run(" "))
        runs.extend(line)
    return runs


def _inline(children: Iterable[Any]) -> Inline:
    return normal_inline(_runs(children))


def _runs(children: Iterable[Any]) -> list[Run]:
    runs: list[Run] = []
    for child in children:
        if isinstance(child, XmlText):
            for text, attributes in child.diff():
                if isinstance(text, str):
                    marks = attributes or {}
                    runs.append(Run(text, bold="bold" in marks, italic="italic" in marks))
        elif isinstance(child, XmlElement):
            if child.tag == "hardBreak":
                runs.append(Run(" "))
            else:
                runs.extend(_runs(child.children))
    return runs


def _elements(element: XmlElement) -> Iterator[XmlElement]:
    for child in element.children:
        if isinstance(child, XmlElement):
            yield child


def _whole(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# -- markup -> document ------------------------------------------------------------------


def first_state(text: str) -> bytes:
    """A shared text's first state: a document holding ``text`` (section markup) written
    by :data:`FIRST_STATE_CLIENT`, as one update (the same bytes for the same text)."""
    doc: Doc[Any] = Doc(client_id=FIRST_STATE_CLIENT)
    write_markup(doc.get(FIELD, type=XmlFragment), text)
    return doc.get_update()


def write_markup(fragment: XmlFragment, text: str) -> None:
    """Fill an empty fragment with ``text``'s blocks, as the editor would hold them."""
    for block in blocks(text):
        match block:
            case Paragraph(lines=lines):
                paragraph = fragment.children.append(XmlElement("paragraph"))
                for index, line in enumerate(lines):
                    if index:
                        paragraph.children.append(XmlElement("hardBreak"))
                    _write_runs(paragraph, line)
            case Heading(level=level, text=inline):
                editor_level = next(k for k, v in SUBHEADING_LEVELS.items() if v == level)
                heading = fragment.children.append(XmlElement("heading"))
                # A number, as ProseMirror holds it (TipTap compares levels with ===).
                heading.attributes["level"] = editor_level
                _write_runs(heading, inline)
            case ItemList(kind=kind, items=items):
                tag = next(k for k, v in _LISTS.items() if v is kind)
                listing = fragment.children.append(XmlElement(tag))
                for item in items:
                    _write_runs(
                        _paragraph_in(listing.children.append(XmlElement("listItem"))), item
                    )
            case Table(header=header, rows=rows):
                table = fragment.children.append(XmlElement("table"))
                for index, row in enumerate((header, *rows)):
                    cells = table.children.append(XmlElement("tableRow"))
                    for cell in row:
                        made = cells.children.append(XmlElement(_CELLS[0 if index == 0 else 1]))
                        _write_runs(_paragraph_in(made), cell)


def _paragraph_in(element: XmlElement) -> XmlElement:
    return element.children.append(XmlElement("paragraph"))


def _write_runs(element: XmlElement, inline: Inline) -> None:
    if not inline:
        return
    text = element.children.append(XmlText())
    at = 0
    for run in inline:
        marks: dict[str, Any] = {}
        if run.bold:
            marks["bold"] = {}
        if run.italic:
            marks["italic"] = {}
        text.insert(at, run.text, marks or None)
        at += len(run.text)
