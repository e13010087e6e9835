"""A section's blocks with every piece of text marked kept, inserted or deleted: what the
document renderers draw, for a clean copy (everything kept) and a tracked one.

The blocks are :mod:`server.formats.content`'s (paragraphs of lines, bulleted and
numbered lists of one-line items); a tracked section compares its old and new blocks:

- blocks the same on both sides are kept; blocks only on one side are wholly deleted or
  inserted;
- where blocks differ, a paragraph is paired with a paragraph and a list with a list of
  the same kind when their texts are alike (:data:`SIMILAR`), and their lines (or items)
  are compared: the same line is kept, a line alike one on the other side is marked word
  by word (:func:`domain.protocol_diff.tracked_changes`), and any other line is wholly
  deleted or inserted; a block with no like block on the other side (one that changed its
  kind, say) is wholly deleted or inserted.

So the kept and deleted text spells the old blocks and the kept and inserted text the new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TypeVar

from domain.protocol_diff import Mark, Run, tracked_changes
from server.formats.content import Block, ItemList, ListKind, Paragraph, blocks


@dataclass(frozen=True, slots=True)
class MarkedLine:
    """One line of a paragraph, one list item or a heading, as marked runs."""

    runs: tuple[Run, ...]

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


@dataclass(frozen=True, slots=True)
class MarkedParagraph:
    """Marked lines with a line break between them."""

    lines: tuple[MarkedLine, ...]


@dataclass(frozen=True, slots=True)
class MarkedList:
    """A bulleted or numbered list of marked one-line items."""

    kind: ListKind
    items: tuple[MarkedLine, ...]


MarkedBlock = MarkedParagraph | MarkedList
T = TypeVar("T")


def line(text: str, mark: Mark = Mark.KEPT) -> MarkedLine:
    """``text`` as one line, all of it marked ``mark``."""
    return MarkedLine((Run(mark=mark, text=text),) if text else ())


def marked(found: Sequence[Block], mark: Mark = Mark.KEPT) -> tuple[MarkedBlock, ...]:
    """Blocks with all their text marked ``mark``."""
    return tuple(_marked_block(block, mark) for block in found)


def _marked_block(block: Block, mark: Mark) -> MarkedBlock:
    match block:
        case Paragraph(lines=lines):
            return MarkedParagraph(tuple(line(text, mark) for text in lines))
        case ItemList(kind=kind, items=items):
            return MarkedList(kind, tuple(line(text, mark) for text in items))


def clean_blocks(text: str) -> tuple[MarkedBlock, ...]:
    """A section's text as blocks, everything kept."""
    return marked(blocks(text))


def tracked_line(old: str, new: str) -> MarkedLine:
    """One line (a heading, say) marked word by word from ``old`` to ``new``."""
    return MarkedLine(tracked_changes(old, new))


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
    return "\n".join(block.lines if isinstance(block, Paragraph) else block.items)


def _comparable(before: Block, after: Block) -> bool:
    """A paragraph changes into a paragraph, a list into a list of the same kind."""
    if isinstance(before, Paragraph) or isinstance(after, Paragraph):
        return isinstance(before, Paragraph) and isinstance(after, Paragraph)
    return before.kind is after.kind


def _tracked_block(before: Block, after: Block) -> MarkedBlock:
    match before, after:
        case Paragraph(lines=old_lines), Paragraph(lines=new_lines):
            return MarkedParagraph(_lines(old_lines, new_lines))
        case ItemList(items=old_items), ItemList(kind=kind, items=items):
            return MarkedList(kind, _lines(old_items, items))
    raise ValueError("only comparable blocks are tracked together")  # pragma: no cover


def _lines(old: Sequence[str], new: Sequence[str]) -> tuple[MarkedLine, ...]:
    found: list[MarkedLine] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            found += (line(text) for text in new[j1:j2])
            continue
        for before, after in _paired(old[i1:i2], new[j1:j2], str, lambda a, b: True):
            if before is not None and after is not None:
                found.append(tracked_line(before, after))
            elif before is not None:
                found.append(line(before, Mark.DELETED))
            elif after is not None:
                found.append(line(after, Mark.INSERTED))
    return _joined_at_the_start(found)


def _joined_at_the_start(lines: list[MarkedLine]) -> tuple[MarkedLine, ...]:
    """Lines such that every line break between them is on one side at least: a block
    that starts with lines only on one side (wholly deleted, say) followed by a line only
    on the other has them on one line, since the break between them would be on neither
    (``A`` replaced by an unlike ``C`` reads "A̶C", not "A̶", a break, "C")."""
    found: list[MarkedLine] = []
    for marked_line in lines:
        whole = marked_line.whole
        if (
            found
            and whole is not Mark.KEPT
            and all(f.whole not in (whole, Mark.KEPT) for f in found)
        ):
            found[-1] = MarkedLine(found[-1].runs + marked_line.runs)
        else:
            found.append(marked_line)
    return tuple(found)


SIMILAR = 0.5
"""How alike two lines (or blocks) must be, by :class:`difflib.SequenceMatcher`'s ratio over
their words, to be shown as one changed word by word rather than one deleted and another
inserted."""
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
