"""Reading (X)HTML from elsewhere into blocks: the parser behind
:func:`server.formats.xhtml.from_xhtml`, whose docstring states what is kept and dropped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

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
    normal,
    normal_inline,
)

Resolver = Callable[[str, str, str], str | None]
"""``(klass, id, attribute) -> text``: what a ``usdm:ref`` stands for, or None."""
Tags = Callable[[str], str | None]
"""``name -> text``: what a ``usdm:tag`` stands for, or None."""

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
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BOLD = frozenset({"b", "strong"})
_ITALIC = frozenset({"i", "em"})
_TABLE_PARTS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th", "colgroup"})


@dataclass(frozen=True, slots=True)
class Parsed:
    """Blocks read from (X)HTML, and what was dropped or changed on the way."""

    blocks: tuple[Block, ...]
    notes: tuple[str, ...]


class Reader(HTMLParser):
    """One (X)HTML text read: feed it, close it, then take its :meth:`result`."""

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
        self._bold = self._italic = 0  # b/strong and i/em elements open
        self._blocks: list[Block] = []
        self._heading_tags: dict[int, int] = {}  # block index -> the h element's level
        self._text: list[Run] = []  # the line, item, heading or cell being read
        self._lines: list[Inline] = []  # the paragraph being read
        self._list: ListKind | None = None
        self._items: list[Inline] = []
        self._heading: int | None = None  # the h element being read
        self._tables = 0  # tables open: the outermost is read, those inside it as text
        self._rows: list[tuple[Inline, ...]] = []
        self._cells: list[Inline] | None = None  # the row being read
        self._in_cell = False
        self._notes: Counter[str] = Counter()

    # where text goes: a table cell, a heading, a list item, or the paragraph's line

    def _take(self) -> Inline:
        line = normal_inline(self._text)
        self._text.clear()
        return line

    def _space(self) -> None:
        self._text.append(Run(" "))

    def _one_line(self) -> bool:
        """Inside a cell or a heading: what would end a line is a space."""
        return self._in_cell or self._heading is not None

    def _end_line(self) -> None:
        if self._one_line():
            self._space()
            return
        if line := self._take():
            (self._items if self._list is not None else self._lines).append(line)

    def _end_paragraph(self) -> None:
        if line := self._take():
            self._lines.append(line)
        if self._lines:
            self._blocks.append(Paragraph(tuple(self._lines)))
            self._lines.clear()

    def _break_block(self) -> None:
        """A block element's edge: a new paragraph, or a space inside an item, heading or cell."""
        if self._list is None and not self._one_line():
            self._end_paragraph()
        else:
            self._space()

    def _end_list(self) -> None:
        if line := self._take():
            self._items.append(line)
        if self._list is not None and self._items:
            self._blocks.append(ItemList(self._list, tuple(self._items)))
        self._items.clear()
        self._list = None

    def _end_heading(self) -> None:
        if self._heading is None:
            return
        if text := self._take():
            self._heading_tags[len(self._blocks)] = self._heading
            self._blocks.append(Heading(level=1, text=text))
        self._heading = None

    def _end_cell(self) -> None:
        if self._in_cell and self._cells is not None:
            self._cells.append(self._take())
        self._in_cell = False

    def _end_row(self) -> None:
        self._end_cell()
        if self._cells:
            self._rows.append(tuple(self._cells))
        self._cells = None

    def _end_table(self) -> None:
        self._end_row()
        self._end_paragraph()  # text in the table but in no cell
        if any(run.text.strip() for row in self._rows for cell in row for run in cell):
            self._blocks.extend(normal([Table(header=self._rows[0], rows=tuple(self._rows[1:]))]))
        self._rows.clear()
        self._tables = 0

    # elements

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
        if tag in ("td", "th") and any(k in ("colspan", "rowspan") and v != "1" for k, v in attrs):
            self._notes["merged table cells read as one cell each"] += 1
        self._open_element(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def _void(self, tag: str) -> None:
        if tag == "br":
            self._end_line()
        elif tag == "hr" and self._list is None and not self._one_line():
            self._end_paragraph()

    def _open_element(self, tag: str) -> None:
        if tag in _BOLD:
            self._bold += 1
        elif tag in _ITALIC:
            self._italic += 1
        elif tag in _TABLE_PARTS:
            self._open_table_part(tag)
        elif tag in _LISTS:
            if self._one_line():
                self._space()
            elif self._list is None:
                self._end_paragraph()
                self._list = ListKind.BULLETED if tag == "ul" else ListKind.NUMBERED
            else:
                self._end_line()
                self._notes["nested list items joined the outer list"] += 1
        elif tag == "li":
            self._end_line()
        elif tag in _HEADINGS and self._heading is None and self._list is None and not self._tables:
            self._end_paragraph()
            self._heading = int(tag[1])
        elif tag in _BLOCK:
            self._break_block()
        elif tag not in _INLINE:
            self._notes[f"unknown element <{tag}> read as text"] += 1
        self._open.append(tag)

    def _open_table_part(self, tag: str) -> None:
        if tag == "table":
            if self._tables:
                self._notes["a table inside a table read as text"] += 1
                self._space()
            else:
                self._end_heading()
                self._end_line()
                self._end_list()
                self._end_paragraph()
            self._tables += 1
        elif self._tables != 1:
            self._space()  # a table inside a table, or a row or cell outside any
        elif tag == "tr":
            self._end_row()
            self._end_paragraph()
            self._cells = []
        elif tag in ("td", "th"):
            self._end_cell()
            self._end_paragraph()
            if self._cells is None:
                self._cells = []
            self._in_cell = True

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
        if tag in _BOLD:
            self._bold -= 1
        elif tag in _ITALIC:
            self._italic -= 1
        elif tag in _TABLE_PARTS:
            self._close_table_part(tag)
        elif tag in _LISTS:
            if self._one_line():
                self._space()
            elif self._list is not None and not self._in(_LISTS):
                self._end_list()
            else:
                self._end_line()
        elif tag == "li":
            self._end_line()
        elif tag in _HEADINGS and self._heading is not None and not self._in(_HEADINGS):
            self._end_heading()
        elif tag in _BLOCK:
            self._break_block()

    def _close_table_part(self, tag: str) -> None:
        if tag == "table":
            if self._tables > 1:
                self._tables -= 1
                self._space()
            elif self._tables == 1:
                self._end_table()
        elif self._tables != 1:
            self._space()
        elif tag == "tr":
            self._end_row()
        elif tag in ("td", "th"):
            self._end_cell()

    def _in(self, names: frozenset[str]) -> bool:
        return any(name in names for name in self._open)

    # text

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
        self._text.append(Run(data, bold=self._bold > 0, italic=self._italic > 0))

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
        self._end_heading()
        if self._tables:
            self._end_table()
        self._end_line()
        self._end_list()
        self._end_paragraph()
        notes = tuple(
            f"{note} ({count}x)" if count > 1 else note for note, count in self._notes.items()
        )
        return Parsed(self._leveled(), notes)

    def _leveled(self) -> tuple[Block, ...]:
        """The headings' levels: h6 is level 2; of h1 to h5, the shallowest used is 1."""
        shallowest = min((n for n in self._heading_tags.values() if n < 6), default=6)
        found = list(self._blocks)
        for index, tag_level in self._heading_tags.items():
            heading = found[index]
            assert isinstance(heading, Heading)
            shallow = tag_level == shallowest and tag_level < 6
            found[index] = Heading(level=1 if shallow else 2, text=heading.text)
        return tuple(found)
