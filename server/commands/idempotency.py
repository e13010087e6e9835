"""Idempotency keys on command requests: a client that cannot tell whether its command was
recorded (the connection dropped) sends it again with the same ``Idempotency-Key`` and is
answered as the first attempt was, without recording it twice.

The key is the client's, so it is scoped to the caller: the store's key is a digest of
the user id and the header, and two users' keys never meet. "The same request" is the
same method, path and JSON body (:func:`request_digest`): the server decides a command
again on each attempt (new ids, the clock, other versions), so the events it would
record cannot tell a retry from another request.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from server.http.problems import Problem

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
KEY_PATTERN = rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}"
"""1 to 200 visible ASCII characters (a regular expression, also in the OpenAPI document)."""
_KEY = re.compile(KEY_PATTERN)
_SECRET_FIELDS = frozenset({"password"})
"""Left out of the digest, which is stored: a signing password is checked on every attempt
before the command runs, so leaving it out lets nothing through."""


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """A command request carrying an idempotency key: the store's key and the digest that
    recognises a retry of the same request."""

    key: str
    digest: str


def idempotent_request(
    request: Request, user_id: str, body: Mapping[str, Any]
) -> IdempotentRequest | None:
    """The request's idempotency key scoped to ``user_id``, or None without the header;
    a 400 problem if the header is not 1 to 200 visible ASCII characters."""
    header = request.headers.get(HEADER)
    if header is None:
        return None
    if not _KEY.fullmatch(header):
        raise Problem(
            400,
            "malformed-idempotency-key",
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (no spaces)",
            title="Malformed idempotency key",
        )
    return IdempotentRequest(
        key=f"http:{_sha256(user_id, header)}",
        digest=request_digest(request.method, request.url.path, body),
    )


def request_digest(method: str, path: str, body: Mapping[str, Any]) -> str:
    """SHA-256 over the method, the path and the body as canonical JSON (keys sorted, no
    spaces), without secrets: equal for requests a client means as the same."""
    kept = {name: value for name, value in body.items() if name not in _SECRET_FIELDS}
    return _sha256(method.upper(), path, json.dumps(kept, sort_keys=True, separators=(",", ":")))


def key_reused() -> Problem:
    """The problem for a key that came back with a different request."""
    return Problem(
        422,
        "idempotency-key-reused",
        f"this {HEADER} was already used for a different request; nothing was recorded."
        " Use a new key for a new request",
        title="Idempotency key reused",
    )


def _sha256(*parts: str) -> str:
    # A separator no part can hold (the key is visible ASCII, ids and paths have no NUL).
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
