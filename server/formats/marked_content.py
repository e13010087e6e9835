"""A section's blocks with every piece of text marked kept, inserted or deleted: what the
document renderers draw, for a clean copy (everything kept) and a tracked one.

The blocks are :mod:`server.formats.content`'s (paragraphs of lines, bulleted and
numbered lists of one-line items, sub-headings, tables of one-line cells); every piece of
text keeps its bold and italic. A tracked section compares its old and new blocks:

- blocks the same on both sides are kept; blocks only on one side are wholly deleted or
  inserted;
- where blocks differ, a paragraph is paired with a paragraph, a list with a list of the
  same kind, a sub-heading with one of the same level and a table with a table when their
  texts are alike (:data:`SIMILAR`), and they are compared: the same line (or item) is
  kept, a line alike one on the other side is marked word by word, and any other line is
  wholly deleted or inserted; a sub-heading is marked word by word; a table's header cells
  are marked word by word, column by column, and its rows are compared as lines are: the
  same row is kept, a row alike one on the other side has each cell marked word by word,
  and any other row is wholly deleted or inserted (the row itself marked so). A block
  with no like block on the other side (one that changed its kind, say) is wholly deleted
  or inserted.
- Word by word compares words (and the spaces and punctuation between them) with their
  marks: a word made bold is deleted plain and inserted bold.

So the kept and deleted text spells the old blocks and the kept and inserted text the new.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import groupby
from typing import Literal, TypeVar

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
    blocks,
    lines_of,
    normal_inline,
    visible,
)


@dataclass(frozen=True, slots=True)
class MarkedRun:
    """Text kept, deleted or inserted, bold or not, italic or not."""

    text: str
    mark: Mark = Mark.KEPT
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True, slots=True)
class MarkedLine:
    """One line of a paragraph, one list item, a heading or a table cell, as marked runs."""

    runs: tuple[MarkedRun, ...]

    @property
    def text(self) -> str:
        """The line as it reads with every run (kept, deleted and inserted)."""
        return "".join(run.text for run in self.runs)

    @property
    def whole(self) -> Mark:
        """KEPT unless every run is inserted (INSERTED) or every run deleted (DELETED)."""
        marks = {run.mark for run in self.runs}
        return marks.pop() if len(marks) == 1 else Mark.KEPT

    def side(self, mark: Mark) -> str:
        """The line as it reads on one side: ``DELETED`` the old, ``INSERTED`` the new."""
        return "".join(run.text for run in self.runs if run.mark in (Mark.KEPT, mark))

    def side_inline(self, mark: Mark) -> Inline:
        """The line with its marks as it reads on one side."""
        return normal_inline(
            Run(run.text, bold=run.bold, italic=run.italic)
            for run in self.runs
            if run.mark in (Mark.KEPT, mark)
        )


@dataclass(frozen=True, slots=True)
class MarkedParagraph:
    """Marked lines with a line break between them."""

    lines: tuple[MarkedLine, ...]


@dataclass(frozen=True, slots=True)
class MarkedList:
    """A bulleted or numbered list of marked one-line items."""

    kind: ListKind
    items: tuple[MarkedLine, ...]


@dataclass(frozen=True, slots=True)
class MarkedHeading:
    """A sub-heading inside a section (level 1 just below the section's heading)."""

    level: Literal[1, 2]
    text: MarkedLine


@dataclass(frozen=True, slots=True)
class MarkedRow:
    """A table row's cells; ``mark``: INSERTED or DELETED for a row added or removed."""

    cells: tuple[MarkedLine, ...]
    mark: Mark = Mark.KEPT


@dataclass(frozen=True, slots=True)
class MarkedTable:
    """A header row and body rows, all as wide as the header."""

    header: MarkedRow
    rows: tuple[MarkedRow, ...]


MarkedBlock = MarkedParagraph | MarkedList | MarkedHeading | MarkedTable
T = TypeVar("T")


def line(text: str, mark: Mark = Mark.KEPT) -> MarkedLine:
    """Plain ``text`` as one line (a section's heading), all of it marked ``mark``."""
    return MarkedLine((MarkedRun(text, mark),) if text else ())


def marked_line(found: Inline, mark: Mark = Mark.KEPT) -> MarkedLine:
    """An inline as one line, all of it marked ``mark``."""
    return MarkedLine(tuple(MarkedRun(r.text, mark, r.bold, r.italic) for r in found))


def marked(found: Sequence[Block], mark: Mark = Mark.KEPT) -> tuple[MarkedBlock, ...]:
    """Blocks with all their text marked ``mark``."""
    return tuple(_marked_block(block, mark) for block in found)


def _marked_block(block: Block, mark: Mark) -> MarkedBlock:
    match block:
        case Paragraph(lines=lines):
            return MarkedParagraph(tuple(marked_line(text, mark) for text in lines))
        case ItemList(kind=kind, items=items):
            return MarkedList(kind, tuple(marked_line(text, mark) for text in items))
        case Heading(level=level, text=text):
            return MarkedHeading(level, marked_line(text, mark))
        case Table(header=header, rows=rows):
            return MarkedTable(
                header=_marked_row(header, mark),
                rows=tuple(_marked_row(row, mark) for row in rows),
            )


def _marked_row(row: tuple[Inline, ...], mark: Mark, width: int = 0) -> MarkedRow:
    cells = tuple(marked_line(cell, mark) for cell in row)
    return MarkedRow(cells + (MarkedLine(()),) * (width - len(cells)), mark)


def clean_blocks(text: str) -> tuple[MarkedBlock, ...]:
    """A section's text as blocks, everything kept."""
    return marked(blocks(text))


def tracked_line(old: str, new: str) -> MarkedLine:
    """One line of plain text (a section's heading) marked word by word from ``old`` to
    ``new``."""
    return tracked_inline((Run(old),) if old else (), (Run(new),) if new else ())


_WORDS = re.compile(r"\s+|\w+|[^\w\s]")
"""Words, the spaces between them, and each other character: the pieces compared, as
:func:`domain.protocol_diff.tracked_changes` compares plain text."""


def tracked_inline(old: Inline, new: Inline) -> MarkedLine:
    """One line marked word by word from ``old`` to ``new`` (a word's marks count: one
    made bold is deleted and inserted)."""
    before, after = _words(old), _words(new)
    pieces: list[tuple[Mark, bool, bool, str]] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces += ((Mark.KEPT, *word) for word in after[j1:j2])
            continue
        pieces += ((Mark.DELETED, *word) for word in before[i1:i2])
        pieces += ((Mark.INSERTED, *word) for word in after[j1:j2])
    return MarkedLine(
        tuple(
            MarkedRun("".join(piece[3] for piece in same), mark, bold, italic)
            for (mark, bold, italic), same in groupby(pieces, key=lambda piece: piece[:3])
        )
    )


def _words(found: Inline) -> list[tuple[bool, bool, str]]:
    return [(run.bold, run.italic, word) for run in found for word in _WORDS.findall(run.text)]


def tracked_blocks(old_text: str, new_text: str) -> tuple[MarkedBlock, ...]:
    """The blocks of ``new_text`` marked against those of ``old_text`` (module docstring)."""
    old, new = blocks(old_text), blocks(new_text)
    found: list[MarkedBlock] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            found += marked(new[j1:j2])
            continue
        stretch = _paired(old[i1:i2], new[j1:j2], _block_text, _comparable, lone_together=True)
        for before, after in stretch:
            if before is not None and after is not None:
                found.append(_tracked_block(before, after))
            elif before is not None:
                found.append(_marked_block(before, Mark.DELETED))
            elif after is not None:
                found.append(_marked_block(after, Mark.INSERTED))
    return tuple(found)


def _block_text(block: Block) -> str:
    return "\n".join(lines_of((block,)))


def _comparable(before: Block, after: Block) -> bool:
    """A block changes into one of its kind: a list of the same kind, a sub-heading of the
    same level."""
    match before, after:
        case ItemList(kind=old_kind), ItemList(kind=new_kind):
            return old_kind is new_kind
        case Heading(level=old_level), Heading(level=new_level):
            return old_level == new_level
    return type(before) is type(after)


def _tracked_block(before: Block, after: Block) -> MarkedBlock:
    match before, after:
        case Paragraph(lines=old_lines), Paragraph(lines=new_lines):
            return MarkedParagraph(_lines(old_lines, new_lines))
        case ItemList(items=old_items), ItemList(kind=kind, items=items):
            return MarkedList(kind, _lines(old_items, items))
        case Heading(text=old_heading), Heading(level=level, text=heading):
            return MarkedHeading(level, tracked_inline(old_heading, heading))
        case Table(), Table():
            return _tracked_table(before, after)
    raise ValueError("only comparable blocks are tracked together")  # pragma: no cover


def _lines(old: Sequence[Inline], new: Sequence[Inline]) -> tuple[MarkedLine, ...]:
    found: list[MarkedLine] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            found += (marked_line(text) for text in new[j1:j2])
            continue
        for before, after in _paired(old[i1:i2], new[j1:j2], visible, lambda a, b: True):
            if before is not None and after is not None:
                found.append(tracked_inline(before, after))
            elif before is not None:
                found.append(marked_line(before, Mark.DELETED))
            elif after is not None:
                found.append(marked_line(after, Mark.INSERTED))
    return _joined_at_the_start(found)


def _tracked_table(old: Table, new: Table) -> MarkedTable:
    width = max(len(old.header), len(new.header))
    rows: list[MarkedRow] = []
    matcher = SequenceMatcher(None, old.rows, new.rows, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += (_marked_row(row, Mark.KEPT, width) for row in new.rows[j1:j2])
            continue
        stretch = _paired(old.rows[i1:i2], new.rows[j1:j2], _row_text, lambda a, b: True)
        for before, after in stretch:
            if before is not None and after is not None:
                rows.append(_tracked_row(before, after, width))
            elif before is not None:
                rows.append(_marked_row(before, Mark.DELETED, width))
            elif after is not None:
                rows.append(_marked_row(after, Mark.INSERTED, width))
    return MarkedTable(header=_tracked_row(old.header, new.header, width), rows=tuple(rows))


def _tracked_row(old: tuple[Inline, ...], new: tuple[Inline, ...], width: int) -> MarkedRow:
    def cell(row: tuple[Inline, ...], column: int) -> Inline:
        return row[column] if column < len(row) else ()

    return MarkedRow(tuple(tracked_inline(cell(old, c), cell(new, c)) for c in range(width)))


def _row_text(row: tuple[Inline, ...]) -> str:
    return " | ".join(map(visible, row))


def _joined_at_the_start(lines: list[MarkedLine]) -> tuple[MarkedLine, ...]:
    """Lines such that every line break between them is on one side at least: a block
    that starts with lines only on one side (wholly deleted, say) followed by a line only
    on the other has them on one line, since the break between them would be on neither
    (``A`` replaced by an unlike ``C`` reads "A̶C", not "A̶", a break, "C")."""
    found: list[MarkedLine] = []
    for marked_line_ in lines:
        whole = marked_line_.whole
        if (
            found
            and whole is not Mark.KEPT
            and all(f.whole not in (whole, Mark.KEPT) for f in found)
        ):
            found[-1] = MarkedLine(found[-1].runs + marked_line_.runs)
        else:
            found.append(marked_line_)
    return tuple(found)


SIMILAR = 0.5
"""How alike two lines (or blocks, or rows) must be, by :class:`difflib.SequenceMatcher`'s
ratio over their words, to be shown as one changed word by word rather than one deleted and
another inserted."""
_MOST_PAIRS = 2_500
"""Beyond this many candidate pairs a differing stretch is deleted and inserted whole."""


def _paired(
    old: Sequence[T],
    new: Sequence[T],
    text: Callable[[T], str],
    comparable: Callable[[T, T], bool],
    *,
    lone_together: bool = False,
) -> Iterator[tuple[T | None, T | None]]:
    """A differing stretch as pairs in order: the most alike old and new items (at least
    :data:`SIMILAR`) go together, as :class:`difflib.Differ` pairs lines, and what lies
    before and after them is paired the same way; the rest stands alone, old first.
    ``lone_together``: one old and one new item left between pairs go together however
    unlike (a block rewritten: its lines tell what changed).

    Each old and new item is compared once (the ratios are kept for the stretches either
    side of a pair)."""
    alike: dict[tuple[int, int], float] = {}
    if len(old) * len(new) <= _MOST_PAIRS:
        old_words = [text(item).split() for item in old]
        matcher: SequenceMatcher[str] = SequenceMatcher(autojunk=False)
        for j, after in enumerate(new):
            matcher.set_seq2(text(after).split())
            for i, before in enumerate(old):
                if not comparable(before, after):
                    continue
                matcher.set_seq1(old_words[i])
                if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
                    continue
                if (ratio := matcher.ratio()) >= SIMILAR:
                    alike[i, j] = ratio

    def pairs(i1: int, i2: int, j1: int, j2: int) -> Iterator[tuple[T | None, T | None]]:
        if lone_together and i2 - i1 == j2 - j1 == 1 and comparable(old[i1], new[j1]):
            yield old[i1], new[j1]
            return
        inside = [(r, i, j) for (i, j), r in alike.items() if i1 <= i < i2 and j1 <= j < j2]
        if not inside:
            yield from ((before, None) for before in old[i1:i2])
            yield from ((None, after) for after in new[j1:j2])
            return
        # the most alike; of equally alike, the first (as difflib.Differ takes it)
        _, i, j = max(inside, key=lambda found: (found[0], -found[1], -found[2]))
        yield from pairs(i1, i, j1, j)
        yield old[i], new[j]
        yield from pairs(i + 1, i2, j + 1, j2)

    yield from pairs(0, len(old), 0, len(new))
