"""A record's history as its page reads it: the events of the record's own streams,
merged in log order, each with the time the log recorded it and who caused it.

- an amendment: its stream and its discussion's (the History tab, the discussion's times);
- a motion or a dispute: its one stream (tabled or raised, each vote, each escalation
  with its reason, its end);
- a comment thread: its one stream (each comment, each disposition; a section's thread
  draws its comments' times from it).

Each answer reads only the record's streams, so its cost follows that record's length,
never the log's. A stream may be long (a thread of 100,000 comments): it is read
:data:`PAGE` events at a time and the answer written and sent as it is read, the event
loop getting a turn every few milliseconds, so no other request waits for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from starlette.responses import Response, StreamingResponse

from domain.engagement import CommentSubjectKind
from domain.streams import amendment_stream, comments_stream, dispute_stream, motion_stream
from events import EventStore
from events.envelope import RecordedEvent
from server.audit.loop_share import LoopShare
from server.http.authentication import Principal
from server.http.problems import Problem
from server.http.streamed_view import PIECE_BYTES
from server.http.targets import comment_subject_kind
from server.services import Services

Handler = Callable[[Services, dict[str, str], Principal], Awaitable[Response]]
PAGE = 1_000
"""Events read at a time from each stream."""


def _entry(event: RecordedEvent) -> dict[str, Any]:
    return {
        "position": event.position,
        "stream": event.stream_id,
        "type": event.type,
        "recorded_at": event.recorded_at.isoformat(),
        "actor": event.meta.get("actor"),
        "data": event.data,
    }


async def _events(store: EventStore, stream: str) -> AsyncIterator[RecordedEvent]:
    version = 1
    while page := await store.read_stream(stream, from_version=version, limit=PAGE):
        for event in page:
            yield event
        version += len(page)


async def _merged(store: EventStore, streams: list[str]) -> AsyncIterator[RecordedEvent]:
    """The streams' events in log order (each stream is in log order)."""
    readers = [_events(store, stream) for stream in streams]
    heads = {at: await anext(reader, None) for at, reader in enumerate(readers)}
    while live := [(event.position, at) for at, event in heads.items() if event is not None]:
        _, at = min(live)
        event = heads[at]
        assert event is not None  # it is in ``live``
        yield event
        heads[at] = await anext(readers[at], None)


async def _answer(store: EventStore, streams: list[str]) -> AsyncIterator[bytes]:
    share, piece, separator = LoopShare(), bytearray(b'{"events":['), b""
    async for event in _merged(store, streams):
        piece += separator + msgspec.json.encode(_entry(event))
        separator = b","
        if len(piece) >= PIECE_BYTES:
            yield bytes(piece)
            piece.clear()
        await share.turn()
    piece += b"]}"
    yield bytes(piece)


async def _existing(services: Services, stream: str, what: str) -> None:
    if await services.store.stream_version(stream) == 0:
        raise Problem(404, "not-found", f"there is no such {what}")


async def _history_of(services: Services, streams: list[str]) -> Response:
    return StreamingResponse(_answer(services.store, streams), media_type="application/json")


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
