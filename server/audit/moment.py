"""Which moment an audit request is about: ``?at=POSITION`` or ``?time=ISO-8601``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from events import EventStore
from server.http.problems import Problem

_DIGITS = re.compile(r"[0-9]{1,18}")


def whole_number(text: str) -> int | None:
    """A query parameter's non-negative whole number (up to 18 digits), or None."""
    # not str.isdigit: "²" is a digit to it, not to int()
    return int(text) if _DIGITS.fullmatch(text) else None


def log_position(text: str, name: str) -> int:
    """A log position from a query parameter; a 422 problem otherwise."""
    position = whole_number(text)
    if position is None:
        raise Problem(422, "malformed-position", f"{name} must be a log position (0 or more)")
    return position


def instant(text: str, name: str) -> datetime:
    """An ISO 8601 time with a UTC offset from a query parameter; a 422 problem otherwise."""
    moment: datetime | None = None
    try:
        given = datetime.fromisoformat(text)
        moment = given.astimezone(UTC) if given.tzinfo is not None else None
    except (ValueError, OverflowError):
        pass
    if moment is None:
        raise Problem(
            422,
            "malformed-time",
            f"{name} must be an ISO 8601 time with a UTC offset, e.g. 2026-11-21T09:30:00Z",
        )
    return moment


def moment(spec: str) -> dict[str, str]:
    """The query a one-word moment stands for: ``head``, a log position, or a time."""
    if spec == "head":
        return {}
    return {"at": spec} if spec.isdigit() else {"time": spec}


async def position_of(
    store: EventStore, params: Mapping[str, str], *, at: str = "at", time: str = "time"
) -> int:
    """The log position the request names by ``at`` (a position) or ``time`` (the last
    position recorded at or before it); the head when it names neither."""
    if at in params and time in params:
        raise Problem(422, "ambiguous-moment", f"give {at} or {time}, not both")
    if at in params:
        return log_position(params[at], at)
    if time in params:
        return await store.position_at(instant(params[time], time))
    return await store.head_position()
