"""The auditor's timeline: a trial's events, each in plain words, a page at a time.

``GET /api/trials/{id}/audit/timeline`` answers one entry per event of the trial's
streams, in log order: its position, time, type, record, the event in plain words with
who did it (printed name; the user id beside it), a one-line summary, and the marker kind
of the events that mark the slider (``server/audit/event_words.py``).

It reads the log by the trial's streams (``under``), a page at a time from ``after``, and
stops once it has the page it was asked for: a marker kind narrows the read to those event
types in the database, a record to that record's stream, a time window to the positions
recorded in it; only a person (the actor, kept in the event's metadata) is filtered as
the events are read. Nothing is folded: an entry needs only its event and the names the
directory knows now.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import aclosing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.streams import parse_stream, trial_stream
from events import EventStore, RecordedEvent
from events.canonical import format_timestamp
from server.audit.event_words import AUTOMATIC, MARKER_KINDS, MARKERS, types_of_kinds, words_of
from server.audit.loop_share import LoopShare
from server.audit.moment import instant, log_position, whole_number
from server.audit.trail import record_stream
from server.commands.directory import Directory, TrialEntry
from server.http.problems import Problem

DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000
PAGE = 500
"""Events per read of the log."""
SCAN_WINDOW = 10_000
"""Log positions one request reads at most when narrowed to a person (each event decoded
to read its actor, about 20 ms a thousand): the answer then stops there, with
``next_after`` where to go on, even with fewer entries than asked for (or none). So a
request costs a bounded read, not the trial's length: a person who did little in a trial
of a million events is found a window at a time."""
KIND_WINDOW = 200_000
"""The same for a read narrowed to kinds only: the database skips the other event types
(a scan of the rows, about 3.5 ms a thousand positions: no index by type)."""
SYSTEM = "the system"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event of the trial, as a person reads it."""

    position: int
    recorded_at: str
    event: str
    record: str
    text: str
    """The event in plain words: "Dr Ivy Chen submitted amendment A-1 for signature"."""
    summary: str
    user_id: str
    """Whose request recorded it (the log's ``actor``); "" for none."""
    printed_name: str
    """Their printed name as the trial knows it now; "" for none."""
    automatic: bool
    """The system's consequence of that request (an approval after the last required
    signature), not the person's own act: ``text`` then names no one as its doer."""
    marker: str | None
    """``version``, ``amendment``, ``signature`` or ``decision`` for the slider's marks."""


@dataclass(frozen=True, slots=True)
class TrialNames:
    """Names as the directory knows them now (an erased person's read as erased)."""

    entry: TrialEntry | None

    def person(self, user_id: str) -> str:
        known = self.entry.names.get(user_id) if self.entry else None
        return known or user_id

    def organization(self, organization_id: str) -> str:
        known = self.entry.organizations.get(organization_id) if self.entry else None
        return known[0] if known else organization_id


def entry_of(event: RecordedEvent, names: TrialNames) -> TimelineEntry:
    actor = event.meta.get("actor")
    user_id = actor if isinstance(actor, str) else ""
    printed_name = names.person(user_id) if user_id else ""
    if not printed_name and event.type in ("MemberAdded", "InvitationAccepted"):
        printed_name = str(event.data.get("printed_name", ""))
    words = words_of(event.type, event.data, names)
    automatic = event.type in AUTOMATIC
    if automatic:
        text = words.action
    else:
        text = f"{printed_name or SYSTEM[0].upper() + SYSTEM[1:]} {words.action}"
    stream = parse_stream(event.stream_id)
    return TimelineEntry(
        position=event.position,
        recorded_at=format_timestamp(event.recorded_at),
        event=event.type,
        record=stream.record if stream is not None else event.stream_id,
        text=text,
        summary=words.summary,
        user_id=user_id,
        printed_name=printed_name,
        automatic=automatic,
        marker=MARKERS.get(event.type),
    )


@dataclass(frozen=True, slots=True)
class TimelineQuery:
    """What a request asks of the timeline (each part optional)."""

    kinds: tuple[str, ...] = ()
    by: str | None = None
    record: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: int = 0
    limit: int = DEFAULT_LIMIT

    @classmethod
    def of(cls, trial_id: str, params: Mapping[str, str]) -> TimelineQuery:
        """The query a request names; a 422 problem for a malformed part."""
        kinds = tuple(k for k in params.get("kind", "").split(",") if k)
        unknown = [k for k in kinds if k not in MARKER_KINDS]
        if unknown:
            raise Problem(
                422,
                "unknown-kind",
                f"kind {unknown[0]!r} is none of {', '.join(MARKER_KINDS)} (comma-separated)",
            )
        record = params.get("record") or None
        if record is not None and record_stream(trial_id, record) is None:
            raise Problem(422, "unknown-record", f"{record!r} is no record of the trial")
        since = instant(params["since"], "since") if "since" in params else None
        until = instant(params["until"], "until") if "until" in params else None
        if since and until and since > until:
            raise Problem(422, "empty-time-window", "since must not be later than until")
        limit = DEFAULT_LIMIT
        if "limit" in params:
            limit = whole_number(params["limit"]) or 0
            if not 1 <= limit <= MAX_LIMIT:
                raise Problem(422, "malformed-limit", f"limit must be a number, 1 to {MAX_LIMIT:,}")
        after = log_position(params["after"], "after") if "after" in params else 0
        return cls(
            kinds=kinds,
            by=params.get("by") or None,
            record=record,
            since=since,
            until=until,
            after=after,
            limit=limit,
        )


@dataclass(frozen=True, slots=True)
class TimelinePage:
    entries: list[TimelineEntry]
    more: bool
    """Whether entries the query admits follow the last one (ask again with ``after`` its
    position)."""
    read_to: int | None = None
    """Where the read stopped at the end of its window (:data:`SCAN_WINDOW`) with the log
    not yet read to its end: ask again with ``after`` this position."""

    def json(self) -> dict[str, Any]:
        if self.read_to is not None:
            resume: int | None = self.read_to
        else:
            resume = self.entries[-1].position if self.entries and self.more else None
        return {"entries": [asdict(e) for e in self.entries], "next_after": resume}


async def timeline(
    store: EventStore, directory: Directory, trial_id: str, query: TimelineQuery
) -> TimelinePage:
    """A page of the trial's timeline: up to ``query.limit`` entries after ``query.after``."""
    under = record_stream(trial_id, query.record) if query.record else trial_stream(trial_id)
    after, until = query.after, await store.head_position()
    if query.since is not None and query.since > datetime.min.replace(tzinfo=UTC):
        earlier = query.since - timedelta(microseconds=1)
        after = max(after, await store.position_at(earlier))
    if query.until is not None:
        until = min(until, await store.position_at(query.until))
    types = types_of_kinds(query.kinds) if query.kinds else None
    names, share = TrialNames(directory.trial(trial_id)), LoopShare()
    entries: list[TimelineEntry] = []
    if after >= until:
        return TimelinePage(entries, more=False)
    # a person is filtered as the events come: read whole pages; otherwise what is asked
    size = PAGE if query.by is not None else min(PAGE, query.limit + 1)
    end = until
    if query.by is not None:
        end = min(until, after + SCAN_WINDOW)
    elif types is not None:
        end = min(until, after + KIND_WINDOW)
    pages = store.pages(after=after, until=end, page_size=size, types=types, under=under)
    async with aclosing(pages):
        async for page in pages:
            for event in page:
                if query.by is not None and event.meta.get("actor") != query.by:
                    continue
                if len(entries) == query.limit:
                    return TimelinePage(entries, more=True)
                entries.append(entry_of(event, names))
                await share.turn()
    return TimelinePage(entries, more=end < until, read_to=end if end < until else None)
