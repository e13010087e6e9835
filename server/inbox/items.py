"""Everything that waits for one person, in every trial they may read.

:class:`Inbox` reads each trial's states from the state cache (each stream folded once,
then kept current) and the directory's lists of open records, lets
:func:`domain.inbox.waiting_for` decide what waits, and adds what lies outside the trials'
states: the erasures of personal data awaiting the person's approval
(:mod:`server.erasure_requests`), the web page where each item is done, and since when
it waits (read from the log when the state does not record it; an event's time never
changes, so it is read once).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

from domain.dispute import SUBJECT_RECORD_KINDS, DisputeContext, DisputeState
from domain.engagement import CommentSubjectKind, CommentThread
from domain.frozen import frozen_map
from domain.inbox import (
    Abilities,
    InboxKind,
    Notice,
    Since,
    TrialRecords,
    Voiding,
    Waiting,
    updates_for,
    waiting_for,
)
from domain.roles import OrganizationKind
from domain.streams import (
    StreamKind,
    StreamName,
    amendment_stream,
    comments_stream,
    dispute_stream,
    motion_stream,
    protocol_stream,
    site_stream,
    trial_stream,
)
from domain.timestamps import instant_text
from events import EventStore
from rbac import PERMISSIONS, Action, Authorizer, SystemAction
from server.accounts.tables import utc_now
from server.accounts.users import Accounts
from server.commands.aggregates import (
    AMENDMENT,
    COMMENTS,
    DISPUTE,
    MOTION,
    PROTOCOL,
    SITE,
    WORKSPACE,
    AggregateKind,
    Situation,
    subject_record,
)
from server.commands.directory import Directory
from server.commands.state_cache import Loaded, StateCache
from server.erasure_requests import ErasureRequests
from server.inbox.activity import Activity

T = TypeVar("T")

SINCE_CACHE = 4_096
"""How many events' times are kept (the times of the events items wait since)."""
THREAD_CACHE = 10_000
"""How many comment threads' awaiting comments are kept (as many as the state cache's
streams)."""
RECENT = timedelta(days=30)
"""How far back recent updates go."""
UPDATES = 30
"""How many recent updates are listed at most."""


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One thing that waits for the person.

    ``kind``: what waits (:class:`domain.inbox.InboxKind`'s values); ``trial_id`` and
    ``trial_title`` (blank for an erasure that waits for a system admin, outside any
    trial); ``title``: one line in plain words; ``link``: the web page where it is done
    (``#/t/{trial}/amendments/A-1``); ``since``: when it began waiting (ISO 8601 UTC), if
    known; ``record``: what it is about within its trial (``amendment/A-1``,
    ``motion/M-2``, ``comments/section/5.2``; ``account/{user_id}`` for an erasure)."""

    kind: str
    trial_id: str
    trial_title: str
    title: str
    link: str
    since: str | None
    record: str


@dataclass(frozen=True, slots=True)
class UpdateItem:
    """What happened to the person's own comments or amendments: ``kind``
    (:class:`domain.inbox.UpdateKind`'s values), ``trial_id``, ``trial_title``, ``title``,
    ``link``, ``at`` (ISO 8601 UTC) and ``record`` as :class:`InboxItem`'s."""

    kind: str
    trial_id: str
    trial_title: str
    title: str
    link: str
    at: str
    record: str


class _Reader:
    """The state cache as a decision's :class:`~server.commands.aggregates.StateReader`."""

    def __init__(self, states: StateCache) -> None:
        self._states = states

    async def state(self, kind: AggregateKind[T], stream_id: str) -> T:
        return (await self._states.load(kind, stream_id)).state


class Inbox:
    """What waits for each person, computed when asked from the current states."""

    def __init__(
        self,
        store: EventStore,
        states: StateCache,
        directory: Directory,
        authorizer: Authorizer,
        erasures: ErasureRequests,
        accounts: Accounts,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._clock = clock
        self._activity = Activity(store)
        self._states = states
        self._directory = directory
        self._authorizer = authorizer
        self._erasures = erasures
        self._accounts = accounts
        self._times: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._awaiting: OrderedDict[str, tuple[int, CommentThread | None]] = OrderedDict()
        """Per comment thread: the version last looked at and its comments awaiting a
        disposition then."""

    async def items_for(self, user_id: str) -> tuple[InboxItem, ...]:
        """Everything that waits for ``user_id``, oldest waiting first (items whose start
        is unknown last), in every trial they may read, and the erasures they may approve."""
        items: list[InboxItem] = []
        for entry in self._directory.trials_of(user_id):
            if self._authorizer.allows(user_id, entry.trial_id, Action.READ):
                items += await self._trial_items(user_id, entry.trial_id)
        items += await self._erasure_items(user_id)
        return tuple(sorted(items, key=_oldest_first))

    async def trial_items(self, user_id: str, trial_id: str) -> tuple[InboxItem, ...]:
        """What waits for ``user_id`` in one trial, oldest waiting first (nothing if they
        may not read it; erasures are not among them)."""
        if not self._authorizer.allows(user_id, trial_id, Action.READ):
            return ()
        return tuple(sorted(await self._trial_items(user_id, trial_id), key=_oldest_first))

    async def _trial_items(self, user_id: str, trial_id: str) -> list[InboxItem]:
        entry = self._directory.trial(trial_id)
        if entry is None:
            return []
        versions: dict[str, int] = {}

        async def load(kind: AggregateKind[T], stream_id: str) -> T:
            loaded: Loaded[T] = await self._states.load(kind, stream_id)
            versions[stream_id] = loaded.version
            return loaded.state

        trial = await load(WORKSPACE, trial_stream(trial_id))
        protocol = await load(PROTOCOL, protocol_stream(trial_id))
        amendments = [
            await load(AMENDMENT, amendment_stream(trial_id, a))
            for a in sorted(entry.open_amendments)
        ]
        # Only the open motions still awaiting this person's vote (the directory keeps them).
        motions = [
            await load(MOTION, motion_stream(trial_id, m))
            for m in entry.motions
            if user_id in entry.open_motions.get(m, ())
        ]
        disputes = [
            await load(DISPUTE, dispute_stream(trial_id, d)) for d in sorted(entry.open_disputes)
        ]
        voidings: dict[str, Voiding] = {}
        for amendment in amendments:
            stream_id = amendment_stream(trial_id, amendment.amendment_id)
            if amendment.invalidated_signatures:
                record = f"amendment/{amendment.amendment_id}"
                found = await self._activity.of(stream_id, versions[stream_id], record)
                if found.voiding is not None:
                    voidings[amendment.amendment_id] = found.voiding
        roles = self._authorizer.roles_of(user_id, trial_id)
        abilities = _abilities({action for role in roles for action in PERMISSIONS[role]})
        threads = []
        comment_times: dict[str, dict[str, str]] = {}
        # Only the threads the directory knows to hold comments awaiting a disposition, and
        # only for those who may record one: a trial's other threads are never folded here.
        for kind, subject in list(entry.awaiting) if abilities.disposition else []:
            stream_id = comments_stream(trial_id, CommentSubjectKind(kind), subject)
            awaiting = self._awaiting_in(stream_id, versions, await load(COMMENTS, stream_id))
            if awaiting is not None:
                threads.append(awaiting)
                record = f"comments/{kind}/{subject}"
                found = await self._activity.of(stream_id, versions[stream_id], record)
                comment_times[record] = found.comment_times()
        sites = {
            o.organization_id: await load(SITE, site_stream(trial_id, o.organization_id))
            for o in trial.organizations.values()
            if o.kind is OrganizationKind.SITE
        }
        situation = Situation(
            stream=StreamName(trial_id, StreamKind.WORKSPACE),
            trial=trial,
            states=_Reader(self._states),
            directory=self._directory,
        )
        contexts = {
            d.dispute_id: await self._dispute_context(situation, trial_id, d)
            for d in disputes
            if d.is_open and d.subject_kind is not None
        }
        records = TrialRecords(
            trial=trial,
            protocol=protocol,
            amendments=amendments,
            motions=motions,
            disputes=disputes,
            dispute_contexts=contexts,
            threads=threads,
            sites=sites,
            voidings=voidings,
            comment_times=comment_times,
        )
        # Off the event loop: a trial's threads may hold many comments to look through.
        waiting = await asyncio.to_thread(waiting_for, user_id, records, abilities)
        return [
            InboxItem(
                kind=w.kind.value,
                trial_id=trial_id,
                trial_title=trial.title,
                title=w.title,
                link=link_for(trial_id, w.record),
                since=await self._since(trial_id, w, versions),
                record=w.record,
            )
            for w in waiting
        ]

    async def updates(self, user_id: str, trial_id: str | None = None) -> tuple[UpdateItem, ...]:
        """What happened to ``user_id``'s own comments and amendments in the last 30 days
        (in every trial they may read, or in ``trial_id``), newest first, at most
        :data:`UPDATES`."""
        trials = (
            [trial_id]
            if trial_id is not None
            else [e.trial_id for e in self._directory.trials_of(user_id)]
        )
        not_before = instant_text(self._clock() - RECENT, "the clock's time")
        found: list[UpdateItem] = []
        for trial in trials:
            if self._authorizer.allows(user_id, trial, Action.READ):
                found += await self._trial_updates(user_id, trial, not_before)
        found.sort(key=lambda u: (u.at, u.trial_id, u.record), reverse=True)
        return tuple(found[:UPDATES])

    async def _trial_updates(
        self, user_id: str, trial_id: str, not_before: str
    ) -> list[UpdateItem]:
        entry = self._directory.trial(trial_id)
        if entry is None:
            return []
        notices: list[Notice] = []
        for amendment_id in entry.amendments:
            stream_id = amendment_stream(trial_id, amendment_id)
            loaded = await self._states.load(AMENDMENT, stream_id)
            amendment = loaded.state
            if user_id not in amendment.authors:
                continue
            summary = amendment.details.summary if amendment.details else ""
            label = f"{amendment_id} ({summary})" if summary else amendment_id
            record = f"amendment/{amendment_id}"
            activity = await self._activity.of(stream_id, loaded.version, record)
            notices += (replace(n, to=amendment.authors, subject=label) for n in activity.notices)
        # The threads the person wrote in (the directory keeps them): news of their comments.
        for kind, subject in list(entry.commented.get(user_id, ())):
            stream_id = comments_stream(trial_id, CommentSubjectKind(kind), subject)
            loaded_thread = await self._states.load(COMMENTS, stream_id)
            record = f"comments/{kind}/{subject}"
            activity = await self._activity.of(
                stream_id, loaded_thread.version, record, f"{kind} {subject}"
            )
            notices += activity.notices
        names = dict(entry.names)
        return [
            UpdateItem(
                kind=u.kind.value,
                trial_id=trial_id,
                trial_title=entry.title,
                title=u.title,
                link=link_for(trial_id, u.record),
                at=u.at,
                record=u.record,
            )
            for u in updates_for(user_id, notices, names, not_before=not_before, limit=UPDATES)
        ]

    def _awaiting_in(
        self, stream_id: str, versions: dict[str, int], thread: CommentThread
    ) -> CommentThread | None:
        """The thread with only its comments awaiting a disposition (None: it has none),
        worked out once per version: a long thread is not read through on every ask."""
        version = versions[stream_id]
        known = self._awaiting.get(stream_id)
        if known is not None and known[0] == version:
            self._awaiting.move_to_end(stream_id)
            return known[1]
        pending = thread.awaiting_disposition()
        kept = (
            replace(thread, comments=frozen_map((c, thread.comments[c]) for c in sorted(pending)))
            if pending
            else None
        )
        self._awaiting[stream_id] = (version, kept)
        if len(self._awaiting) > THREAD_CACHE:
            self._awaiting.popitem(last=False)
        return kept

    async def _dispute_context(
        self, situation: Situation, trial_id: str, dispute: DisputeState
    ) -> DisputeContext:
        assert dispute.subject_kind is not None
        stream = StreamName(trial_id, StreamKind.DISPUTE, dispute.dispute_id)
        s = Situation(stream, situation.trial, situation.states, situation.directory)
        kind = SUBJECT_RECORD_KINDS[dispute.subject_kind]
        subject = await subject_record(s, kind, dispute.subject_id)
        return DisputeContext(charter=situation.trial.charter, subject=subject)

    async def _since(self, trial_id: str, waiting: Waiting, versions: dict[str, int]) -> str | None:
        if waiting.since is not None:
            return waiting.since
        if waiting.since_event is None:
            return None
        stream_id = f"{trial_stream(trial_id)}/{waiting.record}"
        version = 1 if waiting.since_event is Since.FIRST_EVENT else versions.get(stream_id, 0)
        if version < 1:
            return None
        return await self._time_of(stream_id, version)

    async def _time_of(self, stream_id: str, version: int) -> str | None:
        key = (stream_id, version)
        known = self._times.get(key)
        if known is not None:
            self._times.move_to_end(key)
            return known
        found = await self._store.read_stream(stream_id, from_version=version, limit=1)
        if not found:
            return None
        text = instant_text(found[0].recorded_at, "an event's time")
        self._times[key] = text
        if len(self._times) > SINCE_CACHE:
            self._times.popitem(last=False)
        return text

    async def _erasure_items(self, user_id: str) -> list[InboxItem]:
        admin = self._authorizer.allows_system(user_id, SystemAction.ADMINISTER_ACCOUNTS)
        items = []
        for folded in await self._erasures.pending_requests():
            pending = folded.pending
            if pending is None:
                continue
            mine = await self._erasures.approvable_by(pending, user_id, system_admin=admin)
            if not mine:
                continue
            account = await self._accounts.get(folded.user_id)
            whose = f"{account.printed_name} ({folded.user_id})" if account else folded.user_id
            since = (
                instant_text(folded.requested_at, "a request's time")
                if folded.requested_at
                else None
            )
            for trial_id in mine:
                entry = self._directory.trial(trial_id) if trial_id else None
                items.append(
                    InboxItem(
                        kind=InboxKind.ERASURE_APPROVAL.value,
                        trial_id=trial_id or "",
                        trial_title=entry.title if entry else "",
                        title=(f"Approve erasing the personal data of {whose}: {pending.reason}"),
                        link="#/erasure-requests",
                        since=since,
                        record=f"account/{folded.user_id}",
                    )
                )
        return items


def _abilities(allowed: Iterable[Any]) -> Abilities:
    actions = set(allowed)
    return Abilities(
        sign=Action.SIGN_AMENDMENT in actions,
        merge=Action.MERGE_AMENDMENT in actions,
        vote=Action.VOTE in actions,
        handle_disputes=Action.HANDLE_DISPUTE in actions,
        disposition=Action.DISPOSITION_FEEDBACK in actions,
        approve_for_site=Action.APPROVE_FOR_SITE in actions,
        activate_site=Action.ACTIVATE_SITE in actions,
    )


_PAGES = {
    "amendment": "amendments",
    "motion": "motions",
    "dispute": "disputes",
}


def link_for(trial_id: str, record: str) -> str:
    """The web page (the router's ``#/t/...`` address) where ``record`` is acted on."""
    base = f"#/t/{quote(trial_id, safe='')}"
    kind, _, rest = record.partition("/")
    if kind in _PAGES:
        return f"{base}/{_PAGES[kind]}/{quote(rest, safe='')}"
    if kind == "comments":
        subject_kind, _, subject = rest.partition("/")
        page = "protocol" if subject_kind == CommentSubjectKind.SECTION.value else "amendments"
        return f"{base}/{page}/{quote(subject, safe='')}"
    return base  # sites: the overview's table of investigator sites


def _oldest_first(item: InboxItem) -> tuple[bool, str, str, str]:
    return (item.since is None, item.since or "", item.trial_id, item.record)
