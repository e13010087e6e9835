"""How this server sends mail: ``--smtp URL``, ``--mail-from``, ``--public-url`` and
the digest's hour (docs/notifications.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit


class SmtpSecurity(StrEnum):
    """How the connection to the mail server is protected."""

    NONE = "none"
    """``smtp://``: plain SMTP (a relay on the same host or network)."""
    STARTTLS = "starttls"
    """``smtp+starttls://``: plain SMTP upgraded with STARTTLS before anything is sent."""
    TLS = "tls"
    """``smtps://``: TLS from the first byte (port 465)."""


_SCHEMES = {
    "smtp": (SmtpSecurity.NONE, 25),
    "smtp+starttls": (SmtpSecurity.STARTTLS, 587),
    "smtps": (SmtpSecurity.TLS, 465),
}


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """A mail server to submit mails to."""

    host: str
    port: int
    security: SmtpSecurity = SmtpSecurity.NONE
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"SmtpServer({self.security.value}://{self.host}:{self.port})"


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://[user:password@]host[:port]``, ``smtp+starttls://...`` or ``smtps://...``
    (user and password percent-encoded); ValueError names what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ValueError(
            f"{parts.scheme or url!r} is not a mail server URL: use smtp://, smtp+starttls://"
            " or smtps://, e.g. smtp://127.0.0.1:25"
        )
    security, default_port = _SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError(f"the port in {parts.netloc!r} is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError("the mail server URL names no host, e.g. smtp://mail.example:25")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("a mail server URL has no path, query or fragment")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpServer(parts.hostname, port, security, username, password)


DEFAULT_DIGEST_HOUR = 7
"""The hour (UTC) a daily digest goes out unless ``--digest-hour`` says otherwise."""


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Sending notifications: given only when ``--smtp`` names a server."""

    smtp: SmtpServer
    mail_from: str
    public_url: str
    """The address people open Concord at; mails link to it."""
    digest_hour: int = DEFAULT_DIGEST_HOUR
    """The hour of the day (UTC) the daily digests go out."""
    debounce: float = 1.0
    """Seconds to gather a trial's events before its members' inboxes are recomputed."""
    retry_after: float = 30.0
    """Seconds before the first retry of a failed send; each next wait doubles, up to an hour."""
    max_attempts: int = 12
    """Sends of one mail before it is given up (logged)."""
    timeout: float = 30.0
    """Seconds a connection to the mail server may take for each step."""

    def __post_init__(self) -> None:
        if "@" not in self.mail_from or any(c in self.mail_from for c in "\r\n<>,"):
            raise ValueError(
                f"--mail-from {self.mail_from!r} is not one address, such as concord@example.org"
            )
        if not 0 <= self.digest_hour <= 23:
            raise ValueError(f"the digest hour is 0 to 23 (UTC), not {self.digest_hour}")
        if urlsplit(self.public_url).scheme not in ("http", "https"):
            raise ValueError(f"the public URL must be http(s)://..., not {self.public_url!r}")
