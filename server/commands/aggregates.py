"""The kinds of aggregate the server loads and decides on: how each folds, how each decides,
and the context each decides in.

A kind's ``decide`` is the domain's, given what it needs besides its own state: the
trial (charter, members), the other streams it reads (through :class:`StateReader`, so
that a state an append of this process will leave counts) and the directory's
cross-stream facts. Among them, the records a command refers to (a dispute's or a
comment's subject, a motion's), looked up as :class:`domain.subjects.SubjectRecord`.
It answers the events per stream, its own stream first; a kind whose command also
writes another stream (a merge writes the protocol) names it in ``also_writes``, so
that both are decided under their locks.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from domain import (
    amendment,
    dispute,
    engagement,
    motion,
    proposal_text,
    protocol,
    shared_text,
    sites,
    workspace,
)
from domain.amendment import (
    AmendmentCommand,
    AmendmentContext,
    AmendmentState,
    CheckForConcurrentModifications,
    ReviseAmendmentDetails,
    SubmitAmendment,
)
from domain.catalog import DomainEvent
from domain.dispute import (
    SUBJECT_RECORD_KINDS,
    DisputeCommand,
    DisputeContext,
    DisputeState,
    DisputeSubjectKind,
    RaiseDispute,
)
from domain.engagement import CommentSubjectKind, CommentThread, EngagementCommand, PostComment
from domain.event import Command
from domain.merging import MergeAmendment, decide_merge
from domain.motion import MotionCommand, MotionContext, MotionState, TableMotion
from domain.protocol import ProtocolCommand, ProtocolState
from domain.shared_text import (
    EditSharedText,
    ProposeSharedText,
    RecordSharedText,
    SharedText,
    SharedTextCommand,
    SharedTextDecision,
    StartSharedText,
    require_update,
)
from domain.sites import SiteCommand, SiteContext, SiteState
from domain.streams import (
    StreamKind,
    StreamName,
    amendment_stream,
    comments_stream,
    dispute_stream,
    motion_stream,
    protocol_stream,
)
from domain.subjects import (
    MOTION_SUBJECT_KINDS,
    RecordKind,
    SubjectRecord,
    require_any_existing,
    require_existing,
)
from domain.workspace import TrialState, WorkspaceCommand
from server.coediting.rich_text import first_state
from server.coediting.updates import check_update
from server.commands.directory import Directory

S = TypeVar("S")
T = TypeVar("T")

Decision = Mapping[str, Sequence[DomainEvent]]
"""The events a command causes, per stream id: the target's stream first."""


class StateReader(Protocol):
    """How a decision reads another stream's state (as this process will have it once its
    queued appends are written)."""

    async def state(self, kind: AggregateKind[T], stream_id: str) -> T: ...


@dataclass(frozen=True, slots=True)
class Situation:
    """What a command is decided in besides its own stream's state."""

    stream: StreamName
    trial: TrialState
    states: StateReader
    directory: Directory


Decide = Callable[[Situation, S, Command], Awaitable[Decision]]


def _writes_nothing_else(stream: StreamName, command: Command) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True, slots=True)
class AggregateKind(Generic[S]):
    """One kind of aggregate: its name, the state before its first event, evolve, decide."""

    name: str
    new: S
    evolve: Callable[[S, Any], S]
    decide: Decide[S]
    also_writes: Callable[[StreamName, Command], tuple[str, ...]] = _writes_nothing_else
    """Streams besides its own that ``command`` writes."""
    also_locks: Callable[[StreamName, Command], tuple[str, ...]] = _writes_nothing_else
    """Names besides those streams that ``command`` is decided under the lock of: it
    reads facts of other streams that the same command on them changes, so two of them
    must not be decided at once (in this process)."""


def _not_for(kind: str, command: Command) -> TypeError:
    return TypeError(f"{type(command).__name__} is not a command on a {kind}")


async def _decide_workspace(s: Situation, state: TrialState, command: Command) -> Decision:
    if not isinstance(command, WorkspaceCommand):
        raise _not_for("workspace", command)
    return {str(s.stream): workspace.decide(state, command)}


async def _decide_protocol(s: Situation, state: ProtocolState, command: Command) -> Decision:
    if not isinstance(command, ProtocolCommand):
        raise _not_for("protocol", command)
    return {str(s.stream): protocol.decide(state, command)}


async def _decide_motion(s: Situation, state: MotionState, command: Command) -> Decision:
    if not isinstance(command, MotionCommand):
        raise _not_for("motion", command)
    members = MotionContext.of(s.trial)
    events = motion.decide(state, command, members)
    if isinstance(command, TableMotion) and command.subject is not None:
        records = [await _record(s, kind, command.subject) for kind in MOTION_SUBJECT_KINDS]
        require_any_existing(tuple(records), command.subject, f"motion {command.motion_id}")
    return {str(s.stream): events}


async def _decide_dispute(s: Situation, state: DisputeState, command: Command) -> Decision:
    if not isinstance(command, DisputeCommand):
        raise _not_for("dispute", command)
    kind: DisputeSubjectKind | None
    if isinstance(command, RaiseDispute):
        kind, subject_id = command.subject_kind, command.subject_id
    else:
        kind, subject_id = state.subject_kind, state.subject_id
    # No such dispute (kind None): the domain refuses before it reads the subject.
    record_kind = SUBJECT_RECORD_KINDS[kind] if kind is not None else RecordKind.AMENDMENT
    subject = await _record(s, record_kind, subject_id)
    context = DisputeContext(charter=s.trial.charter, subject=subject)
    return {str(s.stream): dispute.decide(state, command, context)}


async def _decide_thread(s: Situation, state: CommentThread, command: Command) -> Decision:
    if not isinstance(command, EngagementCommand):
        raise _not_for("comment thread", command)
    anchors: frozenset[str] = frozenset()
    if (
        isinstance(command, PostComment)
        and command.section is not None
        and command.subject_kind is CommentSubjectKind.AMENDMENT
    ):
        # An anchor names a section the amendment changes (only amendments' threads).
        stream_id = amendment_stream(s.stream.trial_id, command.subject_id)
        anchors = (await s.states.state(AMENDMENT, stream_id)).sections
    events = engagement.decide(state, command, anchors)
    if isinstance(command, PostComment) and not state.exists:
        # The first comment sets the thread's subject; later ones must name the same.
        subject = await _record(s, RecordKind(command.subject_kind.value), command.subject_id)
        require_existing(subject, f"comment {command.comment_id}")
    return {str(s.stream): events}


async def _record(s: Situation, kind: RecordKind, record_id: str) -> SubjectRecord:
    """The record of ``kind`` called ``record_id`` in the trial, as it stands now: whether
    it exists, whose work it is and their organizations. A record is not its own
    subject: one in the command's own stream does not exist (yet)."""
    trial_id = s.stream.trial_id
    authors: frozenset[str] = frozenset()
    exists = False
    match kind:
        case _ if not record_id.strip():
            pass  # no id: the domain refuses it for want of one
        case RecordKind.AMENDMENT:
            exists, authors = await _amendment_facts(s, amendment_stream(trial_id, record_id))
        case RecordKind.SECTION:
            exists, authors = await _section_facts(s, record_id)
        case RecordKind.MOTION:
            stream_id = motion_stream(trial_id, record_id)
            exists = stream_id != str(s.stream) and (await s.states.state(MOTION, stream_id)).exists
            mover = s.directory.mover_of(trial_id, record_id) if exists else None
            authors = frozenset({mover} if mover else ())
        case RecordKind.DISPUTE:
            stream_id = dispute_stream(trial_id, record_id)
            exists = (
                stream_id != str(s.stream) and (await s.states.state(DISPUTE, stream_id)).exists
            )
    members = s.trial.members
    organizations = frozenset(members[a].organization_id for a in authors if a in members)
    return SubjectRecord(
        kind=kind, record_id=record_id, exists=exists, authors=authors, organizations=organizations
    )


async def subject_record(s: Situation, kind: RecordKind, record_id: str) -> SubjectRecord:
    """The record of ``kind`` called ``record_id`` as decisions see it (the inbox asks
    with it who may resolve a dispute about it)."""
    return await _record(s, kind, record_id)


async def _amendment_facts(s: Situation, stream_id: str) -> tuple[bool, frozenset[str]]:
    # Never the command's own stream: only disputes, threads and motions refer to one.
    amendment = await s.states.state(AMENDMENT, stream_id)
    return amendment.exists, amendment.authors


async def _section_facts(s: Situation, number: str) -> tuple[bool, frozenset[str]]:
    """Whether the protocol has the live section ``number``, and who wrote its current
    text: the revision's author and contributors or, when a merged amendment wrote it,
    that amendment's authors (not whoever merged it)."""
    trial_id = s.stream.trial_id
    section = (await s.states.state(PROTOCOL, protocol_stream(trial_id))).sections.get(number)
    if section is None or section.removed:
        return False, frozenset()
    head = section.head
    if head.amendment_id is None:
        return True, frozenset({head.author, *head.contributors})
    merged = amendment_stream(trial_id, head.amendment_id)
    return True, frozenset(head.contributors) | (await _amendment_facts(s, merged))[1]


async def _decide_amendment(s: Situation, state: AmendmentState, command: Command) -> Decision:
    context = await _amendment_context(s, command)
    if isinstance(command, MergeAmendment):
        merge = decide_merge(state, command, context)
        return {
            str(s.stream): merge.amendment_events,
            protocol_stream(s.stream.trial_id): merge.protocol_events,
        }
    if not isinstance(command, AmendmentCommand):
        raise _not_for("amendment", command)
    return {str(s.stream): amendment.decide(state, command, context)}


_READS_EVALUATIONS = (SubmitAmendment, ReviseAmendmentDetails, CheckForConcurrentModifications)
"""The amendment commands that read which substantial amendments are under evaluation."""


async def _amendment_context(s: Situation, command: Command) -> AmendmentContext:
    trial_id, amendment_id = s.stream.trial_id, s.stream.aggregate_id
    thread_id = comments_stream(trial_id, CommentSubjectKind.AMENDMENT, amendment_id)
    thread = await s.states.state(COMMENTS, thread_id)
    under_evaluation = frozenset[str]()
    if isinstance(command, _READS_EVALUATIONS):
        under_evaluation = await _substantial_under_evaluation(s)
    return AmendmentContext(
        charter=s.trial.charter,
        protocol=await s.states.state(PROTOCOL, protocol_stream(trial_id)),
        open_disputes=s.directory.open_disputes_about(
            trial_id, DisputeSubjectKind.AMENDMENT, amendment_id
        ),
        feedback_awaiting_disposition=thread.awaiting_disposition(),
        substantial_under_evaluation=under_evaluation,
    )


async def _substantial_under_evaluation(s: Situation) -> frozenset[str]:
    """The trial's other substantial amendments under evaluation (read from the open
    ones: at most the few a trial has open at once)."""
    trial_id = s.stream.trial_id
    entry = s.directory.trial(trial_id)
    found = set()
    for amendment_id in sorted(entry.open_amendments if entry is not None else ()):
        stream_id = amendment_stream(trial_id, amendment_id)
        if stream_id == str(s.stream):
            continue  # its own state is the one being decided on
        other = await s.states.state(AMENDMENT, stream_id)
        if other.is_substantial and other.is_under_evaluation:
            found.add(amendment_id)
    return frozenset(found)


async def _decide_text(s: Situation, state: SharedText, command: Command) -> Decision:
    if not isinstance(command, SharedTextCommand):
        raise _not_for("shared text", command)
    if isinstance(command, (StartSharedText, EditSharedText)):
        check_update(require_update(command.update))
    if s.stream.subject_kind is CommentSubjectKind.AMENDMENT:
        return await _decide_proposal_text(s, state, command)
    protocol_id = protocol_stream(s.stream.trial_id)
    protocol = await s.states.state(PROTOCOL, protocol_id)

    def decide(state: SharedText, command: SharedTextCommand) -> SharedTextDecision:
        return shared_text.decide(state, command, protocol)

    def start(edit: EditSharedText) -> tuple[str, int]:
        return shared_text.revision_start(protocol, edit.number, edit.based_on)

    decided = _started_by(command, state, decide, start)
    return {str(s.stream): decided.text_events, protocol_id: decided.protocol_events}


async def _decide_proposal_text(
    s: Situation, state: SharedText, command: SharedTextCommand
) -> Decision:
    trial_id = s.stream.trial_id
    amendment_name = StreamName(trial_id, StreamKind.AMENDMENT, s.stream.aggregate_id)
    proposal = await s.states.state(AMENDMENT, str(amendment_name))
    amendment_situation = Situation(amendment_name, s.trial, s.states, s.directory)
    context = await _amendment_context(amendment_situation, command)

    def decide(state: SharedText, command: SharedTextCommand) -> SharedTextDecision:
        return proposal_text.decide(state, command, proposal, context)

    def start(edit: EditSharedText) -> tuple[str, int]:
        return proposal_text.proposal_start(proposal, context.protocol, edit.number), 0

    decided = _started_by(command, state, decide, start)
    return {str(s.stream): decided.text_events, str(amendment_name): decided.amendment_events}


def _started_by(
    command: SharedTextCommand,
    state: SharedText,
    decide: Callable[[SharedText, SharedTextCommand], SharedTextDecision],
    start: Callable[[EditSharedText], tuple[str, int]],
) -> SharedTextDecision:
    """The decision, preceded by the text's first state (and the revision it is of) when
    this edit starts it."""
    if not isinstance(command, EditSharedText) or state.started:
        return decide(state, command)
    text, from_revision = start(command)
    first = StartSharedText(
        actor=command.actor,
        number=command.number,
        from_revision=from_revision,
        update=base64.b64encode(first_state(text)).decode("ascii"),
    )
    started = decide(state, first)
    after = shared_text.NEW_SHARED_TEXT
    for event in started.text_events:
        after = shared_text.evolve(after, event)
    edited = decide(after, command)
    return SharedTextDecision([*started.text_events, *edited.text_events])


async def _decide_site(s: Situation, state: SiteState, command: Command) -> Decision:
    if not isinstance(command, SiteCommand):
        raise _not_for("site", command)
    trial = s.trial
    context = SiteContext(
        charter=trial.charter,
        organizations={o.organization_id: o.kind for o in trial.organizations.values()},
        protocol=await s.states.state(PROTOCOL, protocol_stream(s.stream.trial_id)),
    )
    return {str(s.stream): sites.decide(state, command, context)}


def _recording_writes_another(stream: StreamName, command: Command) -> tuple[str, ...]:
    """Recording a section's shared text writes the protocol; proposing an amendment's,
    the amendment."""
    if isinstance(command, RecordSharedText):
        return (protocol_stream(stream.trial_id),)
    if isinstance(command, ProposeSharedText):
        return (amendment_stream(stream.trial_id, stream.aggregate_id),)
    return ()


def _merge_writes_the_protocol(stream: StreamName, command: Command) -> tuple[str, ...]:
    return (protocol_stream(stream.trial_id),) if isinstance(command, MergeAmendment) else ()


def _one_evaluation_decided_at_a_time(stream: StreamName, command: Command) -> tuple[str, ...]:
    """Submitting (or making substantial) one amendment reads which others are under
    evaluation: two such decisions in a trial are taken one after the other."""
    if isinstance(command, (SubmitAmendment, ReviseAmendmentDetails)):
        return (f"{stream.trial_id}/substantial-modifications",)
    return ()


WORKSPACE = AggregateKind("workspace", workspace.NEW_TRIAL, workspace.evolve, _decide_workspace)
PROTOCOL = AggregateKind("protocol", protocol.NEW_PROTOCOL, protocol.evolve, _decide_protocol)
AMENDMENT = AggregateKind(
    "amendment",
    amendment.NEW_AMENDMENT,
    amendment.evolve,
    _decide_amendment,
    also_writes=_merge_writes_the_protocol,
    also_locks=_one_evaluation_decided_at_a_time,
)
MOTION = AggregateKind("motion", motion.NEW_MOTION, motion.evolve, _decide_motion)
DISPUTE = AggregateKind("dispute", dispute.NEW_DISPUTE, dispute.evolve, _decide_dispute)
COMMENTS = AggregateKind("comments", engagement.NEW_THREAD, engagement.evolve, _decide_thread)
SITE = AggregateKind("site", sites.NEW_SITE, sites.evolve, _decide_site)
TEXT = AggregateKind(
    "shared text",
    shared_text.NEW_SHARED_TEXT,
    shared_text.evolve,
    _decide_text,
    also_writes=_recording_writes_another,
)

KINDS: Mapping[StreamKind, AggregateKind[Any]] = {
    StreamKind.WORKSPACE: WORKSPACE,
    StreamKind.PROTOCOL: PROTOCOL,
    StreamKind.AMENDMENT: AMENDMENT,
    StreamKind.MOTION: MOTION,
    StreamKind.DISPUTE: DISPUTE,
    StreamKind.COMMENTS: COMMENTS,
    StreamKind.TEXT: TEXT,
    StreamKind.SITE: SITE,
}
"""The aggregate each kind of stream holds."""
