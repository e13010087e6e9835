"""Idempotency keys on commands: a client that cannot tell whether its command was recorded
(the connection dropped) sends it again with the same key and is answered as the first
attempt was, without recording it twice.

The key is the client's, so it is scoped to the caller: the store's key is a digest of
the user id and the client's key, and two users' keys never meet. "The same request" is
the same method, path and JSON body (:func:`request_digest`): the server decides a command
again on each attempt (new ids, the clock, other versions), so the events it would
record cannot tell a retry from another request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_SECRET_FIELDS = frozenset({"password"})
"""Left out of the digest, which is stored: a signing password is checked on every attempt
before the command runs, so leaving it out lets nothing through."""


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """A command request carrying an idempotency key: the store's key and the digest that
    recognises a retry of the same request."""

    key: str
    digest: str

    @classmethod
    def of(
        cls, user_id: str, client_key: str, method: str, path: str, body: Mapping[str, Any]
    ) -> IdempotentRequest:
        """The request ``user_id`` sent with ``client_key``."""
        return cls(
            key=f"http:{_sha256(user_id, client_key)}",
            digest=request_digest(method, path, body),
        )


def request_digest(method: str, path: str, body: Mapping[str, Any]) -> str:
    """SHA-256 over the method, the path and the body as canonical JSON (keys sorted, no
    spaces), without secrets: equal for requests a client means as the same."""
    kept = {name: value for name, value in body.items() if name not in _SECRET_FIELDS}
    return _sha256(method.upper(), path, json.dumps(kept, sort_keys=True, separators=(",", ":")))


def _sha256(*parts: str) -> str:
    # A separator no part can hold (the key is visible ASCII, ids and paths have no NUL).
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
