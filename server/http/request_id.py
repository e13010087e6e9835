"""The ``X-Request-ID`` header: the client's id for a command, kept in each event's meta.

It is written into the permanent log and sent to every live listener of the trial, so it
is bounded like the ``Idempotency-Key``: 1 to 128 visible ASCII characters (a UUID, a
W3C trace id or a ULID fits). Anything else is refused before anything is decided.
"""

from __future__ import annotations

import random
import re

from starlette.requests import Request

from server.http.problems import Problem

HEADER = "X-Request-ID"
MAX_LENGTH = 128
PATTERN = rf"[\x21-\x7e]{{1,{MAX_LENGTH}}}"
"""1 to 128 visible ASCII characters, no spaces (a regular expression, also in the
OpenAPI document)."""
_REQUEST_ID = re.compile(PATTERN)


def request_id(request: Request) -> str:
    """The request's ``X-Request-ID``, or a new id without one; a 400 problem when the
    header is not 1 to 128 visible ASCII characters."""
    sent = request.headers.get(HEADER)
    if sent is None:
        return new_request_id()
    if not _REQUEST_ID.fullmatch(sent):
        raise Problem(
            400,
            "malformed-request-id",
            f"{HEADER} must be 1 to {MAX_LENGTH} visible ASCII characters (no spaces),"
            " such as a UUID; it is recorded with what the request changes",
            title="Malformed request id",
        )
    return sent


def new_request_id() -> str:
    """32 hex digits, like a UUID's: an id to correlate by, not a secret, so drawn from
    the fast non-cryptographic generator (``os.urandom`` costs ~0.1 ms on some VMs)."""
    return f"{random.getrandbits(128):032x}"
