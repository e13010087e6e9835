"""An amendment's history as its page reads it: the events of the amendment's stream and
of its comment thread, merged in log order, each with the time the log recorded it and
who caused it.

The page draws its History tab and the times of its discussion from this answer. It
reads the two streams of one amendment, so its cost follows that amendment's own length
(its events and its discussion), never the log's; the answer is written in a worker
thread, as the views are.
"""

from __future__ import annotations

import asyncio
import heapq
from typing import Any

import msgspec
from starlette.responses import Response

from domain.engagement import CommentSubjectKind
from domain.streams import amendment_stream, comments_stream
from events.envelope import RecordedEvent
from server.http.authentication import Principal
from server.http.problems import Problem
from server.services import Services


def _entry(event: RecordedEvent) -> dict[str, Any]:
    return {
        "position": event.position,
        "stream": event.stream_id,
        "type": event.type,
        "recorded_at": event.recorded_at.isoformat(),
        "actor": event.meta.get("actor"),
        "data": event.data,
    }


def _answer(streams: list[list[RecordedEvent]]) -> Response:
    merged = heapq.merge(*streams, key=lambda event: event.position)
    body = msgspec.json.encode({"events": [_entry(event) for event in merged]})
    return Response(body, media_type="application/json")


answer_of = _answer
"""The answer for any record's streams (a motion's, a dispute's: record_history.py)."""


async def amendment_history(
    services: Services, p: dict[str, str], principal: Principal
) -> Response:
    """``GET .../amendments/{amendment_id}/history``: ``{events}``, the amendment's and
    its discussion's events in log order (position, stream, type, recorded_at, actor,
    data)."""
    trial_id, amendment_id = p["trial_id"], p["amendment_id"]
    own = amendment_stream(trial_id, amendment_id)
    if await services.store.stream_version(own) == 0:
        raise Problem(404, "not-found", "there is no such amendment")
    thread = comments_stream(trial_id, CommentSubjectKind.AMENDMENT, amendment_id)
    streams = [await services.store.read_stream(stream) for stream in (own, thread)]
    return await asyncio.to_thread(_answer, streams)
