"""Which trials exist, who belongs to each, and the amendments, motions, disputes and
comment threads in it.

A read model folded from the log: a projection the process's
:class:`events.following.LogFollower` keeps current. It answers the listing queries and
the cross-stream context a command needs (which disputes are open about an amendment);
the states themselves are loaded from their streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.dispute import DisputeSubjectKind
from domain.streams import trial_of
from events import EventStore, RecordedEvent
from events.following import ProjectionFailed


@dataclass(slots=True)
class TrialEntry:
    """What the directory knows about one trial."""

    trial_id: str
    title: str
    members: set[str] = field(default_factory=set)
    amendments: list[str] = field(default_factory=list)
    open_amendments: set[str] = field(default_factory=set)
    motions: list[str] = field(default_factory=list)
    disputes: list[str] = field(default_factory=list)
    open_disputes: dict[str, tuple[DisputeSubjectKind, str]] = field(default_factory=dict)
    threads: dict[tuple[str, str], None] = field(default_factory=dict)
    """(subject kind, subject id) of each comment thread, in the order they began."""


CATCH_UP_PAGE = 5_000

_CLOSING_AMENDMENT = frozenset({"AmendmentMerged", "AmendmentRejected", "AmendmentWithdrawn"})


class Directory:
    """Trials, their members, and the ids of what happened in each."""

    name = "directory"

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._trials: dict[str, TrialEntry] = {}
        self._failure: BaseException | None = None

    async def catch_up(self, head: int) -> None:
        """Fold the whole log up to ``head``."""
        async for page in self._store.pages(until=head, page_size=CATCH_UP_PAGE):
            for event in page:
                self.apply(event)

    def stopped(self, failure: BaseException | None) -> None:
        """Following the log stopped: after a failure, every answer raises."""
        if failure is not None:
            self._failure = failure

    def trial(self, trial_id: str) -> TrialEntry | None:
        self._check()
        return self._trials.get(trial_id)

    def trials_of(self, user_id: str) -> list[TrialEntry]:
        """The trials ``user_id`` is a member of, in the order they were created."""
        self._check()
        return [entry for entry in self._trials.values() if user_id in entry.members]

    def open_disputes_about(
        self, trial_id: str, kind: DisputeSubjectKind, subject_id: str
    ) -> frozenset[str]:
        entry = self.trial(trial_id)
        if entry is None:
            return frozenset()
        return frozenset(
            dispute_id
            for dispute_id, subject in entry.open_disputes.items()
            if subject == (kind, subject_id)
        )

    def apply(self, event: RecordedEvent) -> None:
        """Fold one event of the log."""
        data = event.data
        if event.type == "TrialCreated":
            self._trials[data["trial_id"]] = TrialEntry(data["trial_id"], data["title"])
            return
        trial_id = trial_of(event.stream_id)
        entry = self._trials.get(trial_id) if trial_id is not None else None
        if entry is None:
            return
        match event.type:
            case "MemberAdded":
                entry.members.add(data["user_id"])
            case "AmendmentOpened":
                entry.amendments.append(data["amendment_id"])
                entry.open_amendments.add(data["amendment_id"])
            case closing if closing in _CLOSING_AMENDMENT:
                entry.open_amendments.discard(data["amendment_id"])
            case "MotionTabled":
                entry.motions.append(data["motion_id"])
            case "DisputeRaised":
                entry.disputes.append(data["dispute_id"])
                subject = (DisputeSubjectKind(data["subject_kind"]), data["subject_id"])
                entry.open_disputes[data["dispute_id"]] = subject
            case "DisputeResolved":
                entry.open_disputes.pop(data["dispute_id"], None)
            case "CommentPosted":
                entry.threads.setdefault((data["subject_kind"], data["subject_id"]), None)

    def _check(self) -> None:
        if self._failure is not None:
            stopped = ProjectionFailed(f"the {self.name} projection stopped")
            stopped.__cause__ = self._failure
            raise stopped
