"""The outbox: mails queued in a table, sent with :mod:`smtplib` in a worker thread.

A mail is queued in the same transaction that records which items it tells of, so a
restart neither loses it (it is still queued) nor sends it twice (it is marked sent, and
its items are known). Sending never runs on the event loop and never fails a command: a
refused or unreachable server leaves the mail queued for a retry after a wait that
doubles (logged), until :attr:`MailSettings.max_attempts`. Several processes may share
the table: each claims a mail for a while before sending it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.accounts.tables import new_id, read_clock
from server.notifications.mails import Composed
from server.notifications.settings import MailSettings, SmtpSecurity
from server.notifications.tables import notification_mails

logger = logging.getLogger(__name__)

CLAIM = timedelta(minutes=5)
"""How long a process holds a mail it is sending before another may try it."""
LONGEST_WAIT = timedelta(hours=1)
BATCH = 20
IDLE_CHECK = 60.0
"""Seconds between looks at the table when nothing is due here (another process's mails)."""


async def queue_mail(
    conn: AsyncConnection, *, user_id: str, kind: str, to: str, mail: Composed, now: datetime
) -> str:
    """Queue ``mail`` in the caller's transaction; its id."""
    mail_id = new_id("mail")
    await conn.execute(
        insert(notification_mails).values(
            mail_id=mail_id,
            user_id=user_id,
            kind=kind,
            to_address=to,
            subject=mail.subject,
            body_text=mail.text,
            body_html=mail.html,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    return mail_id


class Outbox:
    """Sends the queued mails in the background (:meth:`run`); :meth:`wake` after queuing."""

    def __init__(
        self, engine: AsyncEngine, settings: MailSettings, clock: Callable[[], datetime]
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._clock = clock
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Send in the background until :meth:`stop`."""
        self._task = asyncio.create_task(self.run(), name="send notification mails")

    async def stop(self) -> None:
        """Let the mail being sent finish (and be recorded), send no other; then return."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=self._settings.timeout)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        """Look for due mails now (one was queued)."""
        self._wake.set()

    async def run(self) -> None:
        """Send what is due, then wait for a wake-up or the next due mail; until cancelled."""
        while not self._stopping:
            self._wake.clear()
            try:
                wait = await self.send_due()
            except Exception:  # the database: try again later, never stop sending for good
                logger.exception("could not read the mail outbox")
                wait = IDLE_CHECK
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def send_due(self) -> float:
        """Send every mail due now; the seconds until the next one is due (at most
        :data:`IDLE_CHECK`)."""
        while not self._stopping:
            now = read_clock(self._clock)
            row = await self._claim(now)
            if row is None:
                return await self._next_due_in(now)
            await self._send_one(row)
        return 0.0

    async def _claim(self, now: datetime) -> dict[str, object] | None:
        """The next due mail, claimed by this process (None: none is due)."""
        table = notification_mails
        waiting = and_(
            table.c.sent_at.is_(None),
            table.c.given_up_at.is_(None),
            table.c.next_attempt_at <= now,
            or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
        )
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(table).where(waiting).order_by(table.c.next_attempt_at).limit(BATCH)
                )
            ).mappings()
            candidates = [dict(row) for row in rows]
        for row in candidates:
            async with self._engine.begin() as conn:
                taken = await conn.execute(
                    update(table)
                    .where(table.c.mail_id == row["mail_id"], waiting)
                    .values(claimed_until=now + CLAIM)
                )
            if taken.rowcount == 1:
                return row
        return None

    async def _next_due_in(self, now: datetime) -> float:
        table = notification_mails
        async with self._engine.connect() as conn:
            soonest = await conn.scalar(
                select(table.c.next_attempt_at)
                .where(table.c.sent_at.is_(None), table.c.given_up_at.is_(None))
                .order_by(table.c.next_attempt_at)
                .limit(1)
            )
        if not isinstance(soonest, datetime):
            return IDLE_CHECK
        return min(IDLE_CHECK, max(0.0, (soonest - now).total_seconds()))

    async def _send_one(self, row: dict[str, object]) -> None:
        table = notification_mails
        try:
            await asyncio.to_thread(self._submit, row)
        except (OSError, smtplib.SMTPException) as failure:
            attempts = int(str(row["attempts"])) + 1
            now = read_clock(self._clock)
            wait = min(
                timedelta(seconds=self._settings.retry_after * 2 ** (attempts - 1)), LONGEST_WAIT
            )
            gave_up = attempts >= self._settings.max_attempts
            (logger.error if gave_up else logger.warning)(
                "mail %s to user %s not sent (attempt %d%s): %s",
                row["mail_id"],
                row["user_id"],
                attempts,
                ", given up" if gave_up else f", next in {wait.total_seconds():.0f} s",
                failure,
            )
            values = {
                "attempts": attempts,
                "next_attempt_at": now + wait,
                "claimed_until": None,
                "last_error": str(failure)[:400],
                "given_up_at": now if gave_up else None,
            }
        else:
            values = {"sent_at": read_clock(self._clock), "claimed_until": None}
        async with self._engine.begin() as conn:
            await conn.execute(
                update(table).where(table.c.mail_id == row["mail_id"]).values(**values)
            )

    def _message(self, row: dict[str, object]) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = str(row["to_address"])
        message["Subject"] = str(row["subject"])
        domain = urlsplit(self._settings.public_url).hostname or "concord.invalid"
        message["Message-ID"] = make_msgid(idstring=str(row["mail_id"]), domain=domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
        message.set_content(str(row["body_text"]))
        message.add_alternative(str(row["body_html"]), subtype="html")
        return message

    def _submit(self, row: dict[str, object]) -> None:
        """Hand the mail of ``row`` to the mail server (in a worker thread: it blocks)."""
        message = self._message(row)
        server = self._settings.smtp
        timeout = self._settings.timeout
        client: smtplib.SMTP
        if server.security is SmtpSecurity.TLS:
            context = ssl.create_default_context()
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with client:
            if server.security is SmtpSecurity.STARTTLS:
                client.starttls(context=ssl.create_default_context())
            if server.username is not None:
                client.login(server.username, server.password or "")
            client.send_message(message)
