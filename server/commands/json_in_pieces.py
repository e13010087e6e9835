"""Plain JSON encoded a bounded piece at a time: the same bytes as one call of
``msgspec.json.encode``, without one call holding the interpreter for a whole large value.

A worker thread that encodes a 100,000-comment state in one msgspec call holds the
interpreter's lock for the whole call (~100 ms for 26 MB), and the event loop, wanting
the lock for any other request, waits as long. Here a value is cut along its mappings
and lists into parts of fewer than :data:`NODES` nodes, each encoded by one call, so the
loop waits at most for one part's call (about a millisecond) between two.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress
from typing import Any

import msgspec

NODES = 2_000
"""Values (objects, arrays, scalars) encoded by one call at most, about a millisecond."""

_encode = msgspec.json.encode
_CONTAINERS = frozenset({dict, list})


def encoded_in_pieces(value: Any, nodes: int = NODES) -> bytes:
    """``msgspec.json.encode(value)``'s bytes, written in parts of fewer than ``nodes``
    nodes (see the module)."""
    out: list[bytes] = []
    _write(value, out, nodes)
    return b"".join(out)


def _weight(value: Any, nodes: int) -> int:
    """How many nodes ``value`` holds, counted up to ``nodes`` (scalars counted by their
    container's length; the walk runs in C builtins, ~20 ns a node)."""
    if type(value) not in _CONTAINERS:
        return 1
    stack, counted = [value], 1
    while stack and counted < nodes:
        node = stack.pop()
        counted += len(node)
        children = list(node.values()) if type(node) is dict else node
        stack.extend(compress(children, map(_CONTAINERS.__contains__, map(type, children))))
    return counted


def _write(value: Any, out: list[bytes], nodes: int) -> None:
    if _weight(value, nodes) < nodes or type(value) not in _CONTAINERS:
        out.append(_encode(value))
    elif isinstance(value, dict):
        _write_members(value.items(), out, nodes, b"{}")
    else:
        _write_members(((None, item) for item in value), out, nodes, b"[]")


def _write_members(
    members: Iterable[tuple[str | None, Any]], out: list[bytes], nodes: int, brackets: bytes
) -> None:
    """The members of an object (``key, value``) or an array (``None, item``): runs of
    small ones encoded together, a large one cut further."""
    out.append(brackets[:1])
    run: list[tuple[str | None, Any]] = []
    weight, written = 0, False

    def flush() -> None:
        nonlocal weight, written
        if run:
            whole = _encode(dict(run) if brackets == b"{}" else [item for _, item in run])
            out.append(b"," + whole[1:-1] if written else whole[1:-1])
            run.clear()
            weight, written = 0, True

    for key, member in members:
        size = _weight(member, nodes)
        if size < nodes:
            run.append((key, member))
            weight += size
            if weight >= nodes:
                flush()
            continue
        flush()
        out.append(b"," if written else b"")
        if key is not None:
            out.append(_encode(key) + b":")
        _write(member, out, nodes)
        written = True
    flush()
    out.append(brackets[1:])
