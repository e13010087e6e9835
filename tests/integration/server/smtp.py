"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1, in a thread of its own) and
the mailbox of what it received."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session

from server.notifications.settings import MailSettings, SmtpServer

PATIENCE = 15.0
"""Seconds a test waits for a mail before failing."""


class Mailbox:
    """What the SMTP server received; refuses every mail with a 451 while ``refusing``."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.refused = 0
        self.refusing = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if self.refusing:
            self.refused += 1
            return "451 4.3.0 try again later"
        content = envelope.content
        assert isinstance(content, bytes)
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(message)
        return "250 OK"

    def mails(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.received)

    async def wait_for(self, count: int) -> list[EmailMessage]:
        """The mails once ``count`` have arrived (polled with a deadline)."""
        deadline = asyncio.get_running_loop().time() + PATIENCE
        while len(mails := self.mails()) < count:
            assert asyncio.get_running_loop().time() < deadline, f"{len(mails)} mails, not {count}"
            await asyncio.sleep(0.02)
        return mails

    async def wait_for_refusals(self, count: int) -> None:
        deadline = asyncio.get_running_loop().time() + PATIENCE
        while self.refused < count:
            assert asyncio.get_running_loop().time() < deadline, f"{self.refused} refusals"
            await asyncio.sleep(0.02)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1, in its own thread; its mailbox and port."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def mail_settings(port: int, public_url: str) -> MailSettings:
    """Mail through the test's server, retried quickly, with inboxes recomputed at once."""
    return MailSettings(
        smtp=SmtpServer("127.0.0.1", port),
        mail_from="concord@concord.example",
        public_url=public_url,
        debounce=0.01,
        retry_after=0.05,
    )


def text_of(mail: EmailMessage) -> str:
    """A mail's plain text part."""
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content
