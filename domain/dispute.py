"""Disputes: concerns about an amendment, a section or a decision, settled by the ladder.

A dispute (one stream each) starts at the first level of the charter's escalation
ladder, copied when it is raised so that later charter amendments do not change who
settles it. It climbs one level at a time and is resolved, with a rationale, by someone
holding a role the charter allows at the current level who did not raise it and whose
work the subject is not (``DisputeContext.subject``: an amendment's authors, the author of
a section's text, a motion's mover; the charter may exclude more, never fewer). The
subject must exist when the dispute is raised. While a dispute about an amendment is
open, nobody signs or merges that amendment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import assert_never

from domain import m11
from domain.actor import Actor
from domain.charter import Charter, EscalationLevel
from domain.errors import (
    ConflictOfInterest,
    DisputeAlreadyRaised,
    DisputeClosed,
    DisputeNotFound,
    EscalationLadderExhausted,
    InvalidSectionNumber,
    NotEntitledToResolve,
    SeparationOfDuties,
    require_text,
)
from domain.event import Command, Event, fold_events, ignore_unknown
from domain.roles import Role
from domain.subjects import RecordKind, SubjectRecord, require_existing


class DisputeSubjectKind(StrEnum):
    """What a dispute is about."""

    AMENDMENT = "amendment"
    SECTION = "section"
    DECISION = "decision"


# -- events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeRaised(Event):
    """A concern was raised; the charter's ladder at that moment will settle it."""

    dispute_id: str
    trial_id: str
    subject_kind: DisputeSubjectKind
    subject_id: str
    """The amendment id, section number or motion id."""
    concern: str
    raised_by: str
    ladder: tuple[EscalationLevel, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeEscalated(Event):
    """The dispute moved one level up the ladder."""

    dispute_id: str
    from_level: int
    to_level: int
    level_name: str
    reason: str
    escalated_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeResolved(Event):
    """Someone entitled at the current level settled the dispute."""

    dispute_id: str
    level: int
    level_name: str
    resolution: str
    rationale: str
    resolved_by: str
    resolver_roles: frozenset[Role]


DisputeEvent = DisputeRaised | DisputeEscalated | DisputeResolved

# -- commands ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RaiseDispute(Command):
    """Raise a concern about an amendment, a section or a decision."""

    dispute_id: str
    trial_id: str
    subject_kind: DisputeSubjectKind
    subject_id: str
    concern: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalateDispute(Command):
    """Take the dispute one level up the ladder, saying why."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveDispute(Command):
    """Settle the dispute at its current level, with a rationale."""

    resolution: str
    rationale: str


DisputeCommand = RaiseDispute | EscalateDispute | ResolveDispute

# -- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeState:
    """A dispute as of some position in its stream."""

    dispute_id: str = ""
    trial_id: str = ""
    subject_kind: DisputeSubjectKind | None = None
    subject_id: str = ""
    concern: str = ""
    raised_by: str = ""
    ladder: tuple[EscalationLevel, ...] = ()
    level: int = 0
    """Index of the current rung of ``ladder``."""
    resolution: str | None = None
    rationale: str | None = None
    resolved_by: str | None = None

    @property
    def exists(self) -> bool:
        return bool(self.dispute_id)

    @property
    def is_open(self) -> bool:
        return self.exists and self.resolved_by is None

    def is_about(self, kind: DisputeSubjectKind, subject_id: str) -> bool:
        return self.subject_kind is kind and self.subject_id == subject_id


NEW_DISPUTE = DisputeState()


SUBJECT_RECORD_KINDS: dict[DisputeSubjectKind, RecordKind] = {
    DisputeSubjectKind.AMENDMENT: RecordKind.AMENDMENT,
    DisputeSubjectKind.SECTION: RecordKind.SECTION,
    DisputeSubjectKind.DECISION: RecordKind.MOTION,
}
"""The kind of record (``SubjectRecord.kind``) each kind of dispute is about."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeContext:
    """What a dispute's decisions need from elsewhere in the trial.

    ``charter`` is the workspace's current charter (its ladder is copied on raising, its
    conflict-of-interest rule applies when resolving). ``subject`` is the record the
    dispute is about (the command's subject when raising, the state's afterwards), as the
    trial holds it now."""

    charter: Charter
    subject: SubjectRecord


# -- decide -----------------------------------------------------------------------------


def decide(
    state: DisputeState, command: DisputeCommand, context: DisputeContext
) -> list[DisputeEvent]:
    """The events ``command`` causes, or a DomainError naming the rule it breaks."""
    if isinstance(command, RaiseDispute):
        return _raise(state, command, context)
    if not state.exists:
        raise DisputeNotFound("the dispute does not exist")
    if not state.is_open:
        raise DisputeClosed(f"dispute {state.dispute_id} was resolved by {state.resolved_by}")
    actor = command.actor
    match command:
        case EscalateDispute(reason=reason):
            require_text(reason, "a reason for escalating")
            if state.level + 1 >= len(state.ladder):
                raise EscalationLadderExhausted(
                    f"dispute {state.dispute_id} is at the top level, {state.ladder[-1].name}"
                )
            escalated = DisputeEscalated(
                dispute_id=state.dispute_id,
                from_level=state.level,
                to_level=state.level + 1,
                level_name=state.ladder[state.level + 1].name,
                reason=reason,
                escalated_by=actor.user_id,
            )
            return [escalated]
        case ResolveDispute(resolution=resolution, rationale=rationale):
            require_text(resolution, "the resolution")
            require_text(rationale, "a rationale for the resolution")
            if actor.user_id == state.raised_by:
                raise SeparationOfDuties(f"{actor.user_id} raised dispute {state.dispute_id}")
            _require_no_conflict_of_interest(state, actor, context)
            level = state.ladder[state.level]
            if not actor.holds_any(level.resolver_roles):
                allowed = sorted(role.value for role in level.resolver_roles)
                raise NotEntitledToResolve(
                    f"at the {level.name} level, only {' or '.join(allowed)} may resolve"
                )
            resolved = DisputeResolved(
                dispute_id=state.dispute_id,
                level=state.level,
                level_name=level.name,
                resolution=resolution,
                rationale=rationale,
                resolved_by=actor.user_id,
                resolver_roles=actor.roles & level.resolver_roles,
            )
            return [resolved]
        case _:
            assert_never(command)


def _require_no_conflict_of_interest(
    state: DisputeState, actor: Actor, context: DisputeContext
) -> None:
    """Nobody resolves a dispute about their own work; under the charter's wider rule,
    nor does anyone from the same organization as its authors."""
    subject = context.subject
    if actor.user_id in subject.authors:
        raise ConflictOfInterest(
            f"{actor.user_id} is an author of {subject}, which dispute {state.dispute_id} is about"
        )
    widened = context.charter.conflicts_of_interest
    if widened.same_organization and actor.organization_id in subject.organizations:
        raise ConflictOfInterest(
            f"{actor.user_id} belongs to {actor.organization_id}, as an author of {subject}"
            f" (which dispute {state.dispute_id} is about) does; the charter excludes the"
            " authors' organizations"
        )


def _raise(
    state: DisputeState, command: RaiseDispute, context: DisputeContext
) -> list[DisputeEvent]:
    if state.exists:
        raise DisputeAlreadyRaised(f"dispute {state.dispute_id} already exists")
    require_text(command.dispute_id, "a dispute id")
    require_text(command.subject_id, "the subject of the dispute")
    require_text(command.concern, "the concern")
    is_section = command.subject_kind is DisputeSubjectKind.SECTION
    if is_section and not m11.is_section_number(command.subject_id):
        raise InvalidSectionNumber(f"{command.subject_id!r} is not an M11 section number")
    require_existing(context.subject, f"dispute {command.dispute_id}")
    raised = DisputeRaised(
        dispute_id=command.dispute_id,
        trial_id=command.trial_id,
        subject_kind=command.subject_kind,
        subject_id=command.subject_id,
        concern=command.concern,
        raised_by=command.actor.user_id,
        ladder=context.charter.escalation_ladder,
    )
    return [raised]


# -- evolve -----------------------------------------------------------------------------


def evolve(state: DisputeState, event: DisputeEvent) -> DisputeState:
    """The dispute after ``event``; never fails."""
    match event:
        case DisputeRaised():
            return replace(
                state,
                dispute_id=event.dispute_id,
                trial_id=event.trial_id,
                subject_kind=event.subject_kind,
                subject_id=event.subject_id,
                concern=event.concern,
                raised_by=event.raised_by,
                ladder=event.ladder,
                level=0,
            )
        case DisputeEscalated(to_level=to_level):
            return replace(state, level=to_level)
        case DisputeResolved():
            return replace(
                state,
                resolution=event.resolution,
                rationale=event.rationale,
                resolved_by=event.resolved_by,
            )
        case _:
            return ignore_unknown(state, event)


def fold(events: Iterable[DisputeEvent], state: DisputeState = NEW_DISPUTE) -> DisputeState:
    """The dispute after ``events``, starting from ``state``."""
    return fold_events(evolve, state, events)
