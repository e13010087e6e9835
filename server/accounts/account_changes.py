"""Changes to accounts made anywhere take effect in this process at once.

A system administrator on another server sharing the database, or the operator's
``concord user disable`` on the command line, changes the account tables this process
reads, but not what it remembers: the credential cache (a credential believed for up to
5 s) and the live connections open here. Every such change is also an event of the
account's stream, which this process's log follower applies as it commits: the account's
remembered credentials are dropped and, when the account may no longer act as before
(disabled, its password reset), its live connections end.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from domain.account_events import (
    AccountDisabled,
    ApiTokenRevoked,
    PasswordChanged,
    PasswordReset,
    account_of,
)
from events import RecordedEvent
from server.accounts.credential_cache import CredentialCache

ENDING = {
    AccountDisabled.event_type: "your account was disabled",
    PasswordReset.event_type: "your password was reset: sign in with the new one",
}
"""Events after which the account's live connections end, and the reason they are told."""
FORGETTING = frozenset({*ENDING, PasswordChanged.event_type, ApiTokenRevoked.event_type})
"""Events after which the account's remembered credentials are dropped."""
DISTRUST = timedelta(seconds=10)
"""How long after such an event this process re-reads the account's credentials on every
request (the tables change milliseconds after the event; 10 s is a wide margin)."""


class AccountChanges:
    """A projection of the log's follower with no state: it acts on account events that
    commit while this process runs (the past needs nothing: the tables already say it)."""

    name = "account changes"

    def __init__(
        self, credentials: CredentialCache, end_live: Callable[[str, str], object]
    ) -> None:
        self._credentials = credentials
        self._end_live = end_live

    async def catch_up(self, head: int) -> None:
        """Nothing: what happened before this process started is in the tables."""

    def apply(self, event: RecordedEvent) -> None:
        if event.type not in FORGETTING:
            return
        user_id = account_of(event.stream_id)
        if user_id is None:
            return
        # The process that recorded it changes the tables a moment later: until then a
        # resolve here would read the old row, so none is believed for a while.
        self._credentials.distrust(user_id, event.recorded_at + DISTRUST)
        if (reason := ENDING.get(event.type)) is not None:
            self._end_live(user_id, reason)

    def stopped(self, failure: BaseException | None) -> None:
        """Nothing to release."""
