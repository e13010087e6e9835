"""Placing an imported narrative on the M11 outline: which section each part becomes.

Each ``NarrativeContent`` of the file, read as a :class:`NarrativePart`, is placed
(:func:`place`):

- in a document that follows the M11 template, by section number: a number of the
  outline is that section (unless its title is another outline section's heading and no
  part of the source claims that one by number: a template's numbering drifted), a
  deeper number becomes a subsection under its parent with the source's title;
- otherwise, and for what numbers cannot place, by title (an outline heading, compared
  without regard to case, punctuation or spacing);
- what neither places goes, in document order and headed by its number and title, into
  section 12 (:data:`HOLDING_SECTION`), where a person sees it and moves it; the title
  page and empty sections are left out.

Each part's rule, target and notes say where it went and why, for the import's record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from domain import m11
from domain.imports import PlacementRule
from domain.protocol_events import SectionText
from server.formats.content import Block, Paragraph, markup, plain

HOLDING_SECTION = "12"
"""Where narrative no section matched goes: Appendix: Supporting Details."""
_TITLE_PAGE = "title page"


def normal_title(title: str) -> str:
    """A title as compared: lower case, letters and digits only, single spaces."""
    return " ".join(re.sub(r"[^\w]+", " ", title.casefold()).split())


OUTLINE_BY_TITLE: dict[str, str] = {}
for _section in m11.OUTLINE:
    OUTLINE_BY_TITLE.setdefault(normal_title(_section.heading), _section.number)
OUTLINE_HEADINGS = {s.number: s.heading for s in m11.OUTLINE}


@dataclass(slots=True)
class NarrativePart:
    """One ``NarrativeContent`` of the source, read; where it goes once placed."""

    number: str
    title: str
    found: tuple[Block, ...]
    notes: list[str] = field(default_factory=list)
    rule: PlacementRule = PlacementRule.UNPLACED
    target: str | None = None


def numbered_like_m11(parts: list[NarrativePart]) -> bool:
    """Most numbered parts carry the outline's heading under its number."""
    numbered = [p for p in parts if p.number in OUTLINE_HEADINGS]
    agreeing = [
        p for p in numbered if normal_title(p.title) == normal_title(OUTLINE_HEADINGS[p.number])
    ]
    return len(numbered) >= 5 and 2 * len(agreeing) > len(numbered)


def place(
    parts: list[NarrativePart], follows_m11: bool
) -> tuple[dict[str, str], tuple[SectionText, ...], str | None]:
    """Decide where each part goes (setting its rule and target); answer the outline's
    texts, the subsections and the holding section (if anything went there)."""
    taken: dict[str, NarrativePart] = {}
    for priority in (1, 2, 3):
        for part in parts:
            if part.target is not None:
                continue
            target = _candidate(part, follows_m11, priority)
            if target is None:
                continue
            if target in taken:
                holder = taken[target]
                part.notes.append(
                    f"section {target} already holds the source's {holder.number or holder.title}"
                )
                continue
            taken[target] = part
            part.target = target
            part.rule = PlacementRule.BY_TITLE if priority == 2 else PlacementRule.BY_NUMBER
    for part in parts:
        if normal_title(part.title) == _TITLE_PAGE or part.number == "0":
            part.rule, part.target = PlacementRule.LEFT_OUT, None
            part.notes.append("the title page: its titles and identifiers are the trial's")
        elif (
            not part.found
            and part.target not in OUTLINE_HEADINGS
            and not _has_kept_child(part, parts)
        ):
            part.rule, part.target = PlacementRule.LEFT_OUT, None
            part.notes.append("empty")
    _keep_only_subsections_with_parents(parts)
    texts: dict[str, str] = {}
    subsections: dict[str, SectionText] = {}
    for part in parts:
        if part.target is None:
            continue
        if part.target in OUTLINE_HEADINGS:
            texts[part.target] = markup(part.found)
            heading = OUTLINE_HEADINGS[part.target]
            if part.title and normal_title(part.title) != normal_title(heading):
                part.notes.append(f"the outline's heading {heading!r} kept")
        else:
            subsections[part.target] = SectionText(
                number=part.target,
                heading=part.title or f"Section {part.target}",
                text=markup(part.found),
            )
    unplaced = [p for p in parts if p.rule is PlacementRule.UNPLACED]
    if not unplaced:
        return texts, tuple(subsections.values()), None
    held = [texts[HOLDING_SECTION]] if texts.get(HOLDING_SECTION) else []
    for part in unplaced:
        label = " ".join(x for x in (part.number, part.title) if x) or "untitled"
        held.append(markup((Paragraph((plain(f"[Not placed] {label}"),)), *part.found)))
        part.target = HOLDING_SECTION
    texts[HOLDING_SECTION] = "\n\n".join(held)
    return texts, tuple(subsections.values()), HOLDING_SECTION


def _candidate(part: NarrativePart, follows_m11: bool, priority: int) -> str | None:
    """Where ``part`` would go at this priority: 1, by number where number and title
    agree, or a deeper subsection by its number; 2, by title; 3, by number alone."""
    number = part.number
    by_title = OUTLINE_BY_TITLE.get(normal_title(part.title)) if part.title else None
    in_outline = follows_m11 and number in OUTLINE_HEADINGS
    if priority == 1:
        deeper = (
            follows_m11
            and number not in OUTLINE_HEADINGS
            and m11.is_section_number(number)
            and not m11.is_fixed(number)
        )
        return number if (in_outline and by_title == number) or deeper else None
    if priority == 2:
        return by_title
    return number if in_outline else None


def _keep_only_subsections_with_parents(parts: list[NarrativePart]) -> None:
    """A subsection whose parent the protocol will not have is not placed after all."""
    kept = set(OUTLINE_HEADINGS)
    deeper = [p for p in parts if p.target is not None and p.target not in OUTLINE_HEADINGS]
    for part in sorted(deeper, key=lambda p: m11.sort_key(p.target or "")):
        parent = m11.parent(part.target or "")
        if parent in kept:
            kept.add(part.target or "")
            continue
        part.notes.append(f"its parent section {parent} is not in the protocol")
        part.rule, part.target = PlacementRule.UNPLACED, None


def _has_kept_child(part: NarrativePart, parts: list[NarrativePart]) -> bool:
    """A deeper subsection with text sits under this one (which must then exist)."""
    if part.target is None or part.target in OUTLINE_HEADINGS:
        return False
    prefix = part.target + "."
    return any(p.target and p.target.startswith(prefix) and p.found for p in parts)
