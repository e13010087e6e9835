"""A short-lived in-process memory of resolved credentials (session and API token digests).

Resolving a credential is a database read on every request; a cache hit is a dict look-up.
Each entry lives until its own deadline, which the resolver sets to at most ``ttl`` after
the read (and no later than the moment the credential's expiry or its next activity
write falls due). Whatever *this* process changes is dropped at once: a revoked token, a
closed session, a disabled user, a changed password. A change made by another process (a
second server, ``concord user ...`` on the command line) is seen when the entry's deadline
passes: at most ``ttl`` late (default 5 s).

The cache holds only credentials that resolved to an enabled user; an unknown or refused
credential is always asked of the database again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

V = TypeVar("V")

DEFAULT_TTL = timedelta(seconds=5)
DEFAULT_CAPACITY = 10_000


@dataclass(frozen=True, slots=True)
class Resolved(Generic[V]):
    """What the database said a credential resolves to, and until when that may be kept."""

    value: V
    user_id: str
    credential_id: str
    not_after: datetime
    """When the credential ends or its next use is due to be recorded."""


@dataclass(frozen=True, slots=True)
class _Entry:
    value: Any
    user_id: str
    credential_id: str
    until: datetime


class CredentialCache:
    """Digest -> what it resolved to, each until its deadline; bounded (oldest dropped)."""

    def __init__(self, *, ttl: timedelta = DEFAULT_TTL, capacity: int = DEFAULT_CAPACITY) -> None:
        if ttl < timedelta() or capacity < 0:
            raise ValueError("a credential cache needs a ttl and capacity of 0 or more")
        self.ttl = ttl
        self._capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._generation = 0
        self._distrusted: dict[str, datetime] = {}

    @property
    def generation(self) -> int:
        """Changes whenever anything is forgotten. Read it before the database read and
        pass it to :meth:`put`, so that a forget that ran during the read is not undone
        by caching what the read found."""
        return self._generation

    async def through(
        self, digest: str, now: datetime, read: Callable[[], Awaitable[Resolved[V] | None]]
    ) -> V | None:
        """What ``digest`` resolves to: from memory while it holds it, else ``read()``
        from the database (and remembered, unless it resolved to nothing)."""
        cached: V | None = self.get(digest, now)
        if cached is not None:
            return cached
        generation = self._generation
        resolved = await read()
        if resolved is None:
            return None
        self.put(
            digest,
            resolved.value,
            user_id=resolved.user_id,
            credential_id=resolved.credential_id,
            now=now,
            not_after=resolved.not_after,
            generation=generation,
        )
        return resolved.value

    def get(self, digest: str, now: datetime) -> Any | None:
        """What ``digest`` resolved to, while its deadline has not passed; else None."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if now >= entry.until:
            del self._entries[digest]
            return None
        return entry.value

    def put(
        self,
        digest: str,
        value: Any,
        *,
        user_id: str,
        credential_id: str,
        now: datetime,
        not_after: datetime,
        generation: int,
    ) -> None:
        """Remember ``value`` (read from the database at ``now``, when :attr:`generation`
        was ``generation``) for ``digest`` until ``ttl`` from ``now`` or ``not_after``,
        whichever comes first. Nothing is kept if something was forgotten since."""
        until = min(now + self.ttl, not_after)
        if self._capacity == 0 or until <= now or generation != self._generation:
            return
        if (distrusted_until := self._distrusted.get(user_id)) is not None:
            if now < distrusted_until:
                return
            del self._distrusted[user_id]
        self._entries[digest] = _Entry(value, user_id, credential_id, until)
        self._entries.move_to_end(digest)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def forget(self, digest: str) -> None:
        """Drop the credential with this digest (a closed session)."""
        self._generation += 1
        self._entries.pop(digest, None)

    def forget_user(self, user_id: str) -> None:
        """Drop every credential of ``user_id`` (disabled, password changed, renamed)."""
        self._forget(lambda entry: entry.user_id == user_id)

    def distrust(self, user_id: str, until: datetime) -> None:
        """Forget ``user_id``'s credentials and remember none of theirs before ``until``.

        For a change another process made: it records the change in the log *before* it
        changes the account tables, so a resolve here between the two would read the old
        row and believe it for ``ttl`` more; until ``until`` every resolve of the user
        reads the tables again."""
        self._distrusted[user_id] = max(until, self._distrusted.get(user_id, until))
        self.forget_user(user_id)

    def forget_credential(self, credential_id: str) -> None:
        """Drop one credential by its id (a revoked token, a closed session)."""
        self._forget(lambda entry: entry.credential_id == credential_id)

    def _forget(self, matches: Callable[[_Entry], bool]) -> None:
        self._generation += 1
        for digest in [digest for digest, entry in self._entries.items() if matches(entry)]:
            del self._entries[digest]
