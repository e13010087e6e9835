"""From what waits in people's inboxes to mails: immediate ones after a trial's events,
daily digests at the digest hour (docs/notifications.md).

:class:`Notifier` is the log follower's last projection. Applying an event of a trial
only marks the trial; a task gathers the marked trials for :attr:`MailSettings.debounce`
seconds, then recomputes, one trial at a time, the inbox of each member who chose
immediate mails, and queues one mail per member for the items they were not told of yet
(recorded in ``notification_items`` with the mail, in the transaction that queues it).
Without mail settings (no ``--smtp``) it does nothing at all: nothing is computed, queued
or sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.streams import StreamKind, parse_stream
from events import RecordedEvent
from server.accounts.tables import read_clock, users
from server.commands.directory import Directory
from server.notifications.mails import WaitingItem, digest_mail, immediate_mail, item_key
from server.notifications.outbox import Outbox, queue_mail
from server.notifications.preferences import NotificationMode, Preference, Preferences
from server.notifications.settings import MailSettings
from server.notifications.tables import notification_items, notification_preferences

logger = logging.getLogger(__name__)


class InboxSource(Protocol):
    """What waits for a person, in every trial (``server.inbox``)."""

    async def items_for(self, user_id: str) -> Sequence[WaitingItem]:
        """Everything that waits for ``user_id``."""
        ...

    async def trial_items(self, user_id: str, trial_id: str) -> Sequence[WaitingItem]:
        """What waits for ``user_id`` in one trial."""
        ...


class Notifier:
    """Queues the notification mails; the follower's projection that triggers them."""

    name = "email notifications"

    def __init__(
        self,
        engine: AsyncEngine,
        settings: MailSettings | None,
        *,
        clock: Callable[[], datetime],
        directory: Directory,
        inbox: InboxSource | None,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._clock = clock
        self._directory = directory
        self._inbox = inbox
        self.preferences = Preferences(engine)
        self._outbox = Outbox(engine, settings, clock) if settings is not None else None
        self._dirty: dict[str, None] = {}
        self._recomputing: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []

    @property
    def sends_mail(self) -> bool:
        """Whether this server sends notification mails (``--smtp`` was given)."""
        return self._settings is not None and self._inbox is not None

    @property
    def digest_hour(self) -> int | None:
        return self._settings.digest_hour if self._settings is not None else None

    def start(self) -> None:
        """Send queued mails (those of before a restart too) and the daily digests."""
        if self._outbox is None or not self.sends_mail:
            return
        self._outbox.start()
        self._background = [
            asyncio.create_task(self._digest_every_day(), name="notification digests"),
        ]

    async def close(self) -> None:
        """Stop queuing; the mail being sent is sent (and recorded), the others wait in
        the table for the next start."""
        if self._outbox is not None:
            await self._outbox.stop()
        tasks = [*self._background, *([self._recomputing] if self._recomputing else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- the follower's projection -------------------------------------------------

    async def catch_up(self, head: int) -> None:
        """Nothing: mails are about what appears from now on (queued ones survive)."""

    def apply(self, event: RecordedEvent) -> None:
        if not self.sends_mail:
            return
        stream = parse_stream(event.stream_id)
        if stream is None or stream.kind is StreamKind.TEXT:  # keystrokes change no inbox
            return
        self._dirty[stream.trial_id] = None
        if self._recomputing is None:
            self._recomputing = asyncio.create_task(self._recompute(), name=self.name)

    def stopped(self, failure: BaseException | None) -> None:
        if self._recomputing is not None:
            self._recomputing.cancel()

    async def settled(self) -> None:
        """Return once the trials marked so far are recomputed (their mails queued)."""
        while (task := self._recomputing) is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def _recompute(self) -> None:
        assert self._settings is not None
        try:
            await asyncio.sleep(self._settings.debounce)  # gather a burst of events
            while self._dirty:
                trial_id = next(iter(self._dirty))
                del self._dirty[trial_id]
                try:
                    await self._notify_trial(trial_id)
                except Exception:  # a mail not queued must never stop the others
                    logger.exception("could not work out the notifications of %s", trial_id)
        finally:
            self._recomputing = None

    async def _notify_trial(self, trial_id: str) -> None:
        entry = self._directory.trial(trial_id)
        if entry is None or self._inbox is None:
            return
        table = notification_preferences
        members = sorted(entry.members)
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    _mailed(NotificationMode.IMMEDIATE).where(table.c.user_id.in_(members))
                )
            ).all()
        for user_id, email, name in rows:
            items = await self._inbox.trial_items(user_id, trial_id)
            await self._tell(user_id, str(email), str(name), entry.title, trial_id, items)

    async def _tell(
        self,
        user_id: str,
        email: str,
        name: str,
        trial_title: str,
        trial_id: str,
        items: Sequence[WaitingItem],
    ) -> None:
        assert self._settings is not None
        assert self._outbox is not None
        table = notification_items
        keys = {item_key(item): item for item in items}
        async with self._engine.connect() as conn:
            known = set(
                (
                    await conn.execute(
                        select(table.c.item_key).where(
                            table.c.user_id == user_id, table.c.trial_id == trial_id
                        )
                    )
                ).scalars()
            )
        new = [item for key, item in keys.items() if key not in known]
        gone = known - keys.keys()
        if not new and not gone:
            return
        now = read_clock(self._clock)
        try:
            async with self._engine.begin() as conn:
                if gone:  # waits no more: should it wait again later, it is news again
                    await conn.execute(
                        delete(table).where(table.c.user_id == user_id, table.c.item_key.in_(gone))
                    )
                if not new:
                    return
                mail = immediate_mail(name, trial_title, new, self._settings.public_url)
                mail_id = await queue_mail(
                    conn, user_id=user_id, kind="immediate", to=email, mail=mail, now=now
                )
                await conn.execute(
                    insert(table),
                    [
                        {
                            "user_id": user_id,
                            "item_key": item_key(item),
                            "trial_id": trial_id,
                            "noticed_at": now,
                            "mail_id": mail_id,
                        }
                        for item in new
                    ],
                )
        except IntegrityError:  # another process told them first
            return
        self._outbox.wake()

    # --- choosing -----------------------------------------------------------------

    async def choose(self, user_id: str, mode: NotificationMode, email: str | None) -> Preference:
        """Save a person's choice (InvalidAddress for a bad address). Choosing immediate
        mails counts what waits now as told: mails are about what comes next."""
        before = await self.preferences.of(user_id)
        chosen = await self.preferences.choose(user_id, mode, email, read_clock(self._clock))
        if (
            mode is NotificationMode.IMMEDIATE
            and before.mode is not NotificationMode.IMMEDIATE
            and self._inbox is not None
        ):
            await self._count_as_told(user_id, await self._inbox.items_for(user_id))
        return chosen

    async def _count_as_told(self, user_id: str, items: Sequence[WaitingItem]) -> None:
        table = notification_items
        now = read_clock(self._clock)
        async with self._engine.begin() as conn:
            known = set(
                (
                    await conn.execute(select(table.c.item_key).where(table.c.user_id == user_id))
                ).scalars()
            )
            rows = [
                {"user_id": user_id, "item_key": key, "trial_id": item.trial_id, "noticed_at": now}
                for key, item in {item_key(item): item for item in items}.items()
                if key not in known
            ]
            if rows:
                with contextlib.suppress(IntegrityError):
                    await conn.execute(insert(table), rows)

    # --- digests ------------------------------------------------------------------

    def digest_due_since(self, now: datetime) -> datetime:
        """The start of the digest day ``now`` is in: the latest digest hour at or before it."""
        assert self._settings is not None
        today = now.replace(hour=self._settings.digest_hour, minute=0, second=0, microsecond=0)
        return today if today <= now else today - timedelta(days=1)

    async def send_digests(self, now: datetime) -> int:
        """Queue the digest of everyone who chose it and has not had one since the digest
        hour before ``now`` (nothing for those whom nothing awaits); how many were queued."""
        if not self.sends_mail:
            return 0
        assert self._settings is not None
        assert self._outbox is not None
        assert self._inbox is not None
        since = self.digest_due_since(now)
        table = notification_preferences
        due = (table.c.last_digest_at.is_(None)) | (table.c.last_digest_at < since)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_mailed(NotificationMode.DIGEST).where(due))).all()
        queued = 0
        for user_id, email, name in rows:
            items = await self._inbox.items_for(user_id)
            async with self._engine.begin() as conn:
                taken = await conn.execute(
                    update(table).where(table.c.user_id == user_id, due).values(last_digest_at=now)
                )
                if taken.rowcount != 1 or not items:  # sent elsewhere, or nothing waits
                    continue
                mail = digest_mail(str(name), items, self._settings.public_url)
                queued_at = read_clock(self._clock)  # due now, whatever day ``now`` names
                await queue_mail(
                    conn, user_id=user_id, kind="digest", to=str(email), mail=mail, now=queued_at
                )
                queued += 1
        if queued:
            self._outbox.wake()
        return queued

    async def _digest_every_day(self) -> None:
        while True:
            now = read_clock(self._clock)
            try:
                await self.send_digests(now)
            except Exception:
                logger.exception("could not queue the daily digests")
            wait = self.digest_due_since(now) + timedelta(days=1) - now
            await asyncio.sleep(max(1.0, wait.total_seconds()))


def _mailed(mode: NotificationMode) -> Select[str, str | None, str]:
    """Who chose ``mode`` with an address: user id, address, printed name; never a
    disabled account (someone who left is not sent what happens in a trial)."""
    table = notification_preferences
    return (
        select(table.c.user_id, table.c.email, users.c.printed_name)
        .join(users, users.c.id == table.c.user_id)
        .where(table.c.mode == mode.value, table.c.email.is_not(None), users.c.disabled.is_(False))
    )
