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
from collections.abc import Iterable

from server.formats.content import (
    Block,
    Heading,
    Inline,
    ItemList,
    ListKind,
    Paragraph,
    Table,
    collapse,
    lines_of,
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
    parts = [f'<div xmlns="{XHTML_NAMESPACE}">']
    for block in found:
        match block:
            case Paragraph(lines=lines):
                parts.append("<p>" + "<br/>".join(map(inline_xhtml, lines)) + "</p>")
            case ItemList(kind=kind, items=items):
                tag = "ul" if kind is ListKind.BULLETED else "ol"
                parts.append(f"<{tag}>" + "".join(f"<li>{inline_xhtml(i)}</li>" for i in items))
                parts.append(f"</{tag}>")
            case Heading(level=level, text=text):
                tag = SUBHEADING_TAGS[level]
                parts.append(f"<{tag}>{inline_xhtml(text)}</{tag}>")
            case Table(header=header, rows=rows):
                parts.append("<table><thead>" + _row(header, "th") + "</thead>")
                if rows:
                    parts.append("<tbody>" + "".join(_row(row, "td") for row in rows) + "</tbody>")
                parts.append("</table>")
    parts.append("</div>")
    return "".join(parts)


def _row(cells: tuple[Inline, ...], tag: str) -> str:
    return "<tr>" + "".join(f"<{tag}>{inline_xhtml(cell)}</{tag}>" for cell in cells) + "</tr>"


def inline_xhtml(found: Inline) -> str:
    """An inline's runs as XHTML text: bold in ``strong``, italic in ``em``."""
    parts = []
    for run in found:
        text = escape(run.text)
        if run.italic:
            text = f"<em>{text}</em>"
        if run.bold:
            text = f"<strong>{text}</strong>"
        parts.append(text)
    return "".join(parts)


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
]
