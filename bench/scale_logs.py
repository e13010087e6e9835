"""The logs ``bench.scale`` serves: a big trial in a realistic mix, and long comment threads.

Each log is an SQLite file in a folder of its own choosing, written once and reused: it is
named ready (a ``.ready`` file beside it) only when complete, so a generation cut short is
written again. Every log holds a real account (``USERNAME``, ``PASSWORD``) that is a trial
admin and an auditor of every trial in it, and a small trial (``SMALL``) whose reads are
the unrelated requests timed while a big one warms up.

**The big trial** (``bench.replay``'s ``TRIAL``) is ``bench.replay.write_trial``'s mix
(section revisions, comments, motions and votes, one event in ten of another trial), with
``TEXT_SHARE`` of the log made of co-editing: real Yjs updates (pycrdt, as
``bench.coediting.typed_history`` types them), one ``SharedTextEdited`` event each, in the
shared texts of ``TEXT_SECTIONS`` sections, a session of typing in one section between
each of ``write_trial``'s batches.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import math
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from bench.coediting import typed_history
from bench.replay import TRIAL as BIG_TRIAL
from bench.replay import write_trial
from domain.catalog import to_data
from domain.charter import DEFAULT_CHARTER
from domain.engagement import CommentPosted, CommentSubjectKind
from domain.event import Event
from domain.protocol_events import ProtocolDrafted, SectionText
from domain.roles import OrganizationKind, Role
from domain.shared_text import SharedTextEdited, SharedTextStarted
from domain.streams import comments_stream, protocol_stream, shared_text_stream, trial_stream
from domain.workspace_events import MemberAdded, OrganizationAdmitted, RoleGranted, TrialCreated
from events import AppendResult, EventStore, NewEvent, StreamAppend, open_store
from server.bootstrap_accounts import open_accounts
from server.coediting.rich_text import first_state
from server.demo import PROTOCOL_TEXTS

__all__ = [
    "BIG_TRIAL",
    "PASSWORD",
    "SMALL",
    "TEXT_SECTIONS",
    "THREAD_SECTION",
    "USERNAME",
    "big_log",
    "thread_log",
    "thread_trial",
]

USERNAME = "scale-auditor"
PASSWORD = "a passphrase for the scale bench"
SMALL = "small-1"
THREAD_SECTION = "1"
"""The section the long comment threads are about."""
ORGANIZATION = "org-scale"
CO_AUTHOR = "u-co-author"
"""Who types into the shared texts with the account (an id only: never signs in)."""
TEXT_SHARE = 0.3
TEXT_SECTIONS = tuple(PROTOCOL_TEXTS)[:8]
BATCH = 2_000


def big_log(folder: Path, events: int) -> Path:
    """The big trial's log of about ``events`` events in ``folder`` (written if missing)."""
    return _ready(folder / f"scale-{events}.sqlite", _BigTrial(events).write)


def thread_log(folder: Path, comments: int) -> Path:
    """A log whose trial ``thread_trial(comments)`` holds one thread of ``comments``."""
    return _ready(folder / f"thread-{comments}.sqlite", _Thread(comments).write)


def thread_trial(comments: int) -> str:
    return f"thread-{comments}"


Writing = Callable[[EventStore, str], Awaitable[None]]
"""Writes a log's own events, given the account's user id."""


def _ready(path: Path, write: Writing) -> Path:
    marker = path.with_name(path.name + ".ready")
    if marker.exists():
        return path
    for stale in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(_write(f"sqlite:///{path}", write))
    marker.touch()
    return path


async def _write(url: str, write: Writing) -> None:
    async with open_accounts(url) as tools:
        user = await tools.accounts.create_user(USERNAME, "Sam Scale", PASSWORD)
    store = await open_store(url)
    try:
        await store.append(*_trial(SMALL, user.user_id, "A small trial"))
        await write(store, user.user_id)
    finally:
        await store.close()


def _recorded(event: Event, actor: str) -> NewEvent:
    return NewEvent(event.event_type, to_data(event), event.schema_version, {"actor": actor})


def _membership(trial_id: str, user_id: str) -> list[NewEvent]:
    """The account admitted with its organization, and made trial admin and auditor."""
    events: list[Event] = [
        OrganizationAdmitted(
            trial_id=trial_id, organization_id=ORGANIZATION, name="Scale Sponsor",
            kind=OrganizationKind.SPONSOR, admitted_by=user_id,
        ),
        MemberAdded(
            trial_id=trial_id, user_id=user_id, printed_name="Sam Scale",
            organization_id=ORGANIZATION, added_by=user_id,
        ),
        *(
            RoleGranted(trial_id=trial_id, user_id=user_id, role=role, reason="the scale bench",
                        granted_by=user_id)
            for role in (Role.TRIAL_ADMIN, Role.AUDITOR)
        ),
    ]  # fmt: skip
    return [_recorded(event, user_id) for event in events]


def _trial(trial_id: str, user_id: str, title: str) -> list[StreamAppend]:
    """A trial founded by the account, its protocol drafted from the demo's M11 text."""
    created = TrialCreated(
        trial_id=trial_id, title=title, charter=DEFAULT_CHARTER, created_by=user_id
    )
    sections = tuple(
        SectionText(number=n, heading=f"Section {n}", text=t) for n, t in PROTOCOL_TEXTS.items()
    )
    drafted = ProtocolDrafted(trial_id=trial_id, title=title, sections=sections, drafted_by=user_id)
    return [
        StreamAppend(
            trial_stream(trial_id), [_recorded(created, user_id), *_membership(trial_id, user_id)]
        ),
        StreamAppend(protocol_stream(trial_id), [_recorded(drafted, user_id)]),
    ]


@dataclass
class _BigTrial:
    events: int

    async def write(self, store: EventStore, user_id: str) -> None:
        texts = round(self.events * TEXT_SHARE)
        mixed = _WithSharedTexts(store, user_id, texts)
        # write_trial appends only (its one use of the store), which _WithSharedTexts passes on
        await write_trial(cast(EventStore, mixed), self.events - texts)
        await mixed.rest()


class _WithSharedTexts:
    """Passes ``write_trial``'s appends to the store. After its first (the trial's
    creation) come the account's membership and the shared texts' starts; after each
    batch, a session of typing in one section, so that the updates are spread through
    the log and number ``texts`` in all."""

    def __init__(self, store: EventStore, user_id: str, texts: int) -> None:
        self._store, self._user_id, self._texts = store, user_id, texts
        self._started = False
        writers = [user_id, CO_AUTHOR]
        per_section = math.ceil(texts / len(TEXT_SECTIONS))
        self._typing = [
            (number, typed_history(per_section, writers, seed=i))
            for i, number in enumerate(TEXT_SECTIONS)
        ]
        self._sessions = itertools.cycle(self._typing)
        self._written = 0

    async def append(self, *streams: StreamAppend, **_: Any) -> AppendResult:
        appended = await self._store.append(*streams)
        if not self._started:
            self._started = True
            await self._store.append(
                StreamAppend(trial_stream(BIG_TRIAL), _membership(BIG_TRIAL, self._user_id)),
                *(self._start(number) for number in TEXT_SECTIONS),
            )
        if self._written < self._texts:
            batch = sum(len(s.events) for s in streams)
            session = round(batch * TEXT_SHARE / (1 - TEXT_SHARE))
            await self._type(*next(self._sessions), min(session, self._texts - self._written))
        return appended

    async def rest(self) -> None:
        """What is left to type (rounding), in the sections in turn."""
        for number, updates in itertools.cycle(self._typing):
            if self._written >= self._texts:
                return
            await self._type(number, updates, min(BATCH, self._texts - self._written))

    def _start(self, number: str) -> StreamAppend:
        started = SharedTextStarted(
            trial_id=BIG_TRIAL, number=number, from_revision=1, started_by=self._user_id,
            update=base64.b64encode(first_state(PROTOCOL_TEXTS[number])).decode("ascii"),
        )  # fmt: skip
        stream = shared_text_stream(BIG_TRIAL, number)
        return StreamAppend(stream, [_recorded(started, self._user_id)])

    async def _type(self, number: str, updates: Iterator[tuple[str, bytes]], count: int) -> None:
        edits = [
            _recorded(
                SharedTextEdited(
                    trial_id=BIG_TRIAL, number=number, edited_by=who,
                    update=base64.b64encode(update).decode("ascii"),
                ),
                who,
            )
            for who, update in itertools.islice(updates, count)
        ]  # fmt: skip
        if edits:
            await self._store.append(StreamAppend(shared_text_stream(BIG_TRIAL, number), edits))
        self._written += len(edits)


@dataclass
class _Thread:
    comments: int

    async def write(self, store: EventStore, user_id: str) -> None:
        trial_id = thread_trial(self.comments)
        await store.append(*_trial(trial_id, user_id, f"A thread of {self.comments:,}"))
        stream = comments_stream(trial_id, CommentSubjectKind.SECTION, THREAD_SECTION)
        authors: Sequence[str] = (user_id, CO_AUTHOR)
        for start in range(0, self.comments, BATCH):
            posted = [
                _recorded(
                    CommentPosted(
                        trial_id=trial_id, subject_kind=CommentSubjectKind.SECTION,
                        subject_id=THREAD_SECTION, comment_id=f"C-{n}",
                        text=f"Comment {n}: please clarify the visit window.",
                        author_id=authors[n % 2], needs_disposition=False,
                        in_reply_to=f"C-{n - 1}" if n % 5 else None,
                    ),
                    authors[n % 2],
                )
                for n in range(start + 1, min(start + BATCH, self.comments) + 1)
            ]  # fmt: skip
            await store.append(StreamAppend(stream, posted))
