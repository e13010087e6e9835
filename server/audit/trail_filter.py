"""Narrowing an audit trail: by person, by time, and a page at a time.

``GET /audit/trail?record=…`` takes, besides the record:

- ``by``: a user id; only the values that person's events changed;
- ``since`` / ``until``: ISO 8601 times with a UTC offset; only events recorded at or
  after / at or before them (the log's own UTC times);
- ``after``: a log position; only events after it (the next page starts there);
- ``limit``: at most this many entries (1 to 10,000), but never half an event: the
  entries of the event that reaches the limit all come, and the answer's ``Link`` header
  (``rel="next"``) names the next page.

The trail is still computed from the record's first event, since every old value must be
known; the filters choose what is answered.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass

from events.canonical import format_timestamp
from server.audit.moment import instant, log_position, whole_number
from server.audit.trail import TrailEntry
from server.http.problems import Problem

MAX_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class TrailFilter:
    by: str | None = None
    since: str | None = None
    """As the log writes times (``format_timestamp``), so text order is time order."""
    until: str | None = None
    after: int = 0
    limit: int | None = None

    @classmethod
    def of(cls, params: Mapping[str, str]) -> TrailFilter:
        """The filter a request's query names; a 422 problem for a malformed one."""
        since = format_timestamp(instant(params["since"], "since")) if "since" in params else None
        until = format_timestamp(instant(params["until"], "until")) if "until" in params else None
        if since and until and since > until:
            raise Problem(422, "empty-time-window", "since must not be later than until")
        limit = None
        if "limit" in params:
            limit = whole_number(params["limit"]) or 0
            if not 1 <= limit <= MAX_LIMIT:
                raise Problem(422, "malformed-limit", f"limit must be a number, 1 to {MAX_LIMIT:,}")
        after = log_position(params["after"], "after") if "after" in params else 0
        return cls(params.get("by") or None, since, until, after, limit)

    def admits(self, entry: TrailEntry) -> bool:
        return (
            entry.position > self.after
            and (self.by is None or entry.user_id == self.by)
            and (self.since is None or entry.recorded_at >= self.since)
            and (self.until is None or entry.recorded_at <= self.until)
        )

    async def select(
        self, entries: AsyncGenerator[TrailEntry, None]
    ) -> tuple[list[TrailEntry], bool]:
        """The entries the filter admits, up to the limit (whole events); and whether
        more would follow."""
        chosen: list[TrailEntry] = []
        try:
            async for entry in entries:
                if not self.admits(entry):
                    continue
                full = self.limit is not None and len(chosen) >= self.limit
                if full and entry.position != chosen[-1].position:
                    return chosen, True
                chosen.append(entry)
        finally:
            await entries.aclose()
        return chosen, False

    def next_page(self, params: Mapping[str, str], chosen: list[TrailEntry]) -> dict[str, str]:
        """The query of the page after ``chosen``."""
        return {**params, "after": str(chosen[-1].position)}
