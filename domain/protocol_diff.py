"""What changed between two protocol documents, in the two forms an ethics committee
reviews: tracked changes (word by word, deletions and insertions marked) and clean text.

The same differ marks an amendment's proposed changes against a document it did not
write (:func:`diff_proposal`): its base version, or the protocol as it is now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from domain import m11
from domain.protocol_events import SectionText
from domain.protocol_state import Document, SectionChanges

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


class SectionChange(StrEnum):
    """How a section differs between the two documents."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    """Only from :func:`diff_proposal`: the document already reads as proposed."""


class Mark(StrEnum):
    """One run of a tracked-change view."""

    KEPT = "kept"
    DELETED = "deleted"
    INSERTED = "inserted"


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """Text that was kept, deleted or inserted."""

    mark: Mark
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionDiff:
    """One section that differs: its headings and texts on both sides, and the tracked
    changes from the old text to the new (the heading's, then the text's)."""

    number: str
    change: SectionChange
    old_heading: str | None
    new_heading: str | None
    old_text: str | None
    new_text: str | None
    tracked_heading: tuple[Run, ...]
    tracked_text: tuple[Run, ...]


def tracked_changes(old: str, new: str) -> tuple[Run, ...]:
    """Word-level tracked changes from ``old`` to ``new``: the kept and deleted runs spell
    ``old``, the kept and inserted runs spell ``new``."""
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    runs: list[Run] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(Run(mark=Mark.KEPT, text="".join(before[i1:i2])))
            continue
        if i2 > i1:
            runs.append(Run(mark=Mark.DELETED, text="".join(before[i1:i2])))
        if j2 > j1:
            runs.append(Run(mark=Mark.INSERTED, text="".join(after[j1:j2])))
    return tuple(runs)


def diff_section(number: str, before: SectionText | None, after: SectionText | None) -> SectionDiff:
    """Section ``number`` from ``before`` to ``after`` (None: the document lacks it)."""
    if before == after:
        change = SectionChange.UNCHANGED
    elif before is None:
        change = SectionChange.ADDED
    elif after is None:
        change = SectionChange.REMOVED
    else:
        change = SectionChange.CHANGED
    old_heading, old_text = (before.heading, before.text) if before else (None, None)
    new_heading, new_text = (after.heading, after.text) if after else (None, None)
    return SectionDiff(
        number=number,
        change=change,
        old_heading=old_heading,
        new_heading=new_heading,
        old_text=old_text,
        new_text=new_text,
        tracked_heading=tracked_changes(old_heading or "", new_heading or ""),
        tracked_text=tracked_changes(old_text or "", new_text or ""),
    )


def diff_documents(old: Document, new: Document) -> tuple[SectionDiff, ...]:
    """Every section added, removed or changed from ``old`` to ``new``, in document order."""
    numbers = sorted(old.keys() | new.keys(), key=m11.sort_key)
    return tuple(
        diff_section(number, old.get(number), new.get(number))
        for number in numbers
        if old.get(number) != new.get(number)
    )


def diff_proposal(reference: Document, changes: SectionChanges) -> tuple[SectionDiff, ...]:
    """Each proposed change (new content by number, None removing the section) against
    the section as ``reference`` has it, in document order; a change ``reference``
    already reads as is :attr:`SectionChange.UNCHANGED`, never left out."""
    return tuple(
        diff_section(number, reference.get(number), changes[number])
        for number in sorted(changes, key=m11.sort_key)
    )
