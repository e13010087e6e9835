"""A record's history as its page reads it: the events of the record's own streams,
merged in log order, each with the time the log recorded it and who caused it.

- an amendment: its stream and its discussion's (the History tab, the discussion's times);
- a motion or a dispute: its one stream (tabled or raised, each vote, each escalation
  with its reason, its end);
- a comment thread: its one stream (each comment, each disposition; a section's thread
  draws its comments' times from it).

Each answer reads only the record's streams, so its cost follows that record's length,
never the log's; the answer is encoded in a worker thread, as the views are.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.responses import Response

from domain.engagement import CommentSubjectKind
from domain.streams import amendment_stream, comments_stream, dispute_stream, motion_stream
from events.envelope import RecordedEvent
from server.http.authentication import Principal
from server.http.problems import Problem
from server.http.targets import comment_subject_kind
from server.services import Services

Handler = Callable[[Services, dict[str, str], Principal], Awaitable[Response]]


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


async def _existing(services: Services, stream: str, what: str) -> None:
    if await services.store.stream_version(stream) == 0:
        raise Problem(404, "not-found", f"there is no such {what}")


async def _history_of(services: Services, streams: list[str]) -> Response:
    read = [await services.store.read_stream(stream) for stream in streams]
    return await asyncio.to_thread(_answer, read)


async def amendment_history(
    services: Services, p: dict[str, str], principal: Principal
) -> Response:
    """``GET .../amendments/{amendment_id}/history``: ``{events}``, the amendment's and
    its discussion's events in log order (position, stream, type, recorded_at, actor,
    data)."""
    trial_id, amendment_id = p["trial_id"], p["amendment_id"]
    own = amendment_stream(trial_id, amendment_id)
    await _existing(services, own, "amendment")
    thread = comments_stream(trial_id, CommentSubjectKind.AMENDMENT, amendment_id)
    return await _history_of(services, [own, thread])


def _one_stream_history(stream_of: Callable[[str, str], str], key: str, what: str) -> Handler:
    """``GET .../<record>/history``: ``{events}`` of the record named by the path
    parameter ``key``; 404 when there is no such ``what``."""

    async def history(services: Services, p: dict[str, str], principal: Principal) -> Response:
        stream = stream_of(p["trial_id"], p[key])
        await _existing(services, stream, what)
        return await _history_of(services, [stream])

    return history


motion_history = _one_stream_history(motion_stream, "motion_id", "motion")
dispute_history = _one_stream_history(dispute_stream, "dispute_id", "dispute")


async def thread_history(services: Services, p: dict[str, str], principal: Principal) -> Response:
    """``GET .../comments/{subject_kind}/{subject_id}/history``: ``{events}`` of the
    thread; a thread nobody has commented in yet answers no events, as the thread itself
    answers no comments; 404 for a kind of subject comments cannot be about."""
    kind = comment_subject_kind(p["subject_kind"])
    return await _history_of(services, [comments_stream(p["trial_id"], kind, p["subject_id"])])
