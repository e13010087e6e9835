"""Reading a request's JSON body: bounded in size, an object, and nothing else."""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.requests import Request

from server.http.problems import Problem

MAX_BODY_BYTES = 1_048_576
"""Largest body accepted (1 MiB): a protocol section is text, not an attachment."""


async def read_json_object(request: Request, *, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object; an empty body reads as ``{}``.

    Refuses (problem+json) a body over ``max_bytes`` (413) before reading it whole, a
    media type other than JSON (415), malformed JSON or anything but an object (400), and
    text holding an invisible control character other than tab and line breaks (422).
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise Problem(
            415,
            "unsupported-media-type",
            f"send the body as application/json, not {media_type or 'without a Content-Type'}",
        )
    try:
        # orjson refuses what could never reach the log: NaN and Infinity, invalid UTF-8,
        # lone surrogates (escaped "\ud800" has no UTF-8 form), nesting past 1,024 levels
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise Problem(400, "malformed-json", f"the body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise Problem(400, "json-object-expected", "the body must be a JSON object")
    _refuse_control_characters(value, "body")
    return value


_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls and DEL, but tab, line feed and carriage return: invisible in a protocol or
a comment, so a reviewer could not see what they sign (NUL also breaks many readers)."""


def _refuse_control_characters(value: Any, where: str) -> None:
    if isinstance(value, str):
        if found := _CONTROL_CHARACTER.search(value):
            raise Problem(
                422,
                "control-character",
                f"{where} holds the invisible control character U+{ord(found[0]):04X}"
                f" at offset {found.start()}; remove it",
                title="The text holds a control character",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(key, f"{where} key")
            _refuse_control_characters(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_control_characters(item, f"{where}[{index}]")


def _too_large(max_bytes: int) -> Problem:
    return Problem(413, "body-too-large", f"the body is larger than {max_bytes} bytes")
