"""Engagement: comment threads on sections and amendments, and what became of feedback.

One thread (one stream) per subject. A comment posted by a patient advocate needs a
disposition: adopted, partly adopted or declined, always with a reason, so the
advocate sees what became of it. An amendment does not merge while advocate comments on
it await one (``awaiting_disposition`` feeds ``AmendmentContext``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import assert_never

from domain import m11
from domain.errors import (
    AlreadyDispositioned,
    CommentAlreadyPosted,
    CommentNotFound,
    InvalidCommand,
    InvalidSectionNumber,
    ProposedChangeNotFound,
    SeparationOfDuties,
    require_text,
)
from domain.event import Command, Event, fold_events, ignore_unknown
from domain.frozen import frozen_map, with_entry
from domain.roles import Role


class CommentSubjectKind(StrEnum):
    """What a comment thread is about."""

    SECTION = "section"
    AMENDMENT = "amendment"


class Disposition(StrEnum):
    """What became of a comment."""

    ADOPTED = "adopted"
    PARTLY_ADOPTED = "partly_adopted"
    DECLINED = "declined"


# -- events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentPosted(Event):
    """A comment; ``needs_disposition`` when its author was a patient advocate."""

    trial_id: str
    subject_kind: CommentSubjectKind
    subject_id: str
    comment_id: str
    text: str
    author_id: str
    needs_disposition: bool
    in_reply_to: str | None = None
    section: str | None = None
    """On an amendment's thread, the section of its change the comment is about (None:
    the whole amendment; comments logged before anchors read so)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackDispositioned(Event):
    """What became of a comment; ``author_id`` is who must be told."""

    subject_kind: CommentSubjectKind
    subject_id: str
    comment_id: str
    disposition: Disposition
    reason: str
    dispositioned_by: str
    author_id: str


EngagementEvent = CommentPosted | FeedbackDispositioned

# -- commands ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PostComment(Command):
    """Comment on a section or an amendment, possibly in reply to another comment."""

    trial_id: str
    subject_kind: CommentSubjectKind
    subject_id: str
    """The section number or amendment id the comment is about."""
    comment_id: str
    text: str
    in_reply_to: str | None = None
    section: str | None = None
    """Anchors a comment on an amendment to the section of its change it is about."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DispositionFeedback(Command):
    """Say what became of a comment, with a reason; not for one's own comments."""

    comment_id: str
    disposition: Disposition
    reason: str


EngagementCommand = PostComment | DispositionFeedback

# -- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Comment:
    """A comment and, once given, its disposition."""

    comment_id: str
    text: str
    author_id: str
    needs_disposition: bool
    in_reply_to: str | None = None
    section: str | None = None
    disposition: Disposition | None = None
    disposition_reason: str | None = None
    dispositioned_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentThread:
    """The comments on one subject, in the order they were posted."""

    trial_id: str = ""
    subject_kind: CommentSubjectKind | None = None
    subject_id: str = ""
    comments: Mapping[str, Comment] = field(default_factory=frozen_map)

    @property
    def exists(self) -> bool:
        return bool(self.comments)

    def awaiting_disposition(self) -> frozenset[str]:
        """Ids of the comments that need a disposition and have none yet."""
        return frozenset(
            c.comment_id
            for c in self.comments.values()
            if c.needs_disposition and c.disposition is None
        )


NEW_THREAD = CommentThread()

# -- decide -----------------------------------------------------------------------------


def decide(
    state: CommentThread, command: EngagementCommand, anchors: frozenset[str] = frozenset()
) -> list[EngagementEvent]:
    """The events ``command`` causes, or a DomainError naming the rule it breaks.

    ``anchors`` are the sections a comment may be anchored to: on an amendment's thread,
    the sections the amendment changes (the server looks them up for an anchored
    comment)."""
    actor = command.actor
    match command:
        case PostComment():
            _check_subject(state, command)
            _check_anchor(command, anchors)
            require_text(command.comment_id, "a comment id")
            require_text(command.text, "the comment's text")
            if command.comment_id in state.comments:
                raise CommentAlreadyPosted(f"comment {command.comment_id} already exists")
            if command.in_reply_to is not None:
                _comment(state, command.in_reply_to)
            posted = CommentPosted(
                trial_id=command.trial_id,
                subject_kind=command.subject_kind,
                subject_id=command.subject_id,
                comment_id=command.comment_id,
                text=command.text,
                author_id=actor.user_id,
                needs_disposition=Role.PATIENT_ADVOCATE in actor.roles,
                in_reply_to=command.in_reply_to,
                section=command.section,
            )
            return [posted]
        case DispositionFeedback(comment_id=comment_id, disposition=disposition, reason=reason):
            comment = _comment(state, comment_id)
            if comment.disposition is not None:
                raise AlreadyDispositioned(
                    f"comment {comment_id} was {comment.disposition.value} by"
                    f" {comment.dispositioned_by}"
                )
            if comment.author_id == actor.user_id:
                raise SeparationOfDuties(f"{actor.user_id} cannot disposition their own comment")
            require_text(reason, f"a reason for the disposition {disposition.value}")
            assert state.subject_kind is not None
            dispositioned = FeedbackDispositioned(
                subject_kind=state.subject_kind,
                subject_id=state.subject_id,
                comment_id=comment_id,
                disposition=disposition,
                reason=reason,
                dispositioned_by=actor.user_id,
                author_id=comment.author_id,
            )
            return [dispositioned]
        case _:
            assert_never(command)


def _check_subject(state: CommentThread, command: PostComment) -> None:
    """A thread is about one subject, set by its first comment."""
    if state.exists and (state.subject_kind, state.subject_id) != (
        command.subject_kind,
        command.subject_id,
    ):
        raise InvalidCommand(
            f"this thread is about {state.subject_kind} {state.subject_id},"
            f" not {command.subject_kind.value} {command.subject_id}"
        )
    is_section = command.subject_kind is CommentSubjectKind.SECTION
    if is_section and not m11.is_section_number(command.subject_id):
        raise InvalidSectionNumber(f"{command.subject_id!r} is not an M11 section number")


def _check_anchor(command: PostComment, anchors: frozenset[str]) -> None:
    """An anchor names a section the amendment changes; a section's thread has none (its
    comments are all about that section)."""
    section = command.section
    if section is None:
        return
    if command.subject_kind is not CommentSubjectKind.AMENDMENT:
        raise InvalidCommand(
            f"comments on section {command.subject_id} are about it already;"
            " only a comment on an amendment names a section of its change"
        )
    if not m11.is_section_number(section):
        raise InvalidSectionNumber(f"{section!r} is not an M11 section number")
    if section not in anchors:
        raise ProposedChangeNotFound(
            f"amendment {command.subject_id} proposes no change to section {section}"
        )


def _comment(state: CommentThread, comment_id: str) -> Comment:
    comment = state.comments.get(comment_id)
    if comment is None:
        raise CommentNotFound(f"there is no comment {comment_id} in this thread")
    return comment


# -- evolve -----------------------------------------------------------------------------


def evolve(state: CommentThread, event: EngagementEvent) -> CommentThread:
    """The thread after ``event``; never fails."""
    match event:
        case CommentPosted():
            comment = Comment(
                comment_id=event.comment_id,
                text=event.text,
                author_id=event.author_id,
                needs_disposition=event.needs_disposition,
                in_reply_to=event.in_reply_to,
                section=event.section,
            )
            return replace(
                state,
                trial_id=event.trial_id,
                subject_kind=event.subject_kind,
                subject_id=event.subject_id,
                comments=with_entry(state.comments, event.comment_id, comment),
            )
        case FeedbackDispositioned(comment_id=comment_id):
            commented = state.comments.get(comment_id)
            if commented is None:
                return state
            dispositioned = replace(
                commented,
                disposition=event.disposition,
                disposition_reason=event.reason,
                dispositioned_by=event.dispositioned_by,
            )
            return replace(state, comments=with_entry(state.comments, comment_id, dispositioned))
        case _:
            return ignore_unknown(state, event)


def fold(events: Iterable[EngagementEvent], state: CommentThread = NEW_THREAD) -> CommentThread:
    """The thread after ``events``, starting from ``state``."""
    return fold_events(evolve, state, events)
