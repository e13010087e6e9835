"""The trial at a glance, as its overview draws it: when each amendment, motion and
dispute was opened, and the patient-engagement figures the seed articles ask for
(advocates' comments over time, what became of them, how long a disposition took).

The times are the log's: an amendment, motion or dispute was opened when its stream's
first event was recorded; a comment was posted, and dispositioned, when those events
were. So the answer reads the first event of each record's stream and the events of
each comment thread, each through the log's (stream, version) index: its cost follows
the trial's own records and comments, never the log's length. The figures are worked
out and written in a worker thread, as the views are.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from statistics import median
from typing import Any

import msgspec
from starlette.responses import Response

from domain.engagement import CommentSubjectKind, Disposition
from domain.streams import amendment_stream, comments_stream, dispute_stream, motion_stream
from events.envelope import RecordedEvent
from server.http.authentication import Principal
from server.http.authorization import known_trial
from server.services import Services

POSTED = "CommentPosted"
DISPOSITIONED = "FeedbackDispositioned"


def engagement_figures(threads: Iterable[list[RecordedEvent]]) -> dict[str, Any]:
    """The advocates' comments (those that need a disposition) of ``threads``: posted per
    UTC day, how many each disposition took and how many await one, and the seconds each
    disposition took (median and longest)."""
    per_day: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    waits: list[float] = []
    for events in threads:
        posted: dict[str, datetime] = {}
        for event in events:
            if event.type == POSTED and event.data.get("needs_disposition"):
                posted[event.data["comment_id"]] = event.recorded_at
                per_day[event.recorded_at.date().isoformat()] += 1
            elif event.type == DISPOSITIONED and event.data["comment_id"] in posted:
                outcomes[event.data["disposition"]] += 1
                waits.append(
                    (event.recorded_at - posted.pop(event.data["comment_id"])).total_seconds()
                )
        outcomes["awaiting"] += len(posted)
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


def _opened(kind: str, record_id: str, first: list[RecordedEvent]) -> dict[str, str] | None:
    if not first:
        return None
    return {"kind": kind, "id": record_id, "at": first[0].recorded_at.isoformat()}


async def glance(services: Services, p: dict[str, str], principal: Principal) -> Response:
    """``GET /api/trials/{trial_id}/glance``: ``opened`` (each amendment, motion and
    dispute: kind, id and the UTC time it was opened, oldest first) and the engagement
    figures of :func:`engagement_figures`."""
    trial_id = p["trial_id"]
    entry = known_trial(services, trial_id)
    store = services.store
    records = [
        *(("amendment", i, amendment_stream(trial_id, i)) for i in entry.amendments),
        *(("motion", i, motion_stream(trial_id, i)) for i in entry.motions),
        *(("dispute", i, dispute_stream(trial_id, i)) for i in entry.disputes),
    ]
    firsts = [await store.read_stream(stream, limit=1) for _, _, stream in records]
    threads = [
        await store.read_stream(comments_stream(trial_id, CommentSubjectKind(kind), subject))
        for kind, subject in entry.threads
    ]

    def answer() -> Response:
        opened = [
            found
            for (kind, record_id, _), first in zip(records, firsts, strict=True)
            if (found := _opened(kind, record_id, first)) is not None
        ]
        body = {"opened": sorted(opened, key=lambda o: o["at"]), **engagement_figures(threads)}
        return Response(msgspec.json.encode(body), media_type="application/json")

    return await asyncio.to_thread(answer)
