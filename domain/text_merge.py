"""Three-way merge of section texts, line by line, with the ``merge3`` library.

Two people who revise a section from the same base revision both keep their work when
they touched different lines; when they changed the same lines differently, there is no
merge and a person must decide (the protocol records an edit conflict).
"""

from __future__ import annotations

import merge3


def merge_three_ways(base: str, ours: str, theirs: str) -> str | None:
    """The text with both sides' changes to ``base``, or None when they conflict.

    Lines are split on ``\\n`` without keeping the separators, so a final line with or
    without a trailing newline is the same line to both sides, and the result joins back
    exactly.
    """
    merger = merge3.Merge3(base.split("\n"), ours.split("\n"), theirs.split("\n"))
    merged: list[str] = []
    for group in merger.merge_groups():
        if group[0] == "conflict":
            return None
        merged.extend(group[1])
    return "\n".join(merged)


def merge_values(base: str, ours: str, theirs: str) -> str | None:
    """Merge a one-line value (a heading): whoever changed it wins, unless both did."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    return None
