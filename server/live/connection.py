"""One live listener: catch-up from the log, then live events, presence and heartbeats.

A connection resumes after the position its client last saw: it reads the log from there
(filtered to its trials) until it reaches what the feed has already offered, then asks the
feed for everything after that point. Between the two it may be offered events it has
already read; it skips any position it has sent, so nothing is lost or repeated and all
arrives in log order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.websockets import WebSocket, WebSocketDisconnect

from domain.streams import trial_stream
from events.store import EventStore
from rbac import Action, Authorizer
from server.accounts.users import User
from server.http.problems import Problem
from server.live.bucket import TokenBucket
from server.live.feed import LiveFeed, LiveItem
from server.live.messages import (
    CLOSE_ACCESS_REVOKED,
    CLOSE_SERVER_ERROR,
    CLOSE_SIGNED_OUT,
    CLOSE_TOO_MANY_MESSAGES,
    CLOSE_TOO_SLOW,
    PresenceUpdate,
    events_frame,
    frame,
    problem_frame,
    read_client_message,
)
from server.live.presence import Whereabouts

logger = logging.getLogger(__name__)

CATCH_UP_PAGE = 500
CLOSE_TIMEOUT = 10.0
"""How long a close frame may wait behind a client that has stopped reading."""
DEFAULT_BUFFER_SIZE = 1024
MAX_BATCH_CHARACTERS = 256 * 1024
"""A batch frame is cut after this much (a single larger event still travels alone)."""


@dataclass(frozen=True, slots=True)
class LiveSettings:
    buffer_size: int = DEFAULT_BUFFER_SIZE
    """Items a connection may have waiting to be sent before it is closed as too slow."""
    heartbeat_seconds: float = 15.0
    """How often the server re-checks a connection's sign-in and sends a heartbeat."""
    message_rate: float = 20.0
    """Messages a client may send a second, on average, before it is closed (4429)."""
    message_burst: int = 60
    """Messages a client may send at once (then ``message_rate`` a second)."""


class LiveConnection:
    """Serves one accepted websocket until either side ends it."""

    def __init__(
        self,
        websocket: WebSocket,
        *,
        user: User,
        trials: frozenset[str],
        feed: LiveFeed,
        store: EventStore,
        authorizer: Authorizer,
        still_signed_in: Callable[[], Awaitable[bool]],
        settings: LiveSettings,
        session: str | None = None,
        token_id: str | None = None,
    ) -> None:
        self.user = user
        self.session = session
        """The session cookie the connection was opened with, if any."""
        self.token_id = token_id
        """The API token the connection was opened with (its id), if any."""
        self.trials = set(trials)
        self._websocket = websocket
        self._feed = feed
        self._store = store
        self._authorizer = authorizer
        self._still_signed_in = still_signed_in
        self._settings = settings
        self._pending: deque[LiveItem] = deque()
        self._wake = asyncio.Event()
        self._ending: tuple[int, str] | None = None
        self._ended = asyncio.Event()
        self._sent = 0
        self._listening = False
        self._budget = TokenBucket(settings.message_rate, settings.message_burst)

    def offer(self, item: LiveItem) -> None:
        """Buffer an item for sending (called by the feed; never waits)."""
        if self._ending is not None:
            return
        if len(self._pending) >= self._settings.buffer_size:
            self.end(
                CLOSE_TOO_SLOW,
                f"too slow: {len(self._pending)} messages waiting;"
                " reconnect with after=<the last position you received>",
            )
            return
        self._pending.append(item)
        self._wake.set()

    def end(self, code: int, reason: str) -> None:
        """Close the connection with ``code`` as soon as possible (first reason wins)."""
        if self._ending is None:
            self._ending = (code, reason[:120])
            self._ended.set()

    async def serve(self, after: int, *, ends: int | None = None) -> None:
        """Run until the client leaves or the connection is ended, then close it.
        ``ends``: the feed's :attr:`LiveFeed.ends` when the handshake began (default: now)."""
        self._feed.attach(self, self._feed.ends if ends is None else ends)
        tasks = [
            asyncio.create_task(self._send(after)),
            asyncio.create_task(self._receive()),
            asyncio.create_task(self._watch()),
            asyncio.create_task(self._ended.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = None if task.cancelled() else task.exception()
                if error is not None and not isinstance(error, WebSocketDisconnect):
                    logger.error("live connection failed", exc_info=error)
                    self.end(CLOSE_SERVER_ERROR, "the server failed; reconnect with after")
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._feed.stop_listening(self, self.trials)
            self._feed.detach(self)
        if self._ending is not None:
            code, reason = self._ending
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, TimeoutError):
                await asyncio.wait_for(self._websocket.close(code, reason), CLOSE_TIMEOUT)

    async def _send(self, after: int) -> None:
        self._sent = after
        await self._catch_up()
        if self._ending is not None:
            return
        for trial in sorted(self.trials):
            await self._websocket.send_text(self._feed.roster_frame(trial))
        await self._websocket.send_text(frame("ready", position=self._sent))
        while self._ending is None:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
            items = list(self._pending)
            self._pending.clear()
            await self._deliver(items)

    async def _catch_up(self) -> None:
        async for page in self._log_pages(until=None):
            await self._deliver(page)
            if self._ending is not None:
                return
        offered = self._feed.listen(self)
        self._listening = True
        async for page in self._log_pages(until=offered):
            await self._deliver(page)
            if self._ending is not None:
                return
        self._sent = max(self._sent, offered)

    async def _log_pages(self, *, until: int | None) -> AsyncIterator[list[LiveItem]]:
        """The log after what was sent, a page at a time, up to ``until`` (or the head)."""
        under = trial_stream(next(iter(self.trials))) if len(self.trials) == 1 else None
        pages = self._store.pages(
            after=self._sent, until=until, page_size=CATCH_UP_PAGE, under=under
        )
        async for events in pages:
            yield [item for event in events if (item := LiveItem.of(event)) is not None]

    async def _deliver(self, items: list[LiveItem]) -> None:
        """Send items in order: events batched, skipping what was sent or is not ours."""
        batch: list[str] = []
        batch_characters = 0
        for item in items:
            if item.position is None:
                if item.trial and item.trial not in self.trials:
                    continue
                await self._flush(batch)
                await self._websocket.send_text(item.payload)
                continue
            if item.position <= self._sent or item.trial not in self.trials:
                continue
            if item.role_change_for == self.user.user_id and not await self._may_read(item):
                await self._flush(batch)
                await self._lose_access(item)
                if self._ending is not None:
                    return
                continue
            batch.append(item.payload)
            self._sent = item.position
            batch_characters += len(item.payload)
            if batch_characters >= MAX_BATCH_CHARACTERS:
                await self._flush(batch)
                batch_characters = 0
        await self._flush(batch)

    async def _flush(self, batch: list[str]) -> None:
        if batch:
            await self._websocket.send_text(events_frame(batch))
            batch.clear()

    async def _may_read(self, item: LiveItem) -> bool:
        assert item.position is not None
        await self._authorizer.wait_for(item.position)
        return self._authorizer.allows(self.user.user_id, item.trial, Action.READ)

    async def _lose_access(self, item: LiveItem) -> None:
        self.trials.discard(item.trial)
        self._feed.stop_listening(self, [item.trial])
        await self._websocket.send_text(frame("revoked", trial=item.trial, position=item.position))
        if not self.trials:
            self.end(CLOSE_ACCESS_REVOKED, f"your roles no longer allow reading trial {item.trial}")

    async def _watch(self) -> None:
        """Every heartbeat interval (the first one jittered, so that a thousand connections
        opened together do not all check at once): re-check the sign-in, then a heartbeat."""
        interval = self._settings.heartbeat_seconds
        await asyncio.sleep(interval * random.uniform(0.5, 1.0))
        while True:
            if self._feed.failed:
                self.end(CLOSE_SERVER_ERROR, "the server stopped following the log")
                return
            if not await self._still_signed_in():
                self.end(
                    CLOSE_SIGNED_OUT,
                    "the session or token ended, the account was disabled or its password"
                    " must be changed",
                )
                return
            self.offer(self._marker("heartbeat"))
            await asyncio.sleep(interval)

    def _marker(self, kind: str) -> LiveItem:
        """A heartbeat or pong carrying a position the client may resume from: everything
        of its trials up to there is sent before the marker (which waits in line)."""
        position = max(self._sent, self._feed.position if self._listening else 0)
        return LiveItem(None, "", frame(kind, position=position))

    async def _receive(self) -> None:
        while True:
            received = await self._websocket.receive()
            if received["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(received.get("code", 1000), received.get("reason"))
            if not self._budget.take():
                self.end(
                    CLOSE_TOO_MANY_MESSAGES,
                    f"too many messages: at most {self._budget.rate:g} a second"
                    f" (bursts of {self._budget.burst:g})",
                )
                return
            try:
                message = read_client_message(received.get("text"))
                if message == "ping":
                    self.offer(self._marker("pong"))
                elif isinstance(message, PresenceUpdate):
                    self._place(message)
            except Problem as problem:
                self.offer(LiveItem(None, "", problem_frame(problem)))

    def _place(self, update: PresenceUpdate) -> None:
        if update.trial not in self.trials:
            raise Problem(
                403,
                "not-listening",
                f"this connection does not listen to trial {update.trial[:80]!r}",
                title="Not listening to that trial",
            )
        where = Whereabouts(
            self.user.user_id,
            self.user.printed_name,
            update.section,
            update.activity,
            update.cursor,
            update.amendment,
        )
        self._feed.set_presence(self, update.trial, where)
