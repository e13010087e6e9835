"""A section's text as blocks: the section markup, what a reader sees, the one model every
renderer starts from.

A section's text is a string in every event, written in this markup (``docs/formats.md``).
Every plain text written before the markup existed reads as it always did, unless it holds
the marks below (a plain ``**x**`` now reads bold). Read as blocks (:func:`blocks`):

- Blocks are separated by one or more blank lines (lines holding only whitespace).
  ``\\r\\n`` and ``\\r`` are newlines.
- Whitespace inside a line collapses to one space and is trimmed at both ends, as a
  browser shows it; control characters that are not whitespace (and the few other
  characters XML cannot hold) are left out.
- A block of exactly one line starting ``### `` is a :class:`Heading` of level 1,
  ``#### `` of level 2: sub-headings below the section's own M11 heading.
- A block of at least two lines, each starting and ending with ``|`` (not escaped), whose
  second line is a delimiter row (every cell dashes, a colon at either end ignored), is a
  :class:`Table`: the first line is the header row, each line after the delimiter a body
  row. Cells are split on unescaped ``|`` and trimmed. Rows shorter than the widest row
  (the header's included) are padded with empty cells: a cell typed is never lost, and a
  table is always rectangular.
- A block whose every line is a list item of one kind is an :class:`ItemList`: lines
  starting ``- `` or ``* `` make a bulleted list; lines starting ``1. ``, ``2. ``, ...
  (numbered in order from 1) a numbered one. A block that mixes items with other lines,
  mixes the two kinds, or numbers out of order stays a paragraph, so a line such as
  ``12. March was the first visit`` inside a paragraph never turns it into a list.
- Any other block is a :class:`Paragraph`; inside it a single newline is a line break.

Inline marks, inside a paragraph's line, a list item, a heading or a table cell:

- ``**bold**``, ``*italic*``, ``***both***``. A run of stars toggles a mark: one star
  italic, two bold, three both; four or more are text. A run opens a mark when a
  character other than a space follows it and a later run can close that mark; it closes
  the open mark when a character other than a space precedes it. So a star that opens
  nothing that closes stays a literal ``*`` (``2 * 3``, ``p < 0.05*``). A run of three
  that opens or closes only one of its marks leaves the other's stars as text, outside
  the mark. Marks may overlap (``**a *b** c*``): each run of text is bold or not, italic
  or not.
- ``\\`` escapes ``\\``, ``*`` and ``|`` anywhere, and at a paragraph line's start ``#``
  (``\\### not a heading``), ``-`` (``\\- not an item``) and the ``.`` after a run of
  digits (``1\\. not an item``). Any other ``\\`` is itself.

:func:`markup` writes blocks back, escaping only what would otherwise read as a mark, so
``blocks(markup(b)) == b`` for normalised blocks ``b`` (:func:`normal`: what
:func:`blocks` returns is normalised), and ``markup(blocks(t)) == t`` for a text ``t`` in
that canonical form. A normalised inline (:func:`normal_inline`) has no empty runs,
adjacent runs with equal marks merged, whitespace collapsed and trimmed as in a line, and
no mark on a space unless both its neighbours carry it: ``**a **b`` cannot be written, so
that space is not bold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from server.formats.inline_markup import (
    Inline,
    Run,
    collapse,
    inline,
    inline_markup,
    normal_inline,
    plain,
    visible,
)


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Text with line breaks between its lines (never an empty line)."""

    lines: tuple[Inline, ...]


class ListKind(StrEnum):
    BULLETED = "bulleted"
    NUMBERED = "numbered"


@dataclass(frozen=True, slots=True)
class ItemList:
    """A bulleted or numbered list; each item is one line of text."""

    kind: ListKind
    items: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Heading:
    """A sub-heading inside a section: level 1 just below the section's own heading."""

    level: Literal[1, 2]
    text: Inline


@dataclass(frozen=True, slots=True)
class Table:
    """A header row and body rows of one-line cells, all rows as wide as the header."""

    header: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]


Block = Paragraph | ItemList | Heading | Table

_HEADING = re.compile(r"(#{3,4}) (.+)")
_BULLET = re.compile(r"[-*] (.+)")
_NUMBERED = re.compile(r"([1-9][0-9]*)\. (.+)")
_DELIMITER_CELL = re.compile(r":?-+:?")
_CELL_TOKEN = re.compile(r"\\.|\||[^\\|]+|\\")


# -- reading ------------------------------------------------------------------------------


def blocks(text: str) -> tuple[Block, ...]:
    """The blocks of a section's text (see the module's rules)."""
    found: list[Block] = []
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = collapse(raw)
        if line:
            lines.append(line)
            continue
        if lines:
            found.append(_block(lines))
            lines.clear()
    if lines:
        found.append(_block(lines))
    return tuple(found)


def _block(lines: list[str]) -> Block:
    if len(lines) == 1 and (heading := _HEADING.fullmatch(lines[0])):
        return Heading(level=1 if len(heading[1]) == 3 else 2, text=inline(heading[2]))
    return (
        _table_of(lines)
        or _list_of(lines)
        or Paragraph(tuple(inline(line, line_start=True) for line in lines))
    )


def _list_of(lines: list[str]) -> ItemList | None:
    bullets = [_BULLET.fullmatch(line) for line in lines]
    if all(bullets):
        return ItemList(ListKind.BULLETED, tuple(inline(m[1]) for m in bullets if m))
    numbered = [_NUMBERED.fullmatch(line) for line in lines]
    if all(m is not None and m[1] == str(i) for i, m in enumerate(numbered, start=1)):
        return ItemList(ListKind.NUMBERED, tuple(inline(m[2]) for m in numbered if m))
    return None


def _table_of(lines: list[str]) -> Table | None:
    if len(lines) < 2 or not all(_is_row(line) for line in lines):
        return None
    if not all(_DELIMITER_CELL.fullmatch(cell) for cell in _cells(lines[1])):
        return None
    rows = [tuple(inline(cell) for cell in _cells(line)) for line in (lines[0], *lines[2:])]
    return _rectangular(rows[0], rows[1:])


def _is_row(line: str) -> bool:
    """Starts with ``|`` and ends with an unescaped ``|`` (an even run of ``\\`` before it)."""
    if len(line) < 2 or line[0] != "|" or line[-1] != "|":
        return False
    backslashes = len(line) - 1 - len(line[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def _cells(line: str) -> list[str]:
    """A row's cells: its text between the outer bars, split on unescaped ``|``, trimmed
    (escapes kept for :func:`inline`)."""
    cells: list[str] = []
    cell: list[str] = []
    for token in _CELL_TOKEN.findall(line[1:-1]):
        if token == "|":
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(token)
    cells.append("".join(cell).strip())
    return cells


# -- normalising --------------------------------------------------------------------------


def normal(found: Iterable[Block]) -> tuple[Block, ...]:
    """Blocks as :func:`blocks` would read them back once written: inlines normalised,
    empty lines, items and blocks left out, a heading's level 1 or 2, tables rectangular."""
    kept: list[Block] = []
    for block in found:
        match block:
            case Paragraph(lines=lines):
                texts = tuple(line for line in map(normal_inline, lines) if line)
                if texts:
                    kept.append(Paragraph(texts))
            case ItemList(kind=kind, items=items):
                texts = tuple(item for item in map(normal_inline, items) if item)
                if texts:
                    kept.append(ItemList(kind, texts))
            case Heading(level=level, text=text):
                if words := normal_inline(text):
                    kept.append(Heading(level=1 if level <= 1 else 2, text=words))
            case Table(header=header, rows=rows):
                normal_rows = [tuple(map(normal_inline, row)) for row in (header, *rows)]
                if any(normal_rows):
                    kept.append(_rectangular(normal_rows[0], normal_rows[1:]))
    return tuple(kept)


def _rectangular(header: tuple[Inline, ...], rows: list[tuple[Inline, ...]]) -> Table:
    width = max(1, len(header), *(len(row) for row in rows))

    def padded(row: tuple[Inline, ...]) -> tuple[Inline, ...]:
        return row + ((),) * (width - len(row))

    return Table(header=padded(header), rows=tuple(padded(row) for row in rows))


def inlines(block: Block) -> tuple[Inline, ...]:
    """Every inline of a block in reading order: lines, items, the heading, or the header's
    cells then each row's."""
    match block:
        case Paragraph(lines=lines):
            return lines
        case ItemList(items=items):
            return items
        case Heading(text=text):
            return (text,)
        case Table(header=header, rows=rows):
            return header + tuple(cell for row in rows for cell in row)


def retexted(found: Iterable[Block], change: Callable[[str], str]) -> tuple[Block, ...]:
    """The blocks with ``change`` applied to each run's text, normalised again (what is
    left empty is left out)."""

    def each(line: Inline) -> Inline:
        return tuple(Run(change(run.text), bold=run.bold, italic=run.italic) for run in line)

    def changed(block: Block) -> Block:
        match block:
            case Paragraph(lines=lines):
                return Paragraph(tuple(map(each, lines)))
            case ItemList(kind=kind, items=items):
                return ItemList(kind, tuple(map(each, items)))
            case Heading(level=level, text=text):
                return Heading(level=level, text=each(text))
            case Table(header=header, rows=rows):
                return Table(tuple(map(each, header)), tuple(tuple(map(each, r)) for r in rows))

    return normal(map(changed, found))


# -- writing ------------------------------------------------------------------------------


def markup(found: Iterable[Block]) -> str:
    """Blocks as section markup (normalised first, :func:`normal`): blocks apart by a blank
    line, escaped only where the text would otherwise read as a mark or another block."""
    return "\n\n".join(_written(block) for block in normal(found))


def _written(block: Block) -> str:
    match block:
        case Paragraph(lines=lines):
            written = [inline_markup(line) for line in lines]
            if _misread(written):
                written[0] = (
                    re.sub(r"^([0-9]+)\.", r"\1\\.", written[0])
                    if written[0][0] in "0123456789"
                    else "\\" + written[0]
                )
            return "\n".join(written)
        case ItemList(kind=ListKind.BULLETED, items=items):
            return "\n".join(f"- {inline_markup(item)}" for item in items)
        case ItemList(items=items):
            return "\n".join(f"{i}. {inline_markup(item)}" for i, item in enumerate(items, 1))
        case Heading(level=level, text=text):
            return f"{'#' * (level + 2)} {inline_markup(text)}"
        case Table(header=header, rows=rows):
            delimiter = "|" + "|".join(" --- " for _ in header) + "|"
            return "\n".join(
                (_row(header), delimiter, *(_row(row) for row in rows)),
            )


def _misread(lines: list[str]) -> bool:
    """Whether a paragraph's written lines would read as another kind of block."""
    if len(lines) == 1 and _HEADING.fullmatch(lines[0]):
        return True
    return _list_of(lines) is not None or _table_of(lines) is not None


def _row(cells: tuple[Inline, ...]) -> str:
    return "|" + "|".join(f" {inline_markup(c, in_cell=True)} " if c else " " for c in cells) + "|"


def lines_of(found: Iterable[Block]) -> Iterator[str]:
    """The visible text of each inline of the blocks, in reading order."""
    for block in found:
        yield from (visible(line) for line in inlines(block))


__all__ = [
    "Block",
    "Heading",
    "Inline",
    "ItemList",
    "ListKind",
    "Paragraph",
    "Run",
    "Table",
    "blocks",
    "collapse",
    "inline",
    "inlines",
    "lines_of",
    "markup",
    "normal",
    "normal_inline",
    "plain",
    "retexted",
    "visible",
]
