"""A motion's or a dispute's history as its page reads it: the events of its one stream,
each with the time the log recorded it and who caused it (when it was tabled or raised,
each vote, each escalation with its reason, its end).

Written as an amendment's history is (``server.http.amendment_history``): the answer
reads the record's own stream, so its cost follows that record's length, never the
log's, and it is encoded in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.responses import Response

from domain.streams import dispute_stream, motion_stream
from server.http.amendment_history import answer_of
from server.http.authentication import Principal
from server.http.problems import Problem
from server.services import Services

Handler = Callable[[Services, dict[str, str], Principal], Awaitable[Response]]


def stream_history(stream_of: Callable[[str, str], str], key: str, what: str) -> Handler:
    """``GET .../<record>/history``: ``{events}`` of the record named by the path
    parameter ``key`` (position, stream, type, recorded_at, actor, data); 404 when there
    is no such ``what``."""

    async def history(services: Services, p: dict[str, str], principal: Principal) -> Response:
        stream = stream_of(p["trial_id"], p[key])
        if await services.store.stream_version(stream) == 0:
            raise Problem(404, "not-found", f"there is no such {what}")
        events = await services.store.read_stream(stream)
        return await asyncio.to_thread(answer_of, [events])

    return history


motion_history = stream_history(motion_stream, "motion_id", "motion")
dispute_history = stream_history(dispute_stream, "dispute_id", "dispute")
