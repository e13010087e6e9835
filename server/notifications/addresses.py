"""What Concord accepts as an email address (one mailbox, as a person types it)."""

from __future__ import annotations

import re

from server.notifications.tables import ADDRESS_MAX


class InvalidAddress(ValueError):
    """Not an address Concord can send to; the message says why."""


# local@domain: no spaces, quotes, angle brackets or commas (one mailbox, not a list or a
# display name); a domain of dot-separated labels with a top-level part
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}"
)


def checked_address(text: str) -> str:
    """``text`` without surrounding spaces if it is one plain address, else InvalidAddress."""
    address = text.strip()
    if not address:
        raise InvalidAddress("an email address is needed to send you mail")
    if len(address) > ADDRESS_MAX:
        raise InvalidAddress(f"an email address has at most {ADDRESS_MAX} characters")
    if not _ADDRESS.fullmatch(address):
        raise InvalidAddress(
            f"{address[:80]!r} is not an email address such as name@example.org"
            " (one address, no name or angle brackets)"
        )
    local = address.split("@", 1)[0]
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidAddress(f"{address[:80]!r}: the part before @ has a misplaced dot")
    return address
