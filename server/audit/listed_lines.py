"""The line a replay lists for a stream of a kind it lists (an amendment, a motion, a
dispute): its summary, as JSON bytes.

A replay of a trial of a million events lists some 3,000 motions. A line depends on its
stream's state alone, so it is made once per state saved at a checkpoint, saved beside
it (:mod:`server.audit.checkpoint_store`) and kept among the lines read lately: a replay
reads lines, and decodes and folds only the streams whose events follow its checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import msgspec

from domain.streams import StreamKind, parse_stream
from server.http.views import amendment_summary, dispute_summary, motion_summary

LISTED: dict[StreamKind, Callable[[Any], dict[str, Any]]] = {
    StreamKind.AMENDMENT: amendment_summary,
    StreamKind.MOTION: motion_summary,
    StreamKind.DISPUTE: dispute_summary,
}
"""The kinds of stream a replay lists, and the summary of each one's state."""


def line_of(stream_id: str, state: Any) -> bytes | None:
    """The JSON of the line listing ``stream_id`` in ``state`` (None: not a listed kind)."""
    kind = listed_kind(stream_id)
    return None if kind is None else msgspec.json.encode(LISTED[kind](state))


@lru_cache(maxsize=2**16)
def listed_kind(stream_id: str) -> StreamKind | None:
    """The kind of ``stream_id`` if replays list it (None otherwise)."""
    stream = parse_stream(stream_id)
    return stream.kind if stream is not None and stream.kind in LISTED else None
