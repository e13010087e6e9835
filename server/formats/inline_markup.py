"""One line of section markup: its bold and italic marks and its escapes, read and written.

The rules are :mod:`server.formats.content`'s docstring, the one statement of the markup;
``content`` reads and writes blocks with what is here: :func:`inline` reads a line,
:func:`inline_markup` writes one, :func:`normal_inline` says what can be written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Run:
    """Text with one set of marks."""

    text: str
    bold: bool = False
    italic: bool = False


Inline = tuple[Run, ...]
"""A line of text with its marks (normalised: see :func:`normal_inline`)."""


_SPACE = re.compile(r"\s+")
_UNSEEN = re.compile("[\x00-\x08\x0e-\x1b\x7f\ud800-\udfff\ufffe\uffff]")
"""Control characters that are not whitespace, lone surrogates and the two noncharacters
XML cannot hold: nobody sees them (the domain refuses most of them anyway)."""
_LINE_START_ESCAPE = re.compile(r"\\([#-])|([0-9]+)\\(\.)")
_INLINE_TOKEN = re.compile(r"\\[\\*|]|\*+|[^\\*]+|\\")
_ITALIC, _BOLD = 1, 2
_TOGGLES = {1: _ITALIC, 2: _BOLD, 3: _BOLD | _ITALIC}


def collapse(text: str) -> str:
    """How a line reads: whitespace runs as one space, trimmed, unseen characters left out."""
    return _SPACE.sub(" ", _UNSEEN.sub("", text)).strip()


def visible(found: Inline) -> str:
    """The text a reader sees of an inline: its runs' text, without marks."""
    return "".join(run.text for run in found)


def plain(text: str) -> Inline:
    """``text`` as an inline without marks (collapsed as a line is): nothing in it is read
    as a mark."""
    line = collapse(text)
    return (Run(line),) if line else ()


@dataclass(frozen=True, slots=True)
class _Stars:
    count: int
    can_open: bool
    can_close: bool


def inline(text: str, *, line_start: bool = False) -> Inline:
    """One line of markup read as an inline (its marks and escapes, see the module's
    rules); ``line_start``: the line is a paragraph's, where ``\\#``, ``\\-`` and ``1\\.``
    escape at its start."""
    line = collapse(text)
    pieces: list[str | _Stars] = []
    start = 0
    if line_start and (escaped := _LINE_START_ESCAPE.match(line)):
        pieces.append(escaped[1] or escaped[2] + escaped[3])
        start = escaped.end()
    for token in _INLINE_TOKEN.finditer(line, start):
        piece = token[0]
        if piece[0] == "*":
            end = token.end()
            pieces.append(
                _Stars(
                    len(piece),
                    can_open=end < len(line) and line[end] != " ",
                    can_close=token.start() > 0 and line[token.start() - 1] != " ",
                )
            )
        elif piece[0] == "\\" and len(piece) == 2:
            pieces.append(piece[1])
        else:
            pieces.append(piece)
    return _runs_of(pieces)


def _runs_of(pieces: list[str | _Stars]) -> Inline:
    """Text and star runs as runs: each mark's runs matched on their own (linear)."""
    opened: dict[int, int] = {}
    closed: dict[int, int] = {}
    for mark in (_BOLD, _ITALIC):
        events = [
            index
            for index, piece in enumerate(pieces)
            if isinstance(piece, _Stars) and _TOGGLES.get(piece.count, 0) & mark
        ]
        last_closer = max(
            (i for i in events if isinstance(p := pieces[i], _Stars) and p.can_close), default=-1
        )
        on = False
        for index in events:
            stars = pieces[index]
            assert isinstance(stars, _Stars)
            if not on and stars.can_open and index < last_closer:
                on = True
                opened[index] = opened.get(index, 0) | mark
            elif on and stars.can_close:
                on = False
                closed[index] = closed.get(index, 0) | mark
    runs: list[tuple[list[str], int]] = []
    marks = 0

    def text(value: str) -> None:
        if runs and runs[-1][1] == marks:
            runs[-1][0].append(value)
        else:
            runs.append(([value], marks))

    for index, piece in enumerate(pieces):
        if isinstance(piece, str):
            text(piece)
            continue
        toggled = opened.get(index, 0) | closed.get(index, 0)
        used = (2 if toggled & _BOLD else 0) + (1 if toggled & _ITALIC else 0)
        left = "*" * (piece.count - used)
        if left and index in opened:
            text(left)
        marks ^= toggled
        if left and index not in opened:
            text(left)
    return tuple(
        Run(t, bold=bool(m & _BOLD), italic=bool(m & _ITALIC))
        for parts, m in runs
        if (t := "".join(parts))
    )


def normal_inline(runs: Iterable[Run]) -> Inline:
    """Runs as a normalised inline (module docstring): what :func:`markup` can write."""
    tokens: list[tuple[str, int]] = []  # words and single spaces with their marks
    for run in runs:
        marks = (_BOLD if run.bold else 0) | (_ITALIC if run.italic else 0)
        for word in re.split(r"( )", _SPACE.sub(" ", _UNSEEN.sub("", run.text))):
            if not word:
                continue
            if word == " " and tokens and tokens[-1][0] == " ":
                tokens[-1] = (" ", tokens[-1][1] & marks)
            else:
                tokens.append((word, marks))
    while tokens and tokens[0][0] == " ":
        tokens.pop(0)
    while tokens and tokens[-1][0] == " ":
        tokens.pop()
    merged: list[tuple[list[str], int]] = []
    for index, (word, marks) in enumerate(tokens):
        if word == " ":
            marks &= tokens[index - 1][1] & tokens[index + 1][1]
        if merged and merged[-1][1] == marks:
            merged[-1][0].append(word)
        else:
            merged.append(([word], marks))
    return tuple(
        Run("".join(words), bold=bool(m & _BOLD), italic=bool(m & _ITALIC)) for words, m in merged
    )


_ESCAPED_BEFORE = frozenset("\\*|#-.")
"""A ``\\`` written before one of these (or before stars) is escaped: it could read as an
escape there."""
_STARS_HERE = "\0"
"""Stands for stars beside a run's text (a normalised inline never holds ``\\0``)."""
_SPECIAL = re.compile(r"[*\\]")
_SPECIAL_IN_CELL = re.compile(r"[*\\|]")


def inline_markup(found: Inline, *, in_cell: bool = False) -> str:
    """A normalised inline as markup: the stars each change of marks needs, the text
    escaped where it would otherwise read as a mark (``|`` too in a table cell)."""
    written: list[str] = []
    marks = 0
    last = len(found) - 1
    for index, run in enumerate(found):
        now = (_BOLD if run.bold else 0) | (_ITALIC if run.italic else 0)
        if toggled := marks ^ now:
            written.append(_STARS[toggled])
        marks = now
        # adjacent runs of a normalised inline differ in marks: stars stand between them
        before = _STARS_HERE if toggled else ""
        after = _STARS_HERE if index < last or now else ""
        written.append(_escaped(run.text, run.italic, before, after, in_cell))
    if marks:
        written.append(_STARS[marks])
    return "".join(written)


def _escaped(text: str, italic: bool, before: str, after: str, in_cell: bool) -> str:
    """A run's text, escaped; ``before`` and ``after``: what is written either side of it
    (stars, or nothing)."""

    def escape(special: re.Match[str]) -> str:
        at, char = special.start(), special[0]
        previous = text[at - 1] if at else before
        following = text[at + 1] if at + 1 < len(text) else after
        if char == "*":
            # a lone star that can neither open nor close a mark it is not inside
            lone_after = following in ("", " ")
            lone_before = previous in ("", " ") or (previous != _STARS_HERE and not italic)
            return "*" if lone_after and lone_before else "\\*"
        if char == "\\":
            escape_it = following == _STARS_HERE or (following and following in _ESCAPED_BEFORE)
            return "\\\\" if escape_it else "\\"
        return "\\|"

    return (_SPECIAL_IN_CELL if in_cell else _SPECIAL).sub(escape, text)


_STARS = {_ITALIC: "*", _BOLD: "**", _BOLD | _ITALIC: "***"}
