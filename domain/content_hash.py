"""Content hashes: SHA-256 over the canonical JSON of a value.

Canonical here means what the log means by it: keys sorted, no insignificant white
space, non-ASCII characters as themselves, no floats (``domain.codec`` refuses them).
Signatures bind to these hashes, so the encoding must never change for the same value.
"""

from __future__ import annotations

import hashlib
import json

from domain.codec import encode


def canonical_json(value: object) -> str:
    """The canonical JSON text of ``value`` (encoded with ``domain.codec`` first)."""
    return json.dumps(
        encode(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )


def content_hash(value: object) -> str:
    """Lower-case hex SHA-256 of the canonical JSON of ``value``, prefixed ``sha256:``."""
    digest = hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"
