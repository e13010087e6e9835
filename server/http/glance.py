"""The trial at a glance, as its overview draws it: when each amendment, motion and
dispute was opened, and the patient-engagement figures the seed articles ask for
(advocates' comments over time, what became of them, how long a disposition took).

The times are the log's: an amendment, motion or dispute was opened when its stream's
first event was recorded; a comment was posted, and dispositioned, when those events
were. Both are kept per stream in a bounded cache beside the store (least recently used
out first): a record's opening never changes, and a thread's figures are folded on from
the version they reached, its current version asked of the state cache. So an overview
redrawn on every live event reads from the log only the comment events it has not
folded yet (through the (stream, version) index), never the log's length nor a thread
twice; a thread folded by two requests at once counts each event once. Summing the
threads' figures is done in a worker thread, as the views are written.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any
from weakref import WeakKeyDictionary

import msgspec
from starlette.responses import Response

from domain.engagement import CommentSubjectKind, Disposition
from domain.streams import amendment_stream, comments_stream, dispute_stream, motion_stream
from events import EventStore
from events.envelope import RecordedEvent
from server.commands.aggregates import COMMENTS
from server.http.authentication import Principal
from server.http.authorization import known_trial
from server.services import Services

POSTED = "CommentPosted"
DISPOSITIONED = "FeedbackDispositioned"


@dataclass(slots=True)
class ThreadFigures:
    """One thread's advocates' comments (those that need a disposition), folded up to
    ``version`` of its stream."""

    version: int = 0
    per_day: Counter[str] = field(default_factory=Counter)
    awaiting: dict[str, datetime] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    waits: list[float] = field(default_factory=list)

    def fold(self, events: Iterable[RecordedEvent]) -> None:
        """Take the events after ``version`` (those at or before it are skipped)."""
        for event in events:
            if event.stream_version <= self.version:
                continue
            self.version = event.stream_version
            comment = str(event.data.get("comment_id", ""))
            if event.type == POSTED and event.data.get("needs_disposition"):
                self.awaiting[comment] = event.recorded_at
                self.per_day[event.recorded_at.date().isoformat()] += 1
            elif event.type == DISPOSITIONED and comment in self.awaiting:
                self.outcomes[event.data["disposition"]] += 1
                posted = self.awaiting.pop(comment)
                self.waits.append((event.recorded_at - posted).total_seconds())


def engagement_figures(threads: Iterable[ThreadFigures]) -> dict[str, Any]:
    """The threads' figures summed: advocates' comments posted per UTC day, how many
    each disposition took and how many await one, and the seconds each disposition took
    (median and longest)."""
    per_day: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    waits: list[float] = []
    for thread in threads:
        per_day.update(thread.per_day)
        outcomes.update(thread.outcomes)
        outcomes["awaiting"] += len(thread.awaiting)
        waits += thread.waits
    return {
        "advocate_comments": [{"day": day, "comments": n} for day, n in sorted(per_day.items())],
        "dispositions": {
            **{d.value: outcomes[d.value] for d in Disposition},
            "awaiting": outcomes["awaiting"],
        },
        "time_to_disposition": {
            "dispositioned": len(waits),
            "median_seconds": median(waits) if waits else None,
            "longest_seconds": max(waits) if waits else None,
        },
    }


class _Kept:
    """What the answers have read of a store, bounded: each record's opening time and
    each thread's figures, by stream id, least recently used out first."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.opened: OrderedDict[str, datetime] = OrderedDict()
        self.threads: OrderedDict[str, ThreadFigures] = OrderedDict()

    def used(self, table: OrderedDict[str, Any], stream: str) -> None:
        table.move_to_end(stream)
        while len(table) > self.LIMIT:
            table.popitem(last=False)


_kept: WeakKeyDictionary[EventStore, _Kept] = WeakKeyDictionary()


async def _opened_at(services: Services, kept: _Kept, stream: str) -> datetime | None:
    if stream not in kept.opened:
        first = await services.store.read_stream(stream, limit=1)
        if not first:
            return None
        kept.opened[stream] = first[0].recorded_at
    kept.used(kept.opened, stream)
    return kept.opened[stream]


async def _thread(services: Services, kept: _Kept, stream: str) -> ThreadFigures:
    figures = kept.threads.setdefault(stream, ThreadFigures())
    kept.used(kept.threads, stream)
    version = (await services.states.load(COMMENTS, stream)).version
    if version > figures.version:
        figures.fold(await services.store.read_stream(stream, from_version=figures.version + 1))
    return figures


async def glance(services: Services, p: dict[str, str], principal: Principal) -> Response:
    """``GET /api/trials/{trial_id}/glance``: ``opened`` (each amendment, motion and
    dispute: kind, id and the UTC time it was opened, oldest first) and the engagement
    figures of :func:`engagement_figures`."""
    trial_id = p["trial_id"]
    entry = known_trial(services, trial_id)
    kept = _kept.setdefault(services.store, _Kept())
    records = [
        *(("amendment", i, amendment_stream(trial_id, i)) for i in entry.amendments),
        *(("motion", i, motion_stream(trial_id, i)) for i in entry.motions),
        *(("dispute", i, dispute_stream(trial_id, i)) for i in entry.disputes),
    ]
    opened = []
    for kind, record_id, stream in records:
        at = await _opened_at(services, kept, stream)
        if at is not None:
            opened.append({"kind": kind, "id": record_id, "at": at.isoformat()})
    threads = [
        await _thread(services, kept, comments_stream(trial_id, CommentSubjectKind(kind), subject))
        for kind, subject in entry.threads
    ]

    def answer() -> Response:
        body = {"opened": sorted(opened, key=lambda o: o["at"]), **engagement_figures(threads)}
        return Response(msgspec.json.encode(body), media_type="application/json")

    return await asyncio.to_thread(answer)
