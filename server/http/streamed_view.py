"""A state's JSON written a slice at a time, for states with one mapping that may grow
without bound (a comment thread's comments).

Encoding a thread of 100,000 comments at once takes a second of Python (the codec) and
then one call of msgspec that holds the interpreter for tens of milliseconds (26 MB of
JSON): done in a worker thread, it still takes the interpreter from the event loop for
that long, and every other request waits. Done on the event loop in slices, every
other request's steps wait for a slice each (bench.scale: 293 ms beside a
100,000-comment thread). Here the long mapping is encoded :data:`BATCH` entries to a
msgspec call, in a worker thread, and the answer is sent in pieces of about
:data:`PIECE_BYTES` as they are written; the loop only passes the pieces on. The bytes
are the same as encoding the whole view at once (:func:`server.http.views.state_view` written by
msgspec): same keys, same order, same compact form.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator, Mapping
from itertools import islice
from typing import Any

import msgspec

from domain.codec import encode
from domain.frozen import frozen_map

BATCH = 200
"""Entries of the long mapping encoded by one msgspec call (well under a millisecond)."""
PIECE_BYTES = 64_000
"""About how much of the answer is sent at a time."""


async def streamed_view(state: Any, long_field: str) -> AsyncIterator[bytes]:
    """The JSON of ``state`` (a dataclass) as :func:`domain.codec.encode` writes it,
    ``long_field`` (a mapping with text keys) written a piece at a time in a worker
    thread. ``state`` must not change meanwhile (states are immutable)."""
    entries: Mapping[str, Any] = getattr(state, long_field)
    rest = encode(dataclasses.replace(state, **{long_field: frozen_map()}))
    assert isinstance(rest, dict)
    piece = bytearray(b"{")
    for at, (key, value) in enumerate(rest.items()):
        piece += b"," if at else b""
        piece += msgspec.json.encode(key) + b":"
        if key != long_field:
            piece += msgspec.json.encode(value)
            continue
        piece += b"{"
        batches = _batches(entries)
        while more := await asyncio.to_thread(_piece, batches, first=piece[-1:] == b"{"):
            piece += more
            if len(piece) >= PIECE_BYTES:
                yield bytes(piece)
                piece.clear()
        piece += b"}"
    piece += b"}"
    yield bytes(piece)


def _piece(batches: Iterator[dict[str, Any]], *, first: bool) -> bytes:
    """The next :data:`PIECE_BYTES` or so of the long mapping's members (b"": no more)."""
    piece = bytearray()
    for batch in batches:
        piece += b"" if first and not piece else b","
        # One dict of the batch, written without its braces: "k1":{...},"k2":{...}
        piece += msgspec.json.encode(batch)[1:-1]
        if len(piece) >= PIECE_BYTES:
            break
    return bytes(piece)


def _batches(entries: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    items = iter(entries.items())
    while batch := {key: encode(value) for key, value in islice(items, BATCH)}:
        yield batch
