"""Blocks to XHTML and back: the one place that learns new content kinds.

:func:`to_xhtml` writes a section's blocks as one XHTML ``div`` in the XHTML namespace
(what USDM's ``NarrativeContentItem.text`` holds): ``p`` with ``br`` between lines, ``ul``
and ``ol`` with ``li``, a sub-heading as ``h5`` (level 1) or ``h6`` (level 2), a table as
``table`` with its header row in ``thead`` (``th`` cells) and its body rows, if any, in
``tbody`` (``td`` cells); bold text in ``strong``, italic in ``em`` (both: ``strong``
around ``em``). Sub-headings take the two deepest levels because the XHTML does not know
how a reader heads the section itself (USDM carries the section's number and title beside
it): ``h5``/``h6`` stay below any heading a reader gives M11's levels. Text is escaped
(``&amp;``, ``&lt;``, ``&gt;``, nothing else), characters XML 1.0 cannot hold are left
out, and no attribute but the namespace is written.

:func:`tracked_xhtml` writes *marked* blocks (:mod:`server.formats.marked_content`) the
same way, with what changed marked: inserted text in ``ins``, deleted text in ``del``
(around its ``strong``/``em``: bold and italic are kept on both sides), a line break in
the mark of the side(s) it is on, and a table row added or removed as ``<tr
class="inserted">`` or ``<tr class="deleted">`` (its cells' text in ``ins`` or ``del``),
the one attribute it writes. Blocks with nothing marked are written exactly as
:func:`to_xhtml` writes them: one writer serves both.

:func:`from_xhtml` reads (X)HTML from elsewhere back into blocks with the standard
library's tolerant ``html.parser`` (never a regular expression, never a DTD: no entity
but HTML's own character references is expanded). What it keeps and what it drops:

- ``p``, ``div`` and the other block elements become paragraphs, ``br`` a line break;
  ``ul``/``ol`` with ``li`` become lists (a nested list's items join the outer list; an
  item is one line).
- ``h1`` to ``h6`` become sub-headings: ``h6`` level 2; of ``h1`` to ``h5``, the
  shallowest the text uses level 1 and any deeper level 2 (so :func:`to_xhtml`'s
  ``h5``/``h6`` read back as they were written).
- A ``table`` becomes a table: its first row the header, every cell one line of text
  (what a cell holds besides, paragraphs, lists or line breaks, joins with spaces); rows
  shorter than the widest are padded; a table inside a table is read as its cell's text;
  a ``caption`` becomes a paragraph before the table.
- ``b`` and ``strong`` are bold, ``i`` and ``em`` italic; other inline elements (``span``,
  ``a``, ``sup``, ...) keep their text and lose their formatting; every attribute is
  dropped.
- A USDM reference (``<usdm:ref klass id attribute>``) becomes the text the caller's
  resolver gives for it, a USDM tag (``<usdm:tag name>``, a parameter of a syntax
  template) the text its ``tags`` gives; either is left out (and noted) without one.
- ``script``, ``style``, ``template``, ``iframe``, ``object``, ``svg``, ``math`` and
  the like are dropped with their content; ``img`` is dropped (its ``alt`` text kept in
  brackets).
- Bounded: elements nested deeper than ``max_depth`` count as their parent's text, and
  text beyond ``max_chars`` is cut.

Each thing dropped or changed is counted in :attr:`Parsed.notes`, so an import can report it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import Literal

from domain.protocol_diff import Mark
from server.formats.content import (
    Block,
    Heading,
    Inline,
    ItemList,
    ListKind,
    Paragraph,
    Run,
    Table,
    collapse,
    lines_of,
)
from server.formats.marked_content import (
    MarkedBlock,
    MarkedHeading,
    MarkedLine,
    MarkedList,
    MarkedParagraph,
    MarkedRun,
    MarkedTable,
)
from server.formats.xhtml_reader import Parsed, Reader, Resolver, Tags

XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
EMPTY_XHTML = f'<div xmlns="{XHTML_NAMESPACE}"></div>'
SUBHEADING_TAGS = {1: "h5", 2: "h6"}
"""The element of a sub-heading of each level."""

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(text: str) -> str:
    """Text for an XHTML element's content: escaped, and without what XML cannot hold."""
    cleaned = _NOT_XML.sub("", text)
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_xhtml(found: Iterable[Block]) -> str:
    """A section's blocks as one XHTML ``div``."""
    return _xhtml(found)


def tracked_xhtml(found: Iterable[MarkedBlock]) -> str:
    """A section's marked blocks as one XHTML ``div``, what changed in ``ins`` and ``del``
    (the module's rules); with nothing marked, what :func:`to_xhtml` writes."""
    return _xhtml(found)


def _xhtml(found: Iterable[Block | MarkedBlock]) -> str:
    # Clean blocks are written directly, not marked first as kept: that would take twice
    # as long, and every USDM export writes every section of every version.
    parts = [f'<div xmlns="{XHTML_NAMESPACE}">']
    for block in found:
        match block:
            case Paragraph(lines=lines):
                parts.append("<p>" + "<br/>".join(map(inline_xhtml, lines)) + "</p>")
            case MarkedParagraph(lines=lines):
                parts.append("<p>" + _marked(_broken_lines(lines)) + "</p>")
            case ItemList(kind=kind, items=items):
                parts.append(_list(kind, map(inline_xhtml, items)))
            case MarkedList(kind=kind, items=items):
                parts.append(_list(kind, map(_line, items)))
            case Heading(level=level, text=text):
                parts.append(_heading(level, inline_xhtml(text)))
            case MarkedHeading(level=level, text=text):
                parts.append(_heading(level, _line(text)))
            case Table(header=header, rows=rows):
                parts.append(
                    _table(
                        _row(map(inline_xhtml, header), "th"),
                        [_row(map(inline_xhtml, row), "td") for row in rows],
                    )
                )
            case MarkedTable(header=header, rows=rows):
                parts.append(
                    _table(
                        _row(map(_line, header.cells), "th", header.mark),
                        [_row(map(_line, row.cells), "td", row.mark) for row in rows],
                    )
                )
    parts.append("</div>")
    return "".join(parts)


def _list(kind: ListKind, items: Iterable[str]) -> str:
    tag = "ul" if kind is ListKind.BULLETED else "ol"
    return f"<{tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{tag}>"


def _heading(level: Literal[1, 2], text: str) -> str:
    tag = SUBHEADING_TAGS[level]
    return f"<{tag}>{text}</{tag}>"


def _table(header: str, rows: list[str]) -> str:
    body = "<tbody>" + "".join(rows) + "</tbody>" if rows else ""
    return f"<table><thead>{header}</thead>{body}</table>"


_ROW_CLASS = {Mark.KEPT: "", Mark.INSERTED: ' class="inserted"', Mark.DELETED: ' class="deleted"'}
_MARK_TAG = {Mark.INSERTED: "ins", Mark.DELETED: "del"}


def _row(cells: Iterable[str], tag: str, mark: Mark = Mark.KEPT) -> str:
    written = "".join(f"<{tag}>{cell}</{tag}>" for cell in cells)
    return f"<tr{_ROW_CLASS[mark]}>{written}</tr>"


def _line(found: MarkedLine) -> str:
    return _marked((run.mark, _run(run)) for run in found.runs)


def _broken_lines(lines: Iterable[MarkedLine]) -> Iterator[tuple[Mark, str]]:
    """A paragraph's lines as marked pieces of XHTML, a ``br`` between them marked with
    the side(s) it is on: the old side has a break before each line with old text but its
    first, the new side likewise (so ``A`` deleted before a kept ``B`` reads "A̶⏎̶B")."""
    old_before = new_before = False
    for found in lines:
        has_old = any(run.mark is not Mark.INSERTED for run in found.runs)
        has_new = any(run.mark is not Mark.DELETED for run in found.runs)
        on_old, on_new = has_old and old_before, has_new and new_before
        if on_old and on_new:
            yield Mark.KEPT, "<br/>"
        elif on_old or on_new:
            yield Mark.DELETED if on_old else Mark.INSERTED, "<br/>"
        yield from ((run.mark, _run(run)) for run in found.runs)
        old_before, new_before = old_before or has_old, new_before or has_new


def _marked(pieces: Iterable[tuple[Mark, str]]) -> str:
    """Pieces of XHTML, each stretch of inserted or deleted ones in one ``ins`` or ``del``."""
    written = []
    for mark, same in groupby(pieces, key=lambda piece: piece[0]):
        text = "".join(piece[1] for piece in same)
        tag = _MARK_TAG.get(mark)
        written.append(f"<{tag}>{text}</{tag}>" if tag else text)
    return "".join(written)


def _run(run: MarkedRun | Run) -> str:
    text = escape(run.text)
    if run.italic:
        text = f"<em>{text}</em>"
    if run.bold:
        text = f"<strong>{text}</strong>"
    return text


def inline_xhtml(found: Inline) -> str:
    """An inline's runs as XHTML text: bold in ``strong``, italic in ``em``."""
    return "".join(map(_run, found))


# -- from (X)HTML ---------------------------------------------------------------------

MAX_DEPTH = 64
MAX_CHARS = 1_000_000


def from_xhtml(
    markup: str,
    resolve: Resolver | None = None,
    *,
    tags: Tags | None = None,
    max_depth: int = MAX_DEPTH,
    max_chars: int = MAX_CHARS,
) -> Parsed:
    """The blocks of (X)HTML from elsewhere, sanitised (see the module's rules)."""
    reader = Reader(resolve, tags, max_depth=max_depth, max_chars=max_chars)
    reader.feed(markup)
    reader.close()
    return reader.result()


def inline_text(
    markup: str,
    resolve: Resolver | None = None,
    *,
    tags: Tags | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    """(X)HTML read as one line of text (a referenced value inside a paragraph)."""
    parsed = from_xhtml(markup, resolve, tags=tags, max_chars=max_chars)
    return collapse(" ".join(lines_of(parsed.blocks)))


__all__ = [
    "EMPTY_XHTML",
    "MAX_CHARS",
    "MAX_DEPTH",
    "SUBHEADING_TAGS",
    "XHTML_NAMESPACE",
    "Parsed",
    "Resolver",
    "Tags",
    "escape",
    "from_xhtml",
    "inline_text",
    "inline_xhtml",
    "to_xhtml",
    "tracked_xhtml",
]
