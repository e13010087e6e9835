"""The protocol as the fold of its events, and the outline rules every change obeys.

A *document* is the live sections of the protocol, number -> content, in document
order. :func:`apply_changes` is the one place that knows what the fixed M11 outline
allows; direct edits and amendments both go through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from domain import m11
from domain.content_hash import content_hash
from domain.errors import (
    FixedHeadingChanged,
    FixedSectionAdded,
    FixedSectionRemoved,
    InvalidSectionNumber,
    RevisionNotFound,
    SectionHasSubsections,
    SectionNotFound,
    require_text,
)
from domain.event import fold_events, ignore_unknown
from domain.frozen import frozen_map, with_entry, without_entry
from domain.protocol_events import (
    ProtocolDrafted,
    ProtocolEvent,
    ProtocolVersionPublished,
    SectionAdded,
    SectionConflictResolved,
    SectionEditConflicted,
    SectionRemoved,
    SectionRevised,
    SectionText,
)

Document = Mapping[str, SectionText]
"""Live sections by number, in document order."""

SectionChanges = Mapping[str, SectionText | None]
"""New content by section number; None removes the section."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionRevision:
    """One revision of a section; ``based_on`` names the revision it started from.

    ``author`` recorded it; ``contributors`` wrote it, when others did (the writers of
    a shared text, or the authors of the amendment ``amendment_id`` whose merge made
    it, while ``author`` is who merged)."""

    revision: int
    heading: str
    text: str
    based_on: int | None
    author: str
    amendment_id: str | None = None
    contributors: tuple[str, ...] = ()


KEPT_REVISIONS = 32
"""How many of a section's latest revisions its state keeps (a change based on an older
one is refused: :class:`domain.errors.RevisionNotFound`). Keeping every revision made the
state grow with the log (270,000 revisions: 75 s to fold, hundreds of MB to hold); the
log keeps them all, and the audit replays any of them. 32 revisions of a 10 KB section
hold 320 KB; an edit based on a revision further back than that is rare enough to ask
for a reload."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A section with its latest revisions (at most :data:`KEPT_REVISIONS`), oldest first."""

    number: str
    revisions: tuple[SectionRevision, ...]
    removed: bool = False

    @property
    def head(self) -> SectionRevision:
        """The latest revision."""
        return self.revisions[-1]

    def revision(self, number: int) -> SectionRevision | None:
        """Revision ``number``, if the section still keeps it."""
        revisions = self.revisions
        index = number - revisions[0].revision  # revisions are numbered one after another
        if 0 <= index < len(revisions) and revisions[index].revision == number:
            return revisions[index]
        return next((r for r in revisions if r.revision == number), None)

    def no_revision(self, number: int) -> RevisionNotFound:
        """The refusal of a change based on revision ``number``, which it does not keep."""
        head = self.head.revision
        if self.revisions[0].revision <= number <= head:
            return RevisionNotFound(f"section {self.number} has no revision {number}")
        if 0 < number < head:
            return RevisionNotFound(
                f"revision {number} of section {self.number} is more than {KEPT_REVISIONS}"
                f" revisions old (latest is {head}): reload the section and apply the change"
                " to its latest revision"
            )
        return RevisionNotFound(
            f"section {self.number} has no revision {number} (latest is {head})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedVersion:
    """A published protocol version, with a snapshot of its document."""

    version: int
    effective_date: str
    content_hash: str
    changed_sections: frozenset[str]
    amendment_id: str | None
    document: Document


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolState:
    """The protocol as of some position in its stream."""

    trial_id: str = ""
    title: str = ""
    sections: Mapping[str, Section] = field(default_factory=frozen_map)
    open_conflicts: Mapping[int, SectionEditConflicted] = field(default_factory=frozen_map)
    """Edit conflicts awaiting a resolution, by number; each keeps the proposed content."""
    conflicts_recorded: int = 0
    versions: tuple[PublishedVersion, ...] = ()

    @property
    def exists(self) -> bool:
        return bool(self.trial_id)

    @property
    def current_version(self) -> int:
        """The latest published version number, 0 before the first publication."""
        return self.versions[-1].version if self.versions else 0

    def version(self, number: int) -> PublishedVersion | None:
        """Published version ``number``, if there is one."""
        return next((v for v in self.versions if v.version == number), None)

    def live_section(self, number: str) -> Section | None:
        """Section ``number`` unless it does not exist or was removed."""
        section = self.sections.get(number)
        return None if section is None or section.removed else section

    def document(self) -> Document:
        """The live sections' latest content, in document order."""
        live = (s for s in self.sections.values() if not s.removed)
        return _document(
            SectionText(number=s.number, heading=s.head.heading, text=s.head.text) for s in live
        )

    def changed_since(self, version: int) -> Mapping[str, tuple[str, ...]]:
        """Sections changed by the versions after ``version``, with the amendments that
        changed each (in merge order)."""
        changed: dict[str, tuple[str, ...]] = {}
        for later in self.versions:
            if later.version > version:
                for number in later.changed_sections:
                    changed[number] = (*changed.get(number, ()), later.amendment_id or "")
        return frozen_map(changed)


NEW_PROTOCOL = ProtocolState()
"""The state before the protocol's first event."""


def document_hash(document: Document) -> str:
    """The content hash a protocol version is published with."""
    return content_hash(document)


def _document(sections: Iterable[SectionText]) -> Document:
    return frozen_map(sorted(((s.number, s) for s in sections), key=lambda p: m11.sort_key(p[0])))


def apply_changes(document: Document, changes: SectionChanges) -> Document:
    """``document`` with ``changes`` applied, or the outline rule the changes break.

    A change to a number the document lacks adds that section; None removes it.
    Removals are applied deepest first and additions shallowest first, so a set of
    changes may remove or add a section together with its subsections.
    """
    invalid = sorted(number for number in changes if not m11.is_section_number(number))
    if invalid:
        raise InvalidSectionNumber(f"{invalid} are not M11 section numbers")
    result = dict(document)
    removals = sorted((n for n, c in changes.items() if c is None), key=m11.sort_key, reverse=True)
    for number in removals:
        if number not in result:
            raise SectionNotFound(f"section {number} does not exist")
        if m11.is_fixed(number):
            raise FixedSectionRemoved(f"section {number} is fixed by the M11 outline")
        children = sorted(n for n in result if m11.parent(n) == number)
        if children:
            raise SectionHasSubsections(f"section {number} has subsections {children}")
        del result[number]
    for number in sorted((n for n, c in changes.items() if c is not None), key=m11.sort_key):
        content = changes[number]
        assert content is not None
        if number in result:
            check_rewrite(result[number], content)
        else:
            require_text(content.heading, f"the heading of section {number}")
            _check_addable(result, number)
        result[number] = SectionText(number=number, heading=content.heading, text=content.text)
    return _document(result.values())


def check_rewrite(current: SectionText, content: SectionText) -> None:
    """The outline rules for new content of a section the document has (a heading, and
    the same one if the template fixes it): all that :func:`apply_changes` checks of such
    a change, without building the document."""
    number = current.number
    require_text(content.heading, f"the heading of section {number}")
    if m11.is_fixed(number) and content.heading != current.heading:
        raise FixedHeadingChanged(
            f"the heading of section {number} is fixed by the M11 outline: {current.heading!r}"
        )


def _check_addable(document: Mapping[str, SectionText], number: str) -> None:
    if m11.is_fixed(number):
        raise FixedSectionAdded(f"section {number} would be a new level-1 or level-2 section")
    parent = m11.parent(number)
    if parent not in document:
        raise SectionNotFound(f"section {number} needs its parent section {parent} first")


# -- evolve -----------------------------------------------------------------------------


def evolve(state: ProtocolState, event: ProtocolEvent) -> ProtocolState:
    """The protocol after ``event``; never fails."""
    match event:
        case ProtocolDrafted(trial_id=trial_id, title=title, sections=sections):
            drafted = {
                s.number: Section(
                    number=s.number,
                    revisions=(
                        SectionRevision(
                            revision=1,
                            heading=s.heading,
                            text=s.text,
                            based_on=None,
                            author=event.drafted_by,
                        ),
                    ),
                )
                for s in sections
            }
            return replace(state, trial_id=trial_id, title=title, sections=frozen_map(drafted))
        case SectionRevised() | SectionAdded():
            based_on = event.based_on if isinstance(event, SectionRevised) else None
            author = event.revised_by if isinstance(event, SectionRevised) else event.added_by
            revision = SectionRevision(
                revision=event.revision,
                heading=event.heading,
                text=event.text,
                based_on=based_on,
                author=author,
                amendment_id=event.amendment_id,
                contributors=event.contributors,
            )
            return _with_revision(state, event.number, revision)
        case SectionRemoved(number=number):
            section = state.sections.get(number)
            if section is None:
                return state
            return replace(
                state, sections=with_entry(state.sections, number, replace(section, removed=True))
            )
        case SectionEditConflicted():
            return replace(
                state,
                open_conflicts=with_entry(state.open_conflicts, event.conflict_number, event),
                conflicts_recorded=max(state.conflicts_recorded, event.conflict_number),
            )
        case SectionConflictResolved():
            resolved = replace(
                state, open_conflicts=without_entry(state.open_conflicts, event.conflict_number)
            )
            section = resolved.sections.get(event.number)
            if section is not None and event.revision <= section.head.revision:
                return resolved
            revision = SectionRevision(
                revision=event.revision,
                heading=event.heading,
                text=event.text,
                based_on=event.based_on,
                author=event.resolved_by,
            )
            return _with_revision(resolved, event.number, revision)
        case ProtocolVersionPublished():
            version = PublishedVersion(
                version=event.version,
                effective_date=event.effective_date,
                content_hash=event.content_hash,
                changed_sections=frozenset(event.changed_sections),
                amendment_id=event.amendment_id,
                document=state.document(),
            )
            return replace(state, versions=(*state.versions, version))
        case _:
            return ignore_unknown(state, event)


def _with_revision(state: ProtocolState, number: str, revision: SectionRevision) -> ProtocolState:
    """Append ``revision`` to section ``number`` (creating or reviving the section)."""
    section = state.sections.get(number)
    kept = () if section is None else section.revisions[1 - KEPT_REVISIONS :]
    revisions = (*kept, revision)
    updated = Section(number=number, revisions=revisions)
    return replace(state, sections=with_entry(state.sections, number, updated))


def fold(events: Iterable[ProtocolEvent], state: ProtocolState = NEW_PROTOCOL) -> ProtocolState:
    """The protocol after ``events``, starting from ``state``."""
    return fold_events(evolve, state, events)
