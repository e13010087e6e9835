"""A progress bar on the terminal for long CLI operations (verify, export, rebuild)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called as the work advances."""


@contextmanager
def progress_bar(what: str, unit: str = "event") -> Iterator[Progress]:
    """A ``progress(done, total)`` callback drawing a bar on stderr until the block ends."""
    with tqdm(desc=what, unit=unit, unit_scale=True, dynamic_ncols=True, leave=False) as bar:

        def advance(done: int, total: int) -> None:
            bar.total = max(total, done)
            bar.update(done - bar.n)

        yield advance
