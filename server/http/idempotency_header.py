"""The ``Idempotency-Key`` header of a command request (see ``server/commands/idempotency.py``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from server.commands.idempotency import IdempotentRequest
from server.http.problems import Problem

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
KEY_PATTERN = rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}"
"""1 to 200 visible ASCII characters (a regular expression, also in the OpenAPI document)."""
_KEY = re.compile(KEY_PATTERN)


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
    return IdempotentRequest.of(user_id, header, request.method, request.url.path, body)
