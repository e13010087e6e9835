"""A section's shared text: the draft people write together, keystroke by keystroke.

Before the protocol's first version is published, each section's text can be written by
several people at once. What they type travels as *updates* of a CRDT document (Yjs's
update format, base64 in the log): the domain does not read them, it records who sent
which, in order, in the section's own stream (``trial/{t}/text/section/{n}``). The
server folds them into the document; the log stays the record.

- :class:`SharedTextStarted` opens the stream with the document built from a recorded
  revision of the section (``from_revision``).
- :class:`SharedTextEdited` is one update, attributed to the person who typed it.
- :class:`SharedTextRecorded` marks the moment a person recorded the shared text as the
  section's next revision, with a reason (Annex 11 asks why a record changed); the same
  command writes the :class:`SectionRevised` into the protocol's stream, with everyone
  who wrote since the last recorded revision as its contributors.

Once a version is published, sections change only through amendments: the shared texts
of the protocol's sections take no more updates. Each section an amendment changes has
a shared text of its own (``trial/{t}/text/amendment/{a}/{n}``), started from the
amendment's proposal for it (or, before there is one, from the section's current text),
editable by the amendment's authors while the amendment is a draft or submitted;
recording it (:class:`ProposeSharedText`) proposes it as the amendment's change to that
section, which invalidates any signature given, as every change to the content does
(``domain.proposal_text`` decides those).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field, replace
from typing import assert_never

from domain.amendment_events import AmendmentEvent
from domain.errors import (
    MalformedUpdate,
    ProtocolNotDrafted,
    ProtocolUnderChangeControl,
    SectionNotFound,
    SectionUnchanged,
    SharedTextAlreadyStarted,
    SharedTextNotStarted,
    SharedTextOvertaken,
    require_text,
)
from domain.event import Command, Event, ignore_unknown
from domain.protocol import ReviseSection, revise
from domain.protocol_events import ProtocolEvent, SectionRevised
from domain.protocol_state import ProtocolState, Section

MAX_UPDATE_CHARS = 1_048_576
"""Longest update accepted (base64 characters, ~768 KiB of update): a pasted chapter fits."""


# -- events ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedTextStarted(Event):
    """The section's shared text was opened from revision ``from_revision``: ``update``
    is that revision's text as the document's first state."""

    trial_id: str
    number: str
    from_revision: int
    update: str
    started_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedTextEdited(Event):
    """Someone typed: one update of the document, base64."""

    trial_id: str
    number: str
    update: str
    edited_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedTextRecorded(Event):
    """The shared text, as of this stream's version ``text_version``, became revision
    ``revision`` of the section (0: it was proposed as an amendment's change, whose
    ``SectionChangeProposed`` follows in the amendment's stream)."""

    trial_id: str
    number: str
    revision: int
    text_version: int
    reason: str
    contributors: tuple[str, ...]
    recorded_by: str


SharedTextEvent = SharedTextStarted | SharedTextEdited | SharedTextRecorded


# -- state -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedText:
    """What the domain knows of a section's shared text (the document itself is the
    server's fold of the updates)."""

    trial_id: str = ""
    number: str = ""
    base_revision: int = 0
    """The revision the text was started from or last recorded as."""
    edits: int = 0
    """Updates since then."""
    writers: tuple[str, ...] = ()
    """Who sent them, in the order each first did."""

    @property
    def started(self) -> bool:
        return bool(self.trial_id)


NEW_SHARED_TEXT = SharedText()


def evolve(state: SharedText, event: SharedTextEvent) -> SharedText:
    """The shared text after ``event``; never fails."""
    match event:
        case SharedTextStarted():
            return SharedText(
                trial_id=event.trial_id, number=event.number, base_revision=event.from_revision
            )
        case SharedTextEdited(edited_by=by):
            writers = state.writers if by in state.writers else (*state.writers, by)
            return replace(state, edits=state.edits + 1, writers=writers)
        case SharedTextRecorded(revision=revision):
            return replace(state, base_revision=revision, edits=0, writers=())
        case _:
            return ignore_unknown(state, event)


# -- commands --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StartSharedText(Command):
    """Open the section's shared text from its head revision (``update`` holds that
    revision's text as a document; the server builds it)."""

    number: str
    from_revision: int
    update: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EditSharedText(Command):
    """Apply what someone typed (one update, base64).

    The first edit of a text nobody has started starts it: the server records the text's
    first state (:class:`SharedTextStarted`) and the edit together. ``based_on`` is then
    the section's revision the sender's copy began from (the latest, if not given)."""

    number: str
    update: str
    based_on: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSharedText(Command):
    """Record the shared text as the section's next revision, saying why. ``text`` is the
    document as of stream version ``text_version``, in the section's markup (the server
    reads it from the document)."""

    number: str
    text: str
    text_version: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposeSharedText(Command):
    """Propose an amendment's shared text for a section as the amendment's change to it:
    ``text`` is the document as of stream version ``text_version`` (read by the server);
    ``description`` and ``rationale`` make its row of the overview of changes."""

    number: str
    text: str
    text_version: int
    description: str
    rationale: str


SharedTextCommand = StartSharedText | EditSharedText | RecordSharedText | ProposeSharedText


@dataclass(frozen=True, slots=True)
class SharedTextDecision:
    """What a shared-text command records: in its own stream, and in the protocol's or
    the amendment's."""

    text_events: list[SharedTextEvent]
    protocol_events: list[ProtocolEvent] = field(default_factory=list)
    amendment_events: list[AmendmentEvent] = field(default_factory=list)


def decide(
    state: SharedText, command: SharedTextCommand, protocol: ProtocolState
) -> SharedTextDecision:
    """The events ``command`` causes, or a DomainError naming the rule it breaks."""
    section = _writable_section(protocol, command.number)
    if isinstance(command, ProposeSharedText):
        raise SharedTextNotStarted("a section of the protocol is recorded, not proposed")
    match command:
        case StartSharedText():
            if state.started:
                raise SharedTextAlreadyStarted(
                    f"section {command.number}'s shared text was started already"
                )
            if section.revision(command.from_revision) is None:
                raise section.no_revision(command.from_revision)
            return decide_start(protocol.trial_id, command, command.from_revision)
        case EditSharedText():
            return decide_edit(state, protocol.trial_id, command)
        case RecordSharedText():
            require_started(state, command.number)
            require_text(command.reason, "the reason for the change")
            if state.edits == 0:
                raise SectionUnchanged(
                    f"nobody wrote in section {command.number} since revision"
                    f" {state.base_revision}: there is nothing to record"
                )
            return _record(state, command, protocol)
        case _:
            assert_never(command)


def _record(
    state: SharedText, command: RecordSharedText, protocol: ProtocolState
) -> SharedTextDecision:
    revision = ReviseSection(
        actor=command.actor,
        number=command.number,
        base_revision=state.base_revision,
        text=command.text,
        reason=command.reason,
    )
    decided = revise(protocol, revision)
    revised = decided[0]
    if not isinstance(revised, SectionRevised):
        # The section was revised outside the shared text since, on the same lines.
        raise SharedTextOvertaken(
            f"section {command.number} was revised since revision {state.base_revision}"
            " on the same lines as the shared text: settle that revision first"
        )
    revised = replace(revised, contributors=state.writers)
    recorded = SharedTextRecorded(
        trial_id=protocol.trial_id,
        number=command.number,
        revision=revised.revision,
        text_version=command.text_version,
        reason=revised.reason,
        contributors=state.writers,
        recorded_by=command.actor.user_id,
    )
    return SharedTextDecision([recorded], [revised])


def revision_start(protocol: ProtocolState, number: str, based_on: int | None) -> tuple[str, int]:
    """The text a section's shared text starts from, and its revision: revision
    ``based_on`` of the section (its head when None)."""
    section = _writable_section(protocol, number)
    revision = section.head if based_on is None else section.revision(based_on)
    if revision is None:
        raise section.no_revision(based_on or 0)
    return revision.text, revision.revision


def _writable_section(protocol: ProtocolState, number: str) -> Section:
    if not protocol.exists:
        raise ProtocolNotDrafted("the trial has no protocol yet")
    if protocol.versions:
        raise ProtocolUnderChangeControl(
            f"version {protocol.current_version} is published;"
            " change the protocol with an amendment"
        )
    section = protocol.live_section(number)
    if section is None:
        raise SectionNotFound(f"there is no section {number}")
    return section


def decide_start(trial_id: str, command: StartSharedText, from_revision: int) -> SharedTextDecision:
    """The text's first state, recorded (section's or amendment's alike)."""
    require_update(command.update)
    started = SharedTextStarted(
        trial_id=trial_id,
        number=command.number,
        from_revision=from_revision,
        update=command.update,
        started_by=command.actor.user_id,
    )
    return SharedTextDecision([started])


def decide_edit(state: SharedText, trial_id: str, command: EditSharedText) -> SharedTextDecision:
    """One update, recorded with its author."""
    require_started(state, command.number)
    require_update(command.update)
    edited = SharedTextEdited(
        trial_id=trial_id,
        number=command.number,
        update=command.update,
        edited_by=command.actor.user_id,
    )
    return SharedTextDecision([edited])


def require_started(state: SharedText, number: str) -> None:
    if not state.started:
        raise SharedTextNotStarted(f"section {number}'s shared text has not been started")


def require_update(update: str) -> bytes:
    """The update's bytes, or :class:`MalformedUpdate` (not base64, empty, too long)."""
    if len(update) > MAX_UPDATE_CHARS:
        raise MalformedUpdate(
            f"an update holds at most {MAX_UPDATE_CHARS:,} base64 characters; send it in parts"
        )
    try:
        decoded = base64.b64decode(update, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedUpdate("the update is not base64") from None
    if not decoded:
        raise MalformedUpdate("the update is empty")
    return decoded
