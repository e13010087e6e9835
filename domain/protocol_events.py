"""What happens to a trial's protocol: the events of its stream (one protocol per trial).

Every section keeps a chain of numbered revisions; each revision names the revision it
was based on. Before the first version is published, people revise sections directly
(concurrent revisions merge three ways or conflict). After it, sections change only
when an amendment merges: its changes arrive as section events carrying the
amendment's id, followed by the new version.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.event import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionText:
    """A section's content: number, heading and text."""

    number: str
    heading: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolDrafted(Event):
    """The protocol was started from the M11 outline; every section is at revision 1."""

    trial_id: str
    title: str
    sections: tuple[SectionText, ...]
    drafted_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionRevised(Event):
    """A section got a new revision.

    ``merged_with`` is set when the author started from an older revision: the text is
    the three-way merge of their change with revision ``merged_with``. A revision an
    amendment's merge made names the amendment (``amendment_id``): ``revised_by`` merged
    it, its ``contributors`` are the amendment's authors and its ``reason`` the change's
    rationale.
    """

    trial_id: str
    number: str
    revision: int
    based_on: int
    heading: str
    text: str
    revised_by: str
    merged_with: int | None = None
    amendment_id: str | None = None
    reason: str = ""
    """Why the section changed, as its author recorded it. Every revision decided now
    states one; "" only in events recorded before reasons were asked, which the codec
    reads with this default (no upcaster needed: the field was added with it)."""
    contributors: tuple[str, ...] = ()
    """Whoever wrote the text: for a revision recorded from the section's shared text,
    everyone who wrote in it since its last recorded revision, in the order they first
    did; for a merge, the amendment's authors (the opener first); else empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionAdded(Event):
    """A level-3 or deeper subsection was added (or a removed one came back)."""

    trial_id: str
    number: str
    revision: int
    heading: str
    text: str
    added_by: str
    amendment_id: str | None = None
    reason: str = ""
    """Why it was added: as its author stated it in a draft, or the change's rationale
    when an amendment's merge added it; "" only in events recorded before draft additions
    were asked for a reason (the codec reads them with this default)."""
    contributors: tuple[str, ...] = ()
    """The amendment's authors, when its merge added the section; else empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionRemoved(Event):
    """A level-3 or deeper subsection was removed; its revisions stay in the history."""

    trial_id: str
    number: str
    removed_by: str
    amendment_id: str | None = None
    reason: str = ""
    """Why it was removed: as its author stated it in a draft, or the change's rationale
    when an amendment's merge removed it; "" only in events recorded before draft removals
    were asked for a reason (the codec reads them with this default)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionEditConflicted(Event):
    """A revision based on an older revision changed the same lines as a later one.

    The proposed content and its reason are kept here, so nothing typed is lost, until a
    person resolves the conflict.
    """

    trial_id: str
    conflict_number: int
    number: str
    base_revision: int
    head_revision: int
    heading: str
    text: str
    proposed_by: str
    reason: str = ""
    """Why the proposer changed the section; "" only in events recorded before it was
    kept (the codec reads them with this default)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionConflictResolved(Event):
    """A person settled an edit conflict with the text to keep.

    ``revision`` is the new revision, or the head revision itself when the resolution
    keeps the head's content unchanged.
    """

    trial_id: str
    conflict_number: int
    number: str
    revision: int
    based_on: int
    heading: str
    text: str
    resolved_by: str
    reason: str = ""
    """Why this content was kept; "" only in events recorded before resolutions were
    asked for a reason (the codec reads them with this default)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolVersionPublished(Event):
    """A protocol version took a number, an effective date and a content hash.

    Version 1 is the original protocol; every later version comes from one amendment.
    """

    trial_id: str
    version: int
    effective_date: str
    content_hash: str
    published_by: str
    changed_sections: tuple[str, ...]
    amendment_id: str | None = None


ProtocolEvent = (
    ProtocolDrafted
    | SectionRevised
    | SectionAdded
    | SectionRemoved
    | SectionEditConflicted
    | SectionConflictResolved
    | ProtocolVersionPublished
)
