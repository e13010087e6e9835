"""The process's one fan-out of the log to live listeners.

:class:`LiveFeed` is a projection fed by the process's follower of the log (on PostgreSQL
woken by the doorbell that every server process rings on commit, so events written
through another process arrive too), last of its projections: the authorization policy
has applied an event before any listener is offered it. It offers each event, serialized
once, to every connection listening to its trial. It never waits for a connection: a slow
one overflows its own buffer and is closed, the others are not held back.

Presence is coalesced per trial: the board keeps each connection's latest word, and a
trial's roster goes out (to its listeners, and on PostgreSQL to the other processes) at
once when it changes, then at most once every :data:`PRESENCE_INTERVAL` while it keeps
changing, showing where everyone is by then. However fast people move, or one client
sends, a listener gets a bounded number of roster frames per trial.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.streams import trial_of
from events.envelope import RecordedEvent
from rbac.policy import ROLE_EVENT_TYPES, read_role_change
from server.live.messages import (
    CLOSE_GOING_AWAY,
    CLOSE_SERVER_ERROR,
    CLOSE_SIGNED_OUT,
    event_json,
    frame,
)
from server.live.presence import PresenceBoard, Whereabouts, in_roster_order
from server.live.presence_relay import PostgresPresenceRelay

if TYPE_CHECKING:
    from server.live.connection import LiveConnection

PRESENCE_INTERVAL = 0.2
"""Seconds between two rosters of one trial sent by this process (the first is at once)."""


@dataclass(frozen=True, slots=True)
class LiveItem:
    """What a connection buffers: a serialized event with what it needs to route it, or
    (``position`` None) an ephemeral message such as presence."""

    position: int | None
    trial: str
    payload: str
    role_change_for: str | None = None
    """The user whose roles the event changes, for RoleGranted / RoleRevoked."""

    @classmethod
    def of(cls, event: RecordedEvent) -> LiveItem | None:
        """The item for an event, or None for an event outside every trial."""
        trial = trial_of(event.stream_id)
        if trial is None:
            return None
        user = read_role_change(event)[1] if event.type in ROLE_EVENT_TYPES else None
        return cls(event.position, trial, event_json(event), user)


class LiveFeed:
    """Fans the log out to live connections, from the head it started at on."""

    name = "live feed"

    def __init__(
        self,
        relay: PostgresPresenceRelay | None = None,
        *,
        presence_interval: float = PRESENCE_INTERVAL,
    ) -> None:
        self._relay = relay
        """Presence across processes (PostgreSQL); None: this process's presence only."""
        self.presence_interval = presence_interval
        self._roster_due: dict[str, bool] = {}
        """Trials whose roster changed since it was last sent: True when this process's
        own entries did (to be published to the others too)."""
        self._quiet_until: dict[str, asyncio.TimerHandle] = {}
        """Trials whose roster was sent less than an interval ago: when the next may go."""
        self._closing = False
        self._open: set[LiveConnection] = set()
        """Every connection being served, listening to its trials yet or not."""
        self._ends = 0
        self._user_ended: dict[str, tuple[int, str]] = {}
        """Each user whose connections were ended: at which count of :attr:`ends`, why."""
        self._listeners: dict[str, set[LiveConnection]] = {}
        self._position = 0
        self._failure: BaseException | None = None
        self.presence = PresenceBoard()

    @property
    def position(self) -> int:
        """Every event up to here has been offered to the connections listening then."""
        return self._position

    @property
    def failed(self) -> bool:
        return self._failure is not None

    @property
    def ends(self) -> int:
        """How many times :meth:`end_user` has run: read before a handshake authenticates,
        and passed to :meth:`attach`, so that a user ended meanwhile is not let in."""
        return self._ends

    @property
    def connections(self) -> int:
        return len({c for listeners in self._listeners.values() for c in listeners})

    def share_presence(self) -> None:
        """Exchange presence with the other server processes (PostgreSQL; else nothing)."""
        if self._relay is not None:
            self._relay.start(self._their_roster_changed, self.presence.rosters)

    async def close(self) -> None:
        """Stop sharing presence and tell every connection the server is going away."""
        self._closing = True  # everyone is leaving: no more rosters
        for timer in self._quiet_until.values():
            timer.cancel()
        self._quiet_until.clear()
        self._roster_due.clear()
        if self._relay is not None:
            await self._relay.close(self.presence.rosters())
        self._end_all(CLOSE_GOING_AWAY, "the server is shutting down; reconnect with after")

    # -- the projection (fed by the process's LogFollower) ---------------------------------

    async def catch_up(self, head: int) -> None:
        """Start at the head: connections read the log up to where the feed took over."""
        self._position = head

    def apply(self, event: RecordedEvent) -> None:
        """Offer one event to the connections listening to its trial."""
        item = LiveItem.of(event)
        if item is not None:
            for connection in list(self._listeners.get(item.trial, ())):
                connection.offer(item)
        self._position = event.position

    def stopped(self, failure: BaseException | None) -> None:
        """After a failure, end every connection: it will not be offered stale events."""
        if failure is not None:
            self._failure = failure
            self._end_all(CLOSE_SERVER_ERROR, "the server stopped following the log")

    def listen(self, connection: LiveConnection) -> int:
        """Offer ``connection`` every event of its trials after the returned position."""
        for trial in connection.trials:
            self._listeners.setdefault(trial, set()).add(connection)
        return self._position

    def stop_listening(self, connection: LiveConnection, trials: Iterable[str]) -> None:
        """Stop offering ``connection`` the events of ``trials`` and drop its presence."""
        for trial in list(trials):
            listeners = self._listeners.get(trial)
            if listeners is not None:
                listeners.discard(connection)
                if not listeners:
                    del self._listeners[trial]
        for trial in self.presence.leave(connection, set(trials)):
            self._roster_changed_here(trial)

    def attach(self, connection: LiveConnection, ends: int) -> None:
        """A connection is being served; its handshake began when :attr:`ends` was
        ``ends``. Ended at once if its user's connections were ended since."""
        self._open.add(connection)
        ended = self._user_ended.get(connection.user.user_id)
        if ended is not None and ended[0] > ends:
            connection.end(CLOSE_SIGNED_OUT, ended[1])

    def detach(self, connection: LiveConnection) -> None:
        """The connection is closed."""
        self._open.discard(connection)

    def sign_out(self, session: str) -> None:
        """End at once the connections opened with this session (signed out here; a
        sign-out on another process is noticed at the next heartbeat)."""
        for connection in list(self._open):
            if connection.session == session:
                connection.end(CLOSE_SIGNED_OUT, "signed out")

    def end_token(self, token_id: str, reason: str = "the API token was revoked") -> int:
        """End at once the connections opened with this API token (revoked here; a
        revocation on another process is noticed at the next heartbeat); how many."""
        ended = [c for c in self._open if c.token_id == token_id]
        for connection in ended:
            connection.end(CLOSE_SIGNED_OUT, reason)
        return len(ended)

    def end_user(self, user_id: str, reason: str = "signed out: sign in again") -> int:
        """End at once every connection of ``user_id`` through this process (an account
        disabled, a password reset), with the sign-out close code (4401) and ``reason``
        (at most 120 characters) for the page to show; returns how many. A handshake
        under way is refused too. Another process notices at its next heartbeat."""
        self._ends += 1
        self._user_ended[user_id] = (self._ends, reason)
        ended = [c for c in self._open if c.user.user_id == user_id]
        for connection in ended:
            connection.end(CLOSE_SIGNED_OUT, reason)
        return len(ended)

    def set_presence(self, connection: LiveConnection, trial: str, where: Whereabouts) -> None:
        """Record where a connection is in one of its trials and tell the trial."""
        if self.presence.place(trial, connection, where):
            self._roster_changed_here(trial)

    def roster_frame(self, trial: str) -> str:
        """The trial's roster: the people present through this process and, on
        PostgreSQL, through the others."""
        present = self.presence.roster(trial)
        if self._relay is not None:
            present = in_roster_order([*present, *self._relay.theirs(trial)])
        return frame("presence", trial=trial, present=present)

    def _roster_changed_here(self, trial: str) -> None:
        self._roster_due[trial] = True
        if trial not in self._quiet_until:
            self._send_roster(trial)

    def _their_roster_changed(self, trial: str) -> None:
        self._roster_due.setdefault(trial, False)
        if trial not in self._quiet_until:
            self._send_roster(trial)

    def _send_roster(self, trial: str) -> None:
        """Send the trial's roster if it changed since last sent, then keep quiet for an
        interval (after which this runs again); nothing changed: the trial is at rest."""
        self._quiet_until.pop(trial, None)
        here = self._roster_due.pop(trial, None)
        if here is None or self._closing:
            return
        if here and self._relay is not None:
            self._relay.publish(trial, self.presence.roster(trial))
        self._broadcast_roster(trial)
        loop = asyncio.get_running_loop()
        self._quiet_until[trial] = loop.call_later(self.presence_interval, self._send_roster, trial)

    def _broadcast_roster(self, trial: str) -> None:
        item = LiveItem(None, trial, self.roster_frame(trial))
        for connection in list(self._listeners.get(trial, ())):
            connection.offer(item)

    def _end_all(self, code: int, reason: str) -> None:
        for connection in list(self._open):
            connection.end(code, reason)
