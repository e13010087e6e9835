"""Blocks to XHTML and back: the one place that learns new content kinds.

:func:`to_xhtml` writes a section's blocks as one XHTML ``div`` in the XHTML namespace
(what USDM's ``NarrativeContentItem.text`` holds): ``p`` with ``br`` between lines, ``ul``
and ``ol`` with ``li``. Text is escaped (``&amp;``, ``&lt;``, ``&gt;``, nothing else),
characters XML 1.0 cannot hold are left out, and no attribute but the namespace is written.

:func:`from_xhtml` reads (X)HTML from elsewhere back into blocks with the standard
library's tolerant ``html.parser`` (never a regular expression, never a DTD: no entity
but HTML's own character references is expanded). What it keeps and what it drops:

- ``p``, ``div``, headings and the other block elements become paragraphs, ``br`` a line
  break; ``ul``/``ol`` with ``li`` become lists (a nested list's items join the outer
  list; an item is one line); a table becomes a paragraph with a line per row, its cells
  joined by `` | ``.
- Inline elements (``b``, ``i``, ``span``, ``a``, ``sup``, ...) keep their text and lose
  their formatting; every attribute is dropped.
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
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

from server.formats.content import Block, ItemList, ListKind, Paragraph, collapse

XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
EMPTY_XHTML = f'<div xmlns="{XHTML_NAMESPACE}"></div>'

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
                parts.append("<p>" + "<br/>".join(escape(line) for line in lines) + "</p>")
            case ItemList(kind=kind, items=items):
                tag = "ul" if kind is ListKind.BULLETED else "ol"
                parts.append(f"<{tag}>" + "".join(f"<li>{escape(i)}</li>" for i in items))
                parts.append(f"</{tag}>")
    parts.append("</div>")
    return "".join(parts)


# -- from (X)HTML ---------------------------------------------------------------------

Resolver = Callable[[str, str, str], str | None]
"""``(klass, id, attribute) -> text``: what a ``usdm:ref`` stands for, or None."""
Tags = Callable[[str], str | None]
"""``name -> text``: what a ``usdm:tag`` stands for, or None."""

MAX_DEPTH = 64
MAX_CHARS = 1_000_000

_DROPPED = frozenset(
    {
        "script", "style", "template", "iframe", "object", "embed", "noscript", "svg",
        "math", "head", "title", "canvas", "audio", "video", "form", "select", "textarea",
        "button", "frame", "frameset", "applet", "noembed", "noframes", "xmp",
    }
)  # fmt: skip
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "col", "wbr", "area", "base"})
_BLOCK = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "section",
        "article", "header", "footer", "aside", "nav", "main", "figure", "figcaption",
        "dl", "dt", "dd", "address", "hr", "body", "html", "caption", "details", "summary",
        "fieldset", "legend", "center",
    }
)  # fmt: skip
_INLINE = frozenset(
    {
        "b", "i", "u", "s", "em", "strong", "small", "big", "sup", "sub", "span", "a",
        "code", "kbd", "samp", "var", "abbr", "cite", "q", "mark", "del", "ins", "dfn",
        "time", "font", "label", "bdi", "bdo", "tt", "strike", "data", "nobr", "usdm:ref",
        "usdm:tag",
    }
)  # fmt: skip
_LISTS = frozenset({"ul", "ol"})
_TABLE_PARTS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th", "colgroup"})


@dataclass(frozen=True, slots=True)
class Parsed:
    """Blocks read from (X)HTML, and what was dropped or changed on the way."""

    blocks: tuple[Block, ...]
    notes: tuple[str, ...]


def from_xhtml(
    markup: str,
    resolve: Resolver | None = None,
    *,
    tags: Tags | None = None,
    max_depth: int = MAX_DEPTH,
    max_chars: int = MAX_CHARS,
) -> Parsed:
    """The blocks of (X)HTML from elsewhere, sanitised (see the module's rules)."""
    reader = _Reader(resolve, tags, max_depth=max_depth, max_chars=max_chars)
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
    words: list[str] = []
    for block in parsed.blocks:
        words.extend(block.lines if isinstance(block, Paragraph) else block.items)
    return collapse(" ".join(words))


class _Reader(HTMLParser):
    def __init__(
        self, resolve: Resolver | None, tags: Tags | None, *, max_depth: int, max_chars: int
    ) -> None:
        super().__init__(convert_charrefs=True)
        self._resolve = resolve
        self._tags = tags
        self._max_depth = max_depth
        self._chars_left = max_chars
        self._open: list[str] = []  # elements that count, innermost last
        self._deep = 0  # elements opened beyond max_depth, not counted
        self._dropping = 0  # inside dropped elements (their content goes too)
        self._blocks: list[Block] = []
        self._lines: list[str] = []  # the paragraph being read
        self._text: list[str] = []  # the line, item or cell being read
        self._list: ListKind | None = None
        self._items: list[str] = []
        self._rows: list[str] = []  # the table being read
        self._cells: list[str] = []
        self._notes: Counter[str] = Counter()

    # where text goes: a table cell, a list item, or the paragraph's line

    def _in(self, *names: str) -> bool:
        return any(name in self._open for name in names)

    def _end_line(self) -> None:
        line = collapse("".join(self._text))
        self._text.clear()
        if not line:
            return
        if self._in("td", "th", "tr"):
            self._cells.append(line)
        elif self._list is not None:
            self._items.append(line)
        else:
            self._lines.append(line)

    def _end_paragraph(self) -> None:
        self._end_line()
        if self._lines:
            self._blocks.append(Paragraph(tuple(self._lines)))
            self._lines.clear()

    def _end_row(self) -> None:
        self._end_line()
        if self._cells:
            self._rows.append(" | ".join(self._cells))
            self._cells.clear()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._dropping:
            if tag not in _VOID:
                self._dropping += 1
            return
        if tag in _DROPPED:
            self._notes[f"removed <{tag}> with its content"] += 1
            self._dropping = 1
            return
        if tag == "usdm:ref":
            self._reference(dict(attrs))
        elif tag == "usdm:tag":
            self._tag(dict(attrs).get("name") or "")
        elif tag == "img":
            alt = collapse(dict(attrs).get("alt") or "")
            self._notes["removed an image" + (" (its alt text kept)" if alt else "")] += 1
            if alt:
                self._data(f"[{alt}]")
        if tag in _VOID:
            self._void(tag)
            return
        if len(self._open) >= self._max_depth:
            self._deep += 1
            self._notes[f"elements nested deeper than {self._max_depth} read as text"] += 1
            return
        self._open_element(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def _void(self, tag: str) -> None:
        if tag == "br":
            self._end_line()
        elif tag == "hr" and not self._in("td", "th", "tr") and self._list is None:
            self._end_paragraph()

    def _open_element(self, tag: str) -> None:
        if tag in _LISTS and not self._in("td", "th", "tr"):
            if self._list is None:
                self._end_paragraph()
                self._list = ListKind.BULLETED if tag == "ul" else ListKind.NUMBERED
            else:
                self._end_line()
                self._notes["nested list items joined the outer list"] += 1
        elif tag == "li":
            self._end_line()
        elif tag == "table":
            if self._in("td", "th", "tr"):
                self._notes["a table inside a table read as text"] += 1
            else:
                self._end_paragraph()
                if self._list is not None:
                    self._end_list()
                self._notes["a table flattened to a line per row, cells apart by ' | '"] += 1
        elif tag == "tr":
            self._end_row()
        elif tag in ("td", "th"):
            self._end_line()
        elif tag in _BLOCK:
            self._break_block()
        elif tag not in _INLINE and tag not in _TABLE_PARTS:
            self._notes[f"unknown element <{tag}> read as text"] += 1
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._dropping:
            self._dropping -= 1 if tag not in _VOID else 0
            return
        if tag in _VOID:
            return
        if tag not in self._open:
            if self._deep:
                self._deep -= 1
            return  # a stray end tag: html.parser's input need not be well formed
        if self._deep:
            self._deep -= 1
            return
        while self._open:
            closed = self._open.pop()
            self._close(closed)
            if closed == tag:
                break

    def _close(self, tag: str) -> None:
        if tag in _LISTS and self._list is not None and not self._in("ul", "ol"):
            if not self._in("td", "th", "tr"):
                self._end_list()
        elif tag == "li" or tag in ("td", "th"):
            self._end_line()
        elif tag == "tr":
            self._end_row()
        elif tag == "table" and not self._in("table"):
            self._end_row()
            if self._rows:
                self._blocks.append(Paragraph(tuple(self._rows)))
                self._rows.clear()
        elif tag in _BLOCK:
            self._break_block()
        elif tag in _LISTS:
            self._end_line()

    def _break_block(self) -> None:
        """A block element's edge: a new paragraph, or a space inside an item or cell."""
        if self._list is None and not self._in("tr", "td", "th"):
            self._end_paragraph()
        else:
            self._text.append(" ")

    def _end_list(self) -> None:
        self._end_line()
        if self._list is not None and self._items:
            self._blocks.append(ItemList(self._list, tuple(self._items)))
        self._items.clear()
        self._list = None

    def _reference(self, attrs: dict[str, str | None]) -> None:
        klass, id_, attribute = (attrs.get(k) or "" for k in ("klass", "id", "attribute"))
        text = self._resolve(klass, id_, attribute) if self._resolve else None
        if text is None:
            self._notes[f"unresolved reference to {klass} {id_} ({attribute}) left out"] += 1
        else:
            self._data(text)

    def _tag(self, name: str) -> None:
        text = self._tags(name) if self._tags else None
        if text is None:
            self._notes[f"unresolved tag {name!r} left out"] += 1
        else:
            self._data(text)

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self._data(data)

    def _data(self, data: str) -> None:
        if self._chars_left <= 0:
            return
        if len(data) > self._chars_left:
            self._notes["text beyond the size limit cut"] += 1
            data = data[: self._chars_left]
        self._chars_left -= len(data)
        self._text.append(data)

    def handle_comment(self, data: str) -> None:
        pass  # comments are never content

    def unknown_decl(self, data: str) -> None:
        self._notes["a declaration (CDATA or DTD) left out"] += 1

    def handle_decl(self, decl: str) -> None:
        self._notes["a declaration (CDATA or DTD) left out"] += 1

    def handle_pi(self, data: str) -> None:
        self._notes["a processing instruction left out"] += 1

    def result(self) -> Parsed:
        while self._open:
            self._close(self._open.pop())
        self._end_paragraph()
        if self._list is not None:
            self._end_list()
        if self._rows:
            self._blocks.append(Paragraph(tuple(self._rows)))
            self._rows.clear()
        self._end_paragraph()
        notes = tuple(
            f"{note} ({count}x)" if count > 1 else note for note, count in self._notes.items()
        )
        return Parsed(tuple(self._blocks), notes)
