"""Which trials exist, who belongs to each, who is invited to which, and the amendments,
motions, disputes and comment threads in it.

A read model folded from the log: a projection the process's
:class:`events.following.LogFollower` keeps current. It answers the listing queries and
the cross-stream context a command needs (which disputes are open about an amendment);
the states themselves are loaded from their streams.

Given :class:`events.snapshots.ProjectionSnapshots`, it starts from its newest snapshot
that checks out against the log and folds only the log after it, and saves a new one in
the background once :data:`events.snapshots.SAVE_EVERY` positions have passed since the
last (at the end of a catch-up that read that much, or as it follows the log). The
snapshot is JSON (:data:`SNAPSHOT_VERSION`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec

from domain.dispute import DisputeSubjectKind
from domain.personal_data import ERASED, USERNAME_SUBJECT, username_subject
from domain.streams import trial_of
from domain.workspace_invitations import username_key
from events import EventStore, RecordedEvent
from events.following import ProjectionFailed
from events.snapshots import CatchUpProgress, ProjectionSnapshots, SnapshotSchedule


@dataclass(frozen=True, slots=True)
class PendingInvitation:
    """An invitation awaiting its invitee's answer, with what they need to decide on it:
    the trial's title, the organization and who invited them (nothing else of the trial)."""

    trial_id: str
    invitation_id: str
    trial_title: str
    organization_name: str
    organization_kind: str
    invited_by: str
    """The inviter's user id."""
    invited_by_name: str
    invited_at: str


@dataclass(slots=True)
class TrialEntry:
    """What the directory knows about one trial."""

    trial_id: str
    title: str
    members: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)
    """Each member's printed name, by user id (who invited someone)."""
    organizations: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Each admitted organization's name and kind, by id."""
    invitees: dict[str, str] = field(default_factory=dict)
    """The username key each pending invitation is addressed to, by invitation id."""
    amendments: list[str] = field(default_factory=list)
    open_amendments: set[str] = field(default_factory=set)
    motions: list[str] = field(default_factory=list)
    movers: dict[str, str] = field(default_factory=dict)
    """Who tabled each motion, by motion id (whose work a dispute about it is)."""
    open_motions: dict[str, set[str]] = field(default_factory=dict)
    """The motions neither decided nor lapsed, each with the eligible voters who have
    neither voted nor recused (the inbox reads only the motions a person is among)."""
    disputes: list[str] = field(default_factory=list)
    open_disputes: dict[str, tuple[DisputeSubjectKind, str]] = field(default_factory=dict)
    threads: dict[tuple[str, str], None] = field(default_factory=dict)
    """(subject kind, subject id) of each comment thread, in the order they began."""
    awaiting: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """The threads with comments awaiting a disposition, and those comments' ids (the inbox
    reads only these threads, not every thread of the trial)."""
    commented: dict[str, dict[tuple[str, str], None]] = field(default_factory=dict)
    """The threads each person wrote in, by user id (where their comments' news is)."""


CATCH_UP_PAGE = 5_000

SNAPSHOT_NAME = "directory"
"""The directory's name among the projection snapshots."""
SNAPSHOT_VERSION = 4
"""The format of the directory's snapshot (:class:`_Snapshot` as JSON); 2 added the
motions' movers, 3 the inviter's id of each pending invitation, 4 the open motions, the comments
awaiting a disposition and who wrote in each thread."""

_CLOSING_AMENDMENT = frozenset({"AmendmentMerged", "AmendmentRejected", "AmendmentWithdrawn"})


class Directory:
    """Trials, their members, and the ids of what happened in each."""

    name = "directory"

    def __init__(
        self,
        store: EventStore,
        *,
        snapshots: ProjectionSnapshots | None = None,
        progress: CatchUpProgress | None = None,
    ) -> None:
        self._store = store
        self._schedule = (
            SnapshotSchedule(snapshots, SNAPSHOT_NAME, SNAPSHOT_VERSION)
            if snapshots is not None
            else None
        )
        self._progress = progress
        self._trials: dict[str, TrialEntry] = {}
        self._invited: dict[str, dict[tuple[str, str], PendingInvitation]] = {}
        """Username key -> (trial id, invitation id) -> the pending invitation."""
        self._failure: BaseException | None = None

    async def catch_up(self, head: int) -> None:
        """Fold the log up to ``head``, after the newest snapshot if there is one."""
        start = 0
        if self._schedule is not None:
            start = await self._schedule.restore_newest(head, self._restore)
        async for page in self._store.pages(after=start, until=head, page_size=CATCH_UP_PAGE):
            for event in page:
                self._fold(event)
            if self._progress is not None:
                self._progress(start, page[-1].position, head)
        if self._progress is not None:
            self._progress(start, head, head)
        self._snapshot_if_due(head)

    def stopped(self, failure: BaseException | None) -> None:
        """Following the log stopped: after a failure, every answer raises."""
        if failure is not None:
            self._failure = failure

    def forget_person(self, user_id: str, subjects: Iterable[str]) -> None:
        """Read a person's names as the log now reads them, erased (their personal data
        was erased: :class:`~domain.personal_data.PersonalDataErased`): ``user_id``'s
        printed name in every trial and as the inviter of pending invitations, and the
        invitations addressed to a username among ``subjects`` (moved to where a fold of
        the log now files them, under the username ``[erased]``). What a fold from the
        start would hold, at the cost of the trials and pending invitations, not the log."""
        erased_usernames = {s for s in subjects if s.startswith(USERNAME_SUBJECT)}
        for entry in self._trials.values():
            if user_id in entry.names:
                entry.names[user_id] = ERASED
        moved: dict[tuple[str, str], PendingInvitation] = {}
        for key in list(self._invited):
            if username_subject(key) in erased_usernames:
                moved.update(self._invited.pop(key))
        for pending in self._invited.values():
            for at, invitation in pending.items():
                if invitation.invited_by == user_id:
                    pending[at] = replace(invitation, invited_by_name=ERASED)
        if moved:
            erased_key = username_key(ERASED)
            for (trial_id, invitation_id), invitation in moved.items():
                self._trials[trial_id].invitees[invitation_id] = erased_key
                if invitation.invited_by == user_id:
                    invitation = replace(invitation, invited_by_name=ERASED)
                self._invited.setdefault(erased_key, {})[(trial_id, invitation_id)] = invitation

    def trial(self, trial_id: str) -> TrialEntry | None:
        self._check()
        return self._trials.get(trial_id)

    def trials_of(self, user_id: str) -> list[TrialEntry]:
        """The trials ``user_id`` is a member of, in the order they were created."""
        self._check()
        return [entry for entry in self._trials.values() if user_id in entry.members]

    def invitations_of(self, username: str) -> list[PendingInvitation]:
        """The pending invitations addressed to ``username`` (compared as accounts compare
        usernames), in the order they were sent."""
        self._check()
        return list(self._invited.get(username_key(username), {}).values())

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

    def mover_of(self, trial_id: str, motion_id: str) -> str | None:
        """Who tabled the motion, if the trial has it."""
        entry = self.trial(trial_id)
        return entry.movers.get(motion_id) if entry is not None else None

    def apply(self, event: RecordedEvent) -> None:
        """Fold one event of the log."""
        self._fold(event)
        self._snapshot_if_due(event.position)

    def snapshot(self) -> bytes:
        """Everything the directory knows, as :meth:`_restore` reads it back."""
        return msgspec.json.encode(
            _Snapshot(
                trials=[_TrialSnapshot.of(entry) for entry in self._trials.values()],
                invitations=[
                    (key, invitation)
                    for key, pending in self._invited.items()
                    for invitation in pending.values()
                ],
            )
        )

    def _restore(self, snapshot: bytes) -> None:
        stored = msgspec.json.decode(snapshot, type=_Snapshot)
        trials = {trial.trial_id: trial.entry() for trial in stored.trials}
        invited: dict[str, dict[tuple[str, str], PendingInvitation]] = {}
        for key, invitation in stored.invitations:
            invited.setdefault(key, {})[(invitation.trial_id, invitation.invitation_id)] = (
                invitation
            )
        self._trials, self._invited = trials, invited

    def _snapshot_if_due(self, position: int) -> None:
        # Encoded here on the loop, as the state is now: 0.4 ms at a million events
        # (python -m bench.startup); the digest and the write run in the background.
        if self._schedule is not None and position and self._schedule.due(position):
            encoded = self.snapshot()
            self._schedule.save(position, lambda: encoded)

    def _fold(self, event: RecordedEvent) -> None:
        data = event.data
        if event.type == "TrialCreated":
            self._trials[data["trial_id"]] = TrialEntry(data["trial_id"], data["title"])
            return
        trial_id = trial_of(event.stream_id)
        entry = self._trials.get(trial_id) if trial_id is not None else None
        if entry is None:
            return
        match event.type:
            case "OrganizationAdmitted":
                entry.organizations[data["organization_id"]] = (data["name"], data["kind"])
            case "MemberAdded":
                entry.members.add(data["user_id"])
                entry.names[data["user_id"]] = data["printed_name"]
            case "MemberInvited":
                self._invite(entry, data)
            case "InvitationAccepted" | "InvitationDeclined" | "InvitationWithdrawn":
                key = entry.invitees.pop(data["invitation_id"], None)
                if key is not None:
                    invited = self._invited[key]
                    invited.pop((entry.trial_id, data["invitation_id"]), None)
                    if not invited:
                        del self._invited[key]
            case "AmendmentOpened":
                entry.amendments.append(data["amendment_id"])
                entry.open_amendments.add(data["amendment_id"])
            case closing if closing in _CLOSING_AMENDMENT:
                entry.open_amendments.discard(data["amendment_id"])
            case "MotionTabled":
                entry.motions.append(data["motion_id"])
                entry.movers[data["motion_id"]] = data["tabled_by"]
                entry.open_motions[data["motion_id"]] = set(data["eligible_voters"])
            case "VoteCast" | "VoterRecused":
                entry.open_motions.get(data["motion_id"], set()).discard(data["voter_id"])
            case "MotionDecided" | "MotionLapsed":
                entry.open_motions.pop(data["motion_id"], None)
            case "DisputeRaised":
                entry.disputes.append(data["dispute_id"])
                subject = (DisputeSubjectKind(data["subject_kind"]), data["subject_id"])
                entry.open_disputes[data["dispute_id"]] = subject
            case "DisputeResolved":
                entry.open_disputes.pop(data["dispute_id"], None)
            case "CommentPosted":
                thread = (data["subject_kind"], data["subject_id"])
                entry.threads.setdefault(thread, None)
                entry.commented.setdefault(data["author_id"], {}).setdefault(thread, None)
                if data["needs_disposition"]:
                    entry.awaiting.setdefault(thread, set()).add(data["comment_id"])
            case "FeedbackDispositioned":
                thread = (data["subject_kind"], data["subject_id"])
                awaiting = entry.awaiting.get(thread)
                if awaiting is not None:
                    awaiting.discard(data["comment_id"])
                    if not awaiting:
                        del entry.awaiting[thread]

    def _invite(self, entry: TrialEntry, data: dict[str, Any]) -> None:
        name, kind = entry.organizations.get(data["organization_id"], (data["organization_id"], ""))
        invitation = PendingInvitation(
            trial_id=entry.trial_id,
            invitation_id=data["invitation_id"],
            trial_title=entry.title,
            organization_name=name,
            organization_kind=kind,
            invited_by=data["invited_by"],
            invited_by_name=entry.names.get(data["invited_by"], data["invited_by"]),
            invited_at=data["invited_at"],
        )
        key = username_key(data["username"])
        entry.invitees[invitation.invitation_id] = key
        self._invited.setdefault(key, {})[(entry.trial_id, invitation.invitation_id)] = invitation

    def _check(self) -> None:
        if self._failure is not None:
            stopped = ProjectionFailed(f"the {self.name} projection stopped")
            stopped.__cause__ = self._failure
            raise stopped


class _TrialSnapshot(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A :class:`TrialEntry` as the snapshot holds it (JSON has no sets nor tuple keys)."""

    trial_id: str
    title: str
    members: list[str]
    names: dict[str, str]
    organizations: dict[str, tuple[str, str]]
    invitees: dict[str, str]
    amendments: list[str]
    open_amendments: list[str]
    motions: list[str]
    movers: dict[str, str]
    open_motions: dict[str, list[str]]
    disputes: list[str]
    open_disputes: dict[str, tuple[DisputeSubjectKind, str]]
    threads: list[tuple[str, str]]
    awaiting: list[tuple[str, str, list[str]]]
    commented: dict[str, list[tuple[str, str]]]

    @classmethod
    def of(cls, entry: TrialEntry) -> _TrialSnapshot:
        return cls(
            trial_id=entry.trial_id,
            title=entry.title,
            members=list(entry.members),
            names=entry.names,
            organizations=entry.organizations,
            invitees=entry.invitees,
            amendments=entry.amendments,
            open_amendments=list(entry.open_amendments),
            motions=entry.motions,
            movers=entry.movers,
            open_motions={m: sorted(voters) for m, voters in entry.open_motions.items()},
            disputes=entry.disputes,
            open_disputes=entry.open_disputes,
            threads=list(entry.threads),
            awaiting=[
                (kind, subject, sorted(ids)) for (kind, subject), ids in entry.awaiting.items()
            ],
            commented={user: list(threads) for user, threads in entry.commented.items()},
        )

    def entry(self) -> TrialEntry:
        return TrialEntry(
            trial_id=self.trial_id,
            title=self.title,
            members=set(self.members),
            names=self.names,
            organizations=self.organizations,
            invitees=self.invitees,
            amendments=self.amendments,
            open_amendments=set(self.open_amendments),
            motions=self.motions,
            movers=self.movers,
            open_motions={m: set(voters) for m, voters in self.open_motions.items()},
            disputes=self.disputes,
            open_disputes=self.open_disputes,
            threads=dict.fromkeys(self.threads),
            awaiting={(kind, subject): set(ids) for kind, subject, ids in self.awaiting},
            commented={user: dict.fromkeys(threads) for user, threads in self.commented.items()},
        )


class _Snapshot(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    trials: list[_TrialSnapshot]
    """In the order they were created."""
    invitations: list[tuple[str, PendingInvitation]]
    """Each pending invitation with the username key it is addressed to, in the order
    they were sent."""
