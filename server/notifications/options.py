"""``concord serve``'s mail options: ``--smtp URL`` (or CONCORD_SMTP_URL), ``--mail-from``
(CONCORD_MAIL_FROM), ``--public-url`` (CONCORD_PUBLIC_URL) and ``--digest-hour``
(CONCORD_DIGEST_HOUR). Without ``--smtp`` no mail is sent or queued."""

from __future__ import annotations

import argparse
import os
from typing import Any

from server.notifications.settings import DEFAULT_DIGEST_HOUR, MailSettings, parse_smtp_url


def add_mail_options(serve: Any) -> None:
    """Add the mail options to the ``serve`` subcommand's parser."""
    serve.add_argument(
        "--smtp",
        default=os.environ.get("CONCORD_SMTP_URL"),
        metavar="URL",
        help="send notification mails through this server: smtp://[user:password@]host[:port],"
        " smtp+starttls://... or smtps://... (default: CONCORD_SMTP_URL; none: no mail)",
    )
    serve.add_argument(
        "--mail-from",
        default=os.environ.get("CONCORD_MAIL_FROM"),
        metavar="ADDRESS",
        help="the sender of notification mails (default: CONCORD_MAIL_FROM, else"
        " concord@ the mail server's host)",
    )
    serve.add_argument(
        "--public-url",
        default=os.environ.get("CONCORD_PUBLIC_URL"),
        metavar="URL",
        help="the address people open Concord at, for the links in mails (default:"
        " CONCORD_PUBLIC_URL, else the served address)",
    )
    serve.add_argument(
        "--digest-hour",
        type=int,
        default=int(os.environ.get("CONCORD_DIGEST_HOUR") or DEFAULT_DIGEST_HOUR),
        metavar="H",
        help="the hour of the day (0-23, UTC) the daily digests go out (default: 7)",
    )


def mail_settings(
    parser: argparse.ArgumentParser, args: argparse.Namespace, served_at: str
) -> MailSettings | None:
    """The mail settings the options give (None without ``--smtp``); a bad option is a
    usage error."""
    if not args.smtp:
        return None
    try:
        smtp = parse_smtp_url(args.smtp)
        return MailSettings(
            smtp=smtp,
            mail_from=args.mail_from or f"concord@{smtp.host}",
            public_url=args.public_url or served_at,
            digest_hour=args.digest_hour,
        )
    except ValueError as refused:
        parser.error(f"--smtp: {refused}")
