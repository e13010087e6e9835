"""Presence across server processes that share one PostgreSQL database.

Each process knows only its own connections' whereabouts (server/live/presence.py). On
PostgreSQL, :class:`PostgresPresenceRelay` tells the others: whenever a trial's local
roster changes, the process sends it, whole, as the payload of a NOTIFY on
:data:`CHANNEL` (when the live feed sends it to its own listeners: coalesced, at most once
every ``server.live.feed.PRESENCE_INTERVAL`` a trial, so a flood is not relayed either);
every process LISTENs, keeps the latest roster each other process sent for each trial,
and shows its listeners the local roster and the others' together.

Presence stays ephemeral: nothing is written to a table, let alone to the log. A process
that starts (or whose listening connection comes back) says hello and sends its rosters,
and the others answer with theirs: whichever of two processes listens last, each learns
the other's rosters at once. A process that stops says goodbye (empty rosters); one that stops
without it (killed, cut off) must not linger in the others' rosters, so every process
sends its non-empty rosters again every :data:`REFRESH_SECONDS`, and a roster not heard
again within :data:`FORGET_AFTER_SECONDS` is dropped. While the listening connection is
down the relay retries; presence is then local only, as on SQLite, where there is no
relay.

A NOTIFY payload holds at most 8,000 bytes: a roster that would not fit is sent cut to
the entries that fit (in roster order), and said so in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

CHANNEL = "concord_presence"
REFRESH_SECONDS = 10.0
FORGET_AFTER_SECONDS = 3 * REFRESH_SECONDS
RETRY_SECONDS = 1.0
GOODBYE_SECONDS = 10.0
"""Longest a closing process waits for its goodbye to be sent (a busy database may be slow)."""
MAX_PAYLOAD_BYTES = 7_900
"""Below PostgreSQL's 8,000-byte NOTIFY limit."""

Roster = list[dict[str, Any]]
"""Entries as :meth:`server.live.presence.PresenceBoard.roster` makes them."""

logger = logging.getLogger(__name__)


class PostgresPresenceRelay:
    """Sends this process's rosters to the other processes and keeps theirs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._process = uuid.uuid4().hex
        self._theirs: dict[str, dict[str, tuple[Roster, float]]] = {}
        """Trial → process → (its latest roster, when it arrived on the monotonic clock)."""
        self._outbox: dict[str, Roster] = {}
        """Rosters to send, the latest per trial."""
        self._hello_due = False
        self._wake_sender = asyncio.Event()
        self._sent = asyncio.Event()
        """Set while nothing is waiting to be sent."""
        self._sent.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._sender: asyncio.Task[None] | None = None
        self._closing = False
        self._changed: Callable[[str], None] = lambda _trial: None
        self._ours: Callable[[], dict[str, Roster]] = dict

    def start(self, changed: Callable[[str], None], ours: Callable[[], dict[str, Roster]]) -> None:
        """Begin: ``changed(trial)`` when another process's roster of a trial changed;
        ``ours()`` this process's non-empty rosters, sent on a hello and every refresh."""
        self._changed, self._ours = changed, ours
        self._sender = asyncio.create_task(self._send_forever(), name="presence-send")
        self._tasks = [
            asyncio.create_task(self._listen_forever(), name="presence-listen"),
            self._sender,
            asyncio.create_task(self._refresh_forever(), name="presence-refresh"),
        ]

    def publish(self, trial: str, roster: Roster) -> None:
        """This process's roster of ``trial`` changed (empty: nobody here any more)."""
        if self._closing and roster:
            return  # once it has said goodbye, the process shows nobody
        self._outbox[trial] = roster
        self._sent.clear()
        self._wake_sender.set()

    def _send_ours_again(self) -> None:
        if self._closing:  # a hello answered after the goodbye would undo it
            return
        for trial, roster in self._ours().items():
            self._outbox.setdefault(trial, roster)
        if self._outbox:
            self._sent.clear()
            self._wake_sender.set()

    def theirs(self, trial: str) -> Roster:
        """The other processes' entries for ``trial``."""
        return [entry for roster, _ in self._theirs.get(trial, {}).values() for entry in roster]

    async def close(self, ours: dict[str, Roster]) -> None:
        """Say goodbye (empty rosters for the trials this process had people in), then
        stop. The goodbye is best effort: the others forget this process anyway."""
        tasks, self._tasks = self._tasks, []
        self._closing = True
        if self._sender is not None and not self._sender.done():
            for trial in ours:
                self.publish(trial, [])
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(GOODBYE_SECONDS):
                    await self._sent.wait()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _received(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            process = message["process"]
            if process == self._process:
                return
            if message.get("hello"):
                self._send_ours_again()
                return
            trial, roster = message["trial"], message["present"]
        except (ValueError, KeyError, TypeError):
            logger.warning("ignored a presence notification that is not ours: %.200s", payload)
            return
        processes = self._theirs.setdefault(trial, {})
        before = processes.get(process, ([], 0.0))[0]
        if roster:
            processes[process] = (roster, time.monotonic())
        else:
            processes.pop(process, None)
            if not processes:
                del self._theirs[trial]
        if roster != before:
            self._changed(trial)

    async def _listen_forever(self) -> None:
        def on_notify(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
            self._received(payload)

        while True:
            try:
                async with self._engine.connect() as conn:
                    raw = await conn.get_raw_connection()
                    driver = raw.driver_connection
                    assert driver is not None
                    await driver.add_listener(CHANNEL, on_notify)
                    lost = asyncio.Event()
                    driver.add_termination_listener(lambda *_, gone=lost: gone.set())
                    try:
                        # Now that we listen: ask the others for theirs, and send ours
                        # (they may not have been listening when we last sent).
                        self._hello_due = True
                        self._sent.clear()
                        self._wake_sender.set()
                        self._send_ours_again()
                        await lost.wait()
                    finally:  # the connection goes back to the pool: not listening
                        if not driver.is_closed():
                            with contextlib.suppress(Exception):
                                await driver.remove_listener(CHANNEL, on_notify)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("presence connection lost; retrying", exc_info=True)
            await asyncio.sleep(RETRY_SECONDS)

    async def _send_forever(self) -> None:
        while True:
            await self._wake_sender.wait()
            self._wake_sender.clear()
            hello, rosters = self._hello_due, dict(self._outbox)
            self._hello_due = False
            self._outbox.clear()
            if not (hello or rosters):
                self._sent.set()
                continue
            try:
                async with self._engine.connect() as conn:
                    payloads = [self._payload(t, r) for t, r in rosters.items()]
                    if hello:
                        payloads.insert(0, json.dumps({"process": self._process, "hello": True}))
                    for payload in payloads:
                        await conn.execute(
                            text("SELECT pg_notify(:channel, :payload)"),
                            {"channel": CHANNEL, "payload": payload},
                        )
                    await conn.commit()  # NOTIFY is delivered at commit
            except asyncio.CancelledError:
                raise
            except Exception:  # nothing of it was delivered: send it again (newer wins)
                logger.warning("could not send presence; will retry", exc_info=True)
                self._hello_due = self._hello_due or hello
                for trial, roster in rosters.items():
                    self._outbox.setdefault(trial, roster)
                await asyncio.sleep(RETRY_SECONDS)
                self._wake_sender.set()
                continue
            if not (self._hello_due or self._outbox):  # more may have come meanwhile
                self._sent.set()

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            self._send_ours_again()
            self._forget_silent()

    def _forget_silent(self) -> None:
        """Drop the rosters of processes not heard from within FORGET_AFTER_SECONDS."""
        too_old = time.monotonic() - FORGET_AFTER_SECONDS
        for trial, processes in list(self._theirs.items()):
            silent = [process for process, (_, at) in processes.items() if at < too_old]
            for process in silent:
                del processes[process]
            if not processes:
                del self._theirs[trial]
            if silent:
                self._changed(trial)

    def _payload(self, trial: str, roster: Roster) -> str:
        kept = list(roster)
        while True:
            payload = json.dumps(
                {"process": self._process, "trial": trial, "present": kept},
                separators=(",", ":"),
                ensure_ascii=False,
            )
            if len(payload.encode()) <= MAX_PAYLOAD_BYTES or not kept:
                break
            kept.pop()
        if len(kept) < len(roster):
            logger.warning(
                "presence in %s: %d of %d entries fit in a notification",
                trial,
                len(kept),
                len(roster),
            )
        return payload
