"""The canonical encoding of the log and its hash chain.

This module is the executable form of ``docs/log-format.md``; keep the two in step.
Canonical JSON here means: UTF-8, object keys sorted by code point, no insignificant
white space, non-ASCII characters written as themselves, and only the JSON values
null, true, false, strings, integers in the IEEE-754 safe range, arrays and objects.
Floats are refused because their text form differs between languages, which would
make an export impossible to verify byte for byte elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the event at position 1."""

MAX_SAFE_INTEGER = 2**53 - 1

_encoder = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


class NotCanonicalJson(ValueError):
    """A value cannot be written to the log: it holds something canonical JSON forbids."""


def _check(value: object, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise NotCanonicalJson(f"{path}: integer {value} is outside the safe range ±(2**53-1)")
        return
    if isinstance(value, float):
        raise NotCanonicalJson(
            f"{path}: floats are not allowed in the log; use an integer or a string"
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonicalJson(f"{path}: object keys must be strings, got {key!r}")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    raise NotCanonicalJson(f"{path}: {type(value).__name__} is not a JSON value")


def canonical_json(value: Any, *, what: str = "value") -> str:
    """Encode ``value`` canonically; raise :class:`NotCanonicalJson` if it cannot be."""
    _check(value, what)
    return ensure_utf8(_encoder.encode(value), what=what)


def ensure_utf8(text: str, *, what: str) -> str:
    """Refuse strings with lone surrogates, which have no UTF-8 encoding."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise NotCanonicalJson(f"{what}: not encodable as UTF-8 ({error.reason})") from error
    return text


def format_timestamp(moment: datetime) -> str:
    """The log's one text form of a time: UTC, microseconds, ``Z`` suffix."""
    if moment.tzinfo is None:
        raise ValueError("timestamps in the log must be timezone-aware")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_timestamp(text: str) -> datetime:
    """Inverse of :func:`format_timestamp`."""
    return datetime.fromisoformat(text)


def envelope_hash(
    *,
    position: int,
    stream_id: str,
    stream_version: int,
    type: str,
    schema_version: int,
    data_json: str,
    meta_json: str,
    recorded_at: str,
    prev_hash: str,
) -> str:
    """SHA-256 (lower-case hex) of the canonical JSON object of one envelope.

    ``data_json`` and ``meta_json`` must already be canonical (as stored); the object is
    assembled textually in key order, which is exactly the canonical encoding of the
    whole envelope without its own ``hash``.
    """
    text = (
        '{"data":' + data_json
        + ',"meta":' + meta_json
        + ',"position":' + str(position)
        + ',"prev_hash":' + _encoder.encode(prev_hash)
        + ',"recorded_at":' + _encoder.encode(recorded_at)
        + ',"schema_version":' + str(schema_version)
        + ',"stream_id":' + _encoder.encode(stream_id)
        + ',"stream_version":' + str(stream_version)
        + ',"type":' + _encoder.encode(type)
        + "}"
    )  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
