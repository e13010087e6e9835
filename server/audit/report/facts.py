"""What the audit report says, gathered in one pass over the trial's events.

The states at the signed checkpoint come from the audit history (the checkpoints saved
beside the log, plus the trial's events after the last one: never a fold of the whole
trial). The pass reads the trial's streams (never the rest of the log) up to the
checkpoint, a page at a time, proves each event (:mod:`.integrity`), and keeps beside the
states only
what the states forget and an inspector asks for: when and by whom each step of an
amendment or a dispute was taken (an escalation's reason among them), when each protocol
version was published, how each section changed while the protocol was a draft (its
first entry and its latest revisions), and the comment threads counted, with the
comments the report shows (:mod:`.comment_counts`). It gives the event loop a turn every
few milliseconds.

The states asked for are those of the workspace, the protocol, the amendments and the
disputes, and of the latest ``SHOWN_MOTIONS`` motions: never a comment thread's, nor
every motion's (their number grows with the trial; the exports have them all)."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.protocol_events import SectionText
from domain.protocol_state import ProtocolState
from domain.streams import StreamKind, parse_stream, protocol_stream, trial_stream
from domain.workspace import TrialState
from events import EventStore, RecordedEvent
from events.canonical import format_timestamp
from server.audit.history import Streams
from server.audit.loop_share import LoopShare
from server.audit.progress import Progress
from server.audit.report.comment_counts import CommentCounts, ThreadCount
from server.audit.report.integrity import Integrity, IntegrityCheck
from server.audit.trial_fold import TrialStates

READ_PAGE = 1_000
SHOWN_MOTIONS = 100
"""Motions the decisions show at most: the latest (the exports have every one)."""
LATEST_DRAFT_REVISIONS = 5
"""Revisions a section shows of those made while the protocol was a draft (the latest)."""


StatesAt = Callable[[int, Streams], Awaitable[TrialStates]]
"""The trial's ``streams`` once the log had reached a position: from the audit
checkpoints saved beside the log (``TrialHistory``), so that a report folds only the
trial's events after the last one."""
REPORT_KINDS = frozenset(StreamKind) - {StreamKind.TEXT}
"""The streams the pass notes (a shared text's keystrokes are proved, not noted: the
report shows what was recorded of them)."""
STATE_STREAMS = Streams(
    frozenset({StreamKind.WORKSPACE, StreamKind.PROTOCOL, StreamKind.AMENDMENT, StreamKind.DISPUTE})
)
"""The streams whose states the report reads in full (the motions: the latest alone)."""


@dataclass(frozen=True, slots=True)
class Happening:
    """A step in a record's history: when (log time, UTC), what, by whom (user id), why."""

    at: str
    what: str
    by: str
    why: str = ""


@dataclass(slots=True)
class DraftHistory:
    """A section while the protocol was a draft: as first entered, and how it changed."""

    entered: SectionText
    entered_at: str
    entered_by: str
    revisions: int = 0
    authors: dict[str, None] = field(default_factory=dict)
    """Who revised it, in the order they first did (a dict as an ordered set)."""
    latest: deque[Happening] = field(default_factory=lambda: deque(maxlen=LATEST_DRAFT_REVISIONS))
    removed: bool = False


@dataclass(slots=True)
class ReportFacts:
    """The trial as of the checkpoint, and what the report shows beside its states."""

    trial_id: str
    states: Mapping[str, Any]
    integrity: Integrity
    events: int = 0
    last_position: int = 0
    last_recorded_at: str = ""
    histories: dict[str, list[Happening]] = field(default_factory=dict)
    """Amendment and dispute streams -> their steps, in log order."""
    published: dict[int, Happening] = field(default_factory=dict)
    """Protocol version -> its publication."""
    changed_in_draft: dict[str, DraftHistory] = field(default_factory=dict)
    """The sections version 1 published otherwise than first entered (while drafting:
    every section)."""
    motions: int = 0
    """The trial's motions (the states hold the latest ``SHOWN_MOTIONS``)."""
    threads: dict[str, ThreadCount] = field(default_factory=dict)
    """Comment thread stream -> the thread counted, with the comments shown."""
    posted: dict[tuple[str, str], str] = field(default_factory=dict)
    """(thread stream, comment id) -> posted at, for the comments the report shows."""
    answered: dict[tuple[str, str], str] = field(default_factory=dict)
    """(thread stream, comment id) -> disposition recorded at."""

    @property
    def workspace(self) -> TrialState | None:
        state = self.states.get(trial_stream(self.trial_id))
        return state if isinstance(state, TrialState) else None

    @property
    def protocol(self) -> ProtocolState | None:
        state = self.states.get(protocol_stream(self.trial_id))
        return state if isinstance(state, ProtocolState) else None


async def gather(
    store: EventStore,
    trial_id: str,
    check: IntegrityCheck,
    states_at: StatesAt,
    *,
    progress: Progress | None = None,
) -> ReportFacts:
    """Sign the head, take the trial's states there from ``states_at`` (saved checkpoints
    plus a short fold: the report does not fold the trial again), then read the trial's
    events up to it, checking each and noting what the states forget; last, the states of
    the latest motions the pass found."""
    checkpoint = await check.signed(store)
    end = checkpoint.position
    states = dict(await states_at(end, STATE_STREAMS))
    share, gathering = LoopShare(), _Gathering(trial_id)
    async for page in store.pages(until=end, page_size=READ_PAGE, under=trial_stream(trial_id)):
        await check.feed(page)
        for event in page:
            stream = parse_stream(event.stream_id)
            if stream is not None and stream.kind in REPORT_KINDS:
                gathering.note(event, stream.kind)
            await share.turn()
        if progress is not None:
            progress(page[-1].position, end)
    await check.finish()
    shown = list(gathering.motions)[-SHOWN_MOTIONS:]
    if shown:
        states.update(await states_at(end, Streams(frozenset(), also=frozenset(shown))))
    return gathering.facts(states, check.result())


class _Gathering:
    """What the pass keeps besides the states (one owner, mutable)."""

    def __init__(self, trial_id: str) -> None:
        self.trial_id = trial_id
        self.events = 0
        self.last: RecordedEvent | None = None
        self.histories: dict[str, list[Happening]] = {}
        self.published: dict[int, Happening] = {}
        self.drafting: dict[str, DraftHistory] | None = {}
        self.changed_in_draft: dict[str, DraftHistory] = {}
        self.comments = CommentCounts()
        self.motions: dict[str, None] = {}
        """The motions' streams, in the order they were first written (an ordered set)."""

    def note(self, event: RecordedEvent, kind: StreamKind) -> None:
        self.events += 1
        self.last = event
        at, by, data = (
            format_timestamp(event.recorded_at),
            str(event.meta.get("actor", "")),
            event.data,
        )
        if kind is StreamKind.AMENDMENT or kind is StreamKind.DISPUTE:
            step = Happening(at, what_happened(event.type, data), by, why_given(data))
            self.histories.setdefault(event.stream_id, []).append(step)
        elif kind is StreamKind.PROTOCOL:
            self._protocol(event, at, by)
        elif kind is StreamKind.COMMENTS:
            self.comments.note(event, at)
        elif kind is StreamKind.MOTION:
            self.motions[event.stream_id] = None

    def _protocol(self, event: RecordedEvent, at: str, by: str) -> None:
        data = event.data
        if event.type == "ProtocolVersionPublished":
            version = int(data["version"])
            self.published[version] = Happening(at, f"version {version} published", by)
            if self.drafting is not None:  # version 1 ends the draft
                self.changed_in_draft = _changed(self.drafting)
                self.drafting = None
            return
        drafting = self.drafting
        if drafting is None:
            return
        if event.type == "ProtocolDrafted":
            for section in data["sections"]:
                entered = SectionText(
                    number=section["number"], heading=section["heading"], text=section["text"]
                )
                drafting[entered.number] = DraftHistory(entered, at, by)
            return
        number = data.get("number")
        if not isinstance(number, str) or event.type == "SectionEditConflicted":
            return
        history = drafting.get(number)
        if history is None:
            entered = SectionText(number=number, heading=data["heading"], text=data["text"])
            drafting[number] = DraftHistory(entered, at, by)
            return
        history.revisions += 1
        history.authors[by] = None
        history.removed = event.type == "SectionRemoved"
        what = "removed" if history.removed else f"revision {data.get('revision', '')}"
        history.latest.append(Happening(at, what, by, why_given(data)))

    def facts(self, states: Mapping[str, Any], integrity: Integrity) -> ReportFacts:
        changed = self.changed_in_draft if self.drafting is None else _changed(self.drafting)
        last = self.last
        return ReportFacts(
            trial_id=self.trial_id,
            states=states,
            integrity=integrity,
            events=self.events,
            last_position=last.position if last else 0,
            last_recorded_at=format_timestamp(last.recorded_at) if last else "",
            histories=self.histories,
            published=self.published,
            changed_in_draft=changed,
            motions=len(self.motions),
            threads=self.comments.threads,
            posted=self.comments.posted,
            answered=self.comments.answered,
        )


def _changed(drafting: dict[str, DraftHistory]) -> dict[str, DraftHistory]:
    """The sections revised (or removed) since they were first entered."""
    return {number: history for number, history in drafting.items() if history.revisions}


_WORDS = {
    "AmendmentOpened": "opened",
    "AmendmentDetailsRevised": "details revised",
    "AmendmentSubmitted": "submitted for approval",
    "ReviewCommented": "review comment",
    "EthicsApprovalRecorded": "ethics committee approval recorded",
    "SignaturesInvalidated": "signatures invalidated: the content changed",
    "AmendmentApproved": "approved: every required signature given",
    "AmendmentRejected": "rejected",
    "AmendmentWithdrawn": "withdrawn",
    "DisputeRaised": "raised",
}


def what_happened(event_type: str, data: dict[str, Any]) -> str:
    """What an amendment's or a dispute's event did, in words (an event the report has
    no words for by its type's: ``SiteActivated`` reads ``site activated``)."""
    match event_type:
        case "SectionChangeProposed":
            return f"change to section {data['change']['number']} proposed"
        case "SectionChangeRetracted":
            return f"change to section {data['number']} retracted"
        case "SignatureApplied":
            return f"signed: {data['signature']['meaning']}"
        case "AmendmentConflictDetected":
            sections = ", ".join(data["sections"])
            return f"conflict with version {data['protocol_version']} in section(s) {sections}"
        case "AmendmentRebased":
            return f"rebased from version {data['from_version']} onto {data['onto_version']}"
        case "AmendmentMerged":
            return f"merged as version {data['protocol_version']}"
        case "DisputeEscalated":
            return f"escalated to the {data['level_name']} level"
        case "DisputeResolved":
            return f"resolved at the {data['level_name']} level"
    return _WORDS.get(event_type, _spaced(event_type))


def _spaced(name: str) -> str:
    """``SiteActivated`` -> ``site activated``: an event the report has no words for."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()


def why_given(data: dict[str, Any]) -> str:
    """The reason an event states (its reason, a rebase's note, a rationale), or ""."""
    for key in ("reason", "note", "rationale"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    change = data.get("change")
    if isinstance(change, dict) and isinstance(change.get("rationale"), str):
        return str(change["rationale"])
    return ""
