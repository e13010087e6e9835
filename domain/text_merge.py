"""Three-way merge of section texts, line by line, on the standard library's ``difflib``.

Two people who revise a section from the same base revision both keep their work when
they touched different lines; when they changed the same lines differently, there is no
merge and a person must decide (the protocol records an edit conflict).

The merge is the classic diff3: the base is matched against each side
(``SequenceMatcher.get_matching_blocks``), and the base lines that both sides kept are
the stable regions. Between two stable regions, a stretch changed by one side only takes
that side, one changed identically by both takes it once, and one changed differently by
both is a conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher


def _stable_regions(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> list[tuple[int, int, int, int]]:
    """Runs of base lines both sides kept: (base start, base end, ours start, theirs start).

    Ordered, and ending with an empty run at the end of all three texts.
    """
    ours_blocks = SequenceMatcher(None, base, ours, autojunk=False).get_matching_blocks()
    theirs_blocks = SequenceMatcher(None, base, theirs, autojunk=False).get_matching_blocks()
    regions: list[tuple[int, int, int, int]] = []
    o = t = 0
    while o < len(ours_blocks) and t < len(theirs_blocks):
        o_base, o_side, o_size = ours_blocks[o]
        t_base, t_side, t_size = theirs_blocks[t]
        start = max(o_base, t_base)
        end = min(o_base + o_size, t_base + t_size)
        if start < end:
            regions.append((start, end, o_side + start - o_base, t_side + start - t_base))
        if o_base + o_size < t_base + t_size:
            o += 1
        else:
            t += 1
    regions.append((len(base), len(base), len(ours), len(theirs)))
    return regions


def _merge_lines(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> list[str] | None:
    merged: list[str] = []
    at_base = at_ours = at_theirs = 0
    for start, end, ours_start, theirs_start in _stable_regions(base, ours, theirs):
        base_part = base[at_base:start]
        ours_part = ours[at_ours:ours_start]
        theirs_part = theirs[at_theirs:theirs_start]
        if ours_part == base_part:
            merged.extend(theirs_part)
        elif theirs_part == base_part or ours_part == theirs_part:
            merged.extend(ours_part)
        else:
            return None
        merged.extend(base[start:end])
        at_base = end
        at_ours = ours_start + (end - start)
        at_theirs = theirs_start + (end - start)
    return merged


def merge_three_ways(base: str, ours: str, theirs: str) -> str | None:
    """The text with both sides' changes to ``base``, or None when they conflict.

    Lines are split on ``\\n`` without keeping the separators, so a final line with or
    without a trailing newline is the same line to both sides, and the result joins back
    exactly.
    """
    merged = _merge_lines(base.split("\n"), ours.split("\n"), theirs.split("\n"))
    return None if merged is None else "\n".join(merged)


def merge_values(base: str, ours: str, theirs: str) -> str | None:
    """Merge a one-line value (a heading): whoever changed it wins, unless both did."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    return None
