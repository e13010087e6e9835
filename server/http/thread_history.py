"""A comment thread's history as its page reads it: the thread's events (each comment,
each disposition) in log order, each with the time the log recorded it and who caused it.

A section's thread draws its comments' times from this answer, as an amendment's
discussion draws them from the amendment's history (``server.http.amendment_history``).
It reads the thread's one stream, so its cost follows that thread's length, never the
log's, and it is encoded in a worker thread.
"""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from domain.streams import comments_stream
from server.http.amendment_history import answer_of
from server.http.authentication import Principal
from server.http.targets import comment_subject_kind
from server.services import Services


async def thread_history(services: Services, p: dict[str, str], principal: Principal) -> Response:
    """``GET .../comments/{subject_kind}/{subject_id}/history``: ``{events}`` of the
    thread (position, stream, type, recorded_at, actor, data); a thread nobody has
    commented in yet answers no events, as the thread itself answers no comments; 404 for
    a kind of subject comments cannot be about."""
    kind = comment_subject_kind(p["subject_kind"])
    events = await services.store.read_stream(comments_stream(p["trial_id"], kind, p["subject_id"]))
    return await asyncio.to_thread(answer_of, [events])
