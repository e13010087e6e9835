"""A section's text as blocks: what a reader sees, the model every renderer starts from.

A section's text is plain text. Read as blocks:

- Blocks are separated by one or more blank lines (lines holding only whitespace).
  ``\\r\\n`` and ``\\r`` are newlines.
- Inside a block, a single newline is a line break: a :class:`Paragraph` keeps its lines.
- A block whose every line is a list item of one kind is an :class:`ItemList`: lines
  starting ``- `` or ``* `` make a bulleted list; lines starting ``1. ``, ``2. ``, ...
  (numbered in order from 1) a numbered one. A block that mixes items with other lines,
  mixes the two kinds, or numbers out of order stays a paragraph with line breaks, so a
  line such as ``12. March was the first visit`` inside a paragraph never turns it into
  a list.
- Whitespace inside a line collapses to one space and is trimmed at both ends, as a
  browser shows it; control characters that are not whitespace (and the few other
  characters XML cannot hold) are left out.

:func:`plain_text` writes blocks back as text that reads as the same blocks (for the
import of XHTML: ``blocks(plain_text(b)) == b`` for every ``b`` that :func:`blocks`
returns, and for a paragraph unless every one of its lines looks like a list item).

Tables and inline formatting are not content kinds yet (they come with rich co-writing);
``server/formats/xhtml.py`` is the one place that will learn them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Text with line breaks between its lines (never an empty line)."""

    lines: tuple[str, ...]


class ListKind(StrEnum):
    BULLETED = "bulleted"
    NUMBERED = "numbered"


@dataclass(frozen=True, slots=True)
class ItemList:
    """A bulleted or numbered list; each item is one line of text."""

    kind: ListKind
    items: tuple[str, ...]


Block = Paragraph | ItemList

_SPACE = re.compile(r"\s+")
_UNSEEN = re.compile("[\x00-\x08\x0e-\x1b\x7f\ud800-\udfff\ufffe\uffff]")
"""Control characters that are not whitespace, lone surrogates and the two noncharacters
XML cannot hold: nobody sees them (the domain refuses most of them anyway)."""
_BULLET = re.compile(r"[-*] (.*)")
_NUMBERED = re.compile(r"([1-9][0-9]{0,3})\. (.*)")


def collapse(text: str) -> str:
    """How a line reads: whitespace runs as one space, trimmed, unseen characters left out."""
    return _SPACE.sub(" ", _UNSEEN.sub("", text)).strip()


def blocks(text: str) -> tuple[Block, ...]:
    """The blocks of a section's plain text (see the module's rules)."""
    found: list[Block] = []
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = collapse(raw)
        if line:
            lines.append(line)
            continue
        if lines:
            found.append(_block(tuple(lines)))
            lines.clear()
    if lines:
        found.append(_block(tuple(lines)))
    return tuple(found)


def _block(lines: tuple[str, ...]) -> Block:
    return _list_of(lines) or Paragraph(lines)


def _list_of(lines: tuple[str, ...]) -> ItemList | None:
    bullets = [_BULLET.fullmatch(line) for line in lines]
    if all(bullets):
        return ItemList(ListKind.BULLETED, tuple(m[1] for m in bullets if m))
    numbered = [_NUMBERED.fullmatch(line) for line in lines]
    if all(m is not None and int(m[1]) == i for i, m in enumerate(numbered, start=1)):
        return ItemList(ListKind.NUMBERED, tuple(m[2] for m in numbered if m))
    return None


def plain_text(found: Iterable[Block]) -> str:
    """Blocks as a section's plain text: blocks apart by a blank line, items marked."""
    written: list[str] = []
    for block in found:
        match block:
            case Paragraph(lines=lines):
                written.append("\n".join(lines))
            case ItemList(kind=ListKind.BULLETED, items=items):
                written.append("\n".join(f"- {item}" for item in items))
            case ItemList(items=items):
                written.append("\n".join(f"{i}. {item}" for i, item in enumerate(items, 1)))
    return "\n\n".join(written)
