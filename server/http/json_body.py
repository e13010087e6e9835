"""Reading a request's JSON body: bounded in size, an object, and nothing else."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request

from domain.visible_text import require_visible
from server.http.json_numbers import NumberTooLarge, wide_integers_as_floats
from server.http.numbers import whole_number
from server.http.problems import Problem

MAX_BODY_BYTES = 1_048_576
"""Largest body accepted (1 MiB): a protocol section is text, not an attachment."""


async def read_json_object(request: Request, *, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object; an empty body reads as ``{}``.

    Refuses (problem+json) a body over ``max_bytes`` (413) before reading it whole, a
    media type other than JSON (415), malformed JSON, nesting deeper than :data:`MAX_DEPTH`
    or anything but an object (400), and text holding a character nobody can see (422
    ``control-character``, ``domain.visible_text``: tab and line breaks are text).
    """
    declared = request.headers.get("content-length")
    if declared is not None and (whole_number(declared) or 0) > max_bytes:
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
        # msgspec refuses what could never reach the log: NaN and Infinity, invalid UTF-8,
        # lone surrogates (escaped "\ud800" has no UTF-8 form), numbers beyond a double.
        # Integers wider than 64 bits read as floats, as orjson read them (json_numbers);
        # the log's canonical form refuses past ±(2**53-1) (events/canonical.py).
        value = wide_integers_as_floats(raw, msgspec.json.decode(raw))
    except (msgspec.DecodeError, NumberTooLarge) as error:
        raise Problem(400, "malformed-json", f"the body is not valid JSON: {error}") from None
    except RecursionError:  # msgspec recurses: nesting near Python's limit (~1,000 levels)
        raise _too_deep() from None
    if not isinstance(value, dict):
        raise Problem(400, "json-object-expected", "the body must be a JSON object")
    _check_values(value)
    return value


MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted: a command's body is a few levels deep
(a charter's quorum rule is four); Python's own limit is about 1,000, and past it checking
a body, deciding it or writing it to the log would fail as the server's error."""


def _check_values(body: dict[str, Any]) -> None:
    """Refuse a body nested deeper than :data:`MAX_DEPTH` (400) or holding text nobody can
    see (422 ``control-character``: ``domain.visible_text``), keys included. Walked with a
    stack, not by recursion, so no depth msgspec accepts can overflow it."""
    stack: list[tuple[Any, str, int]] = [(body, "body", 1)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            require_visible(value, where)
            continue
        if isinstance(value, dict):
            items = [(f"{where}.{key}", key, item) for key, item in value.items()]
        elif isinstance(value, list):
            items = [(f"{where}[{index}]", None, item) for index, item in enumerate(value)]
        else:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep()
        for path, key, item in reversed(items):
            stack.append((item, path, depth + 1))
            if key is not None:
                stack.append((key, f"{where} key", depth))


def _too_deep() -> Problem:
    return Problem(
        400, "malformed-json", f"the body nests arrays and objects deeper than {MAX_DEPTH} levels"
    )


def _too_large(max_bytes: int) -> Problem:
    return Problem(413, "body-too-large", f"the body is larger than {max_bytes} bytes")
