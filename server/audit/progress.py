"""A progress line on the terminal for long CLI operations (verify, export, rebuild).

Our own dozen lines: ``verifying: 12,000/48,213 events (24%)``, redrawn in place on
standard error at most ten times a second and wiped when the work is done. Nothing is
written when standard error is not a terminal, so logs and pipes stay clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called as the work advances."""

REDRAW_EVERY = 0.1
"""Seconds between two drawings of the line, at least."""


@contextmanager
def progress_bar(
    what: str,
    unit: str = "event",
    *,
    to: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Progress]:
    """A ``progress(done, total)`` callback showing ``what`` on one line of ``to``
    (standard error) until the block ends, when the line is wiped."""
    stream = sys.stderr if to is None else to
    shown = stream.isatty()
    drawn_at: float | None = None

    def advance(done: int, total: int) -> None:
        nonlocal drawn_at
        now = clock()
        if not shown or (drawn_at is not None and now - drawn_at < REDRAW_EVERY):
            return
        drawn_at, total = now, max(total, done)
        share = f" ({100 * done // total}%)" if total else ""
        stream.write(f"\r{what}: {done:,}/{total:,} {unit}s{share}\x1b[K")
        stream.flush()

    try:
        yield advance
    finally:
        if drawn_at is not None:
            stream.write("\r\x1b[K")
            stream.flush()
