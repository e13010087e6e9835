"""Reading a stretch of the log a page at a time: the one loop behind
:meth:`events.store.EventStore.pages` and :meth:`events.store.EventStore.stored_pages`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Protocol, TypeVar


class Positioned(Protocol):
    @property
    def position(self) -> int: ...


P = TypeVar("P", bound=Positioned)

ReadPage = Callable[[int], Awaitable[list[P]]]
"""Reads up to a page of what follows a position, up to the stretch's end."""


async def paged(
    read: ReadPage[P], *, after: int, until: int, page_size: int, read_ahead: bool
) -> AsyncGenerator[list[P], None]:
    """The pages ``read`` gives from ``after`` on, until one is short or reaches ``until``;
    never an empty one. With ``read_ahead``, the next page is read while the caller works
    on this one (and dropped if the caller stops early: close the iterator)."""
    ahead: asyncio.Future[list[P]] | None = None
    try:
        while after < until:
            if ahead is None:
                page = await read(after)
            else:
                page, ahead = await ahead, None
            if not page:
                return
            last = page[-1].position
            more = len(page) == page_size and last < until
            if more and read_ahead:
                ahead = asyncio.ensure_future(read(last))
            yield page
            if not more:
                return
            after = last
    finally:
        if ahead is not None:
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)
