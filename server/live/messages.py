"""What travels over a live connection: the server's messages, the client's, the close codes.

Every frame is one JSON object with a ``type``. Events travel in batches (``events``): a
connection that is briefly behind gets the backlog in one frame instead of many, which is
what keeps a thousand listeners cheap. See ``docs/live.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain.m11 import is_section_number
from domain.visible_text import first_invisible
from events.envelope import RecordedEvent
from server.http.identifiers import ID_PATTERN
from server.http.problems import Problem

CLOSE_GOING_AWAY = 1001
"""The server is shutting down: reconnect (with ``after``) to another or later."""
CLOSE_POLICY_VIOLATION = 1008
"""The handshake was refused and the server could not say so in an HTTP response."""
CLOSE_SERVER_ERROR = 1011
"""The server stopped following the log; it will not serve stale events."""
CLOSE_SIGNED_OUT = 4401
"""The session ended or the account was disabled: sign in again."""
CLOSE_ACCESS_REVOKED = 4403
"""No trial of this connection may be read any more."""
CLOSE_TOO_SLOW = 4408
"""The client read too slowly and its buffer overflowed; reconnect with ``after``."""
CLOSE_TOO_MANY_MESSAGES = 4429
"""The client sent messages faster than any person could (server/live/bucket.py)."""

MAX_CLIENT_MESSAGE = 4096
"""Longest client frame read (characters); presence and pings are far shorter."""


def event_json(event: RecordedEvent) -> str:
    """One event as the live feed shows it, serialized once and shared by every listener."""
    return json.dumps(
        {
            "position": event.position,
            "stream": event.stream_id,
            "version": event.stream_version,
            "type": event.type,
            "data": event.data,
            "meta": event.meta,
            "recorded_at": event.recorded_at.isoformat(),
        },
        separators=(",", ":"),
    )


def events_frame(trial_events: list[str]) -> str:
    """A batch of already-serialized events in log order."""
    return '{"type":"events","events":[' + ",".join(trial_events) + "]}"


def frame(kind: str, **fields: Any) -> str:
    """Any other server message."""
    return json.dumps({"type": kind, **fields}, separators=(",", ":"))


def problem_frame(problem: Problem) -> str:
    """A client message the server could not take, as an RFC 9457 problem."""
    return frame("error", problem=problem.body("/api/live"))


@dataclass(frozen=True, slots=True)
class PresenceUpdate:
    """The client says where it is: a section it views or edits (an M11 section number,
    relayed to everyone in the trial), or nowhere."""

    trial: str
    section: str | None
    activity: str
    cursor: str | None = None
    """The caret and selection in the section's shared text (compact JSON), if sent."""
    amendment: str | None = None
    """The amendment whose shared text of the section the person is in (None: the
    protocol's section itself)."""


ACTIVITIES = frozenset({"viewing", "editing"})
MAX_SECTION_LENGTH = 200


def read_client_message(text: str | None) -> PresenceUpdate | str:
    """A presence update, or ``"ping"``; raises :class:`Problem` (400) for anything else
    (``None``: a binary frame)."""
    if text is None:
        raise _bad("messages are JSON in text frames, not binary ones")
    if len(text) > MAX_CLIENT_MESSAGE:
        raise _bad(f"messages are at most {MAX_CLIENT_MESSAGE} characters")
    try:
        message = json.loads(text)
    except ValueError:
        raise _bad("a message is one JSON object") from None
    if not isinstance(message, dict):
        raise _bad("a message is one JSON object")
    kind = message.get("type")
    if kind == "ping":
        return "ping"
    if kind != "presence":
        raise _bad("the type is 'ping' or 'presence'")
    trial, section = message.get("trial"), message.get("section")
    activity = message.get("activity", "viewing")
    if not isinstance(trial, str):
        raise _bad("presence names its trial")
    if section is not None:
        _check_section(section)
    if activity not in ACTIVITIES:
        raise _bad("activity is 'viewing' or 'editing'")
    amendment = message.get("amendment")
    if amendment is not None and (
        section is None or not isinstance(amendment, str) or not ID_PATTERN.fullmatch(amendment)
    ):
        raise _bad("amendment is an amendment's id, with a section")
    cursor = _cursor(message.get("cursor"), section)
    return PresenceUpdate(trial, section, activity, cursor, amendment)


def _cursor(cursor: object, section: object) -> str | None:
    """A caret and selection: ``{"anchor": position, "head": position}``, each a Yjs
    relative position as JSON (an object) or null; relayed as sent, never read."""
    if cursor is None:
        return None
    if (
        section is None
        or not isinstance(cursor, dict)
        or cursor.keys() != {"anchor", "head"}
        or not all(p is None or isinstance(p, dict) for p in cursor.values())
    ):
        raise _bad("cursor is {anchor, head} (Yjs relative positions as JSON) in a section")
    return json.dumps(cursor, separators=(",", ":"), sort_keys=True)


def _check_section(section: object) -> None:
    """A section number such as ``5.2`` or ``lay-summary`` (domain/m11.py): what every
    listener in the trial is shown, so nothing else, invisible characters least of all."""
    what = "section is a section number such as 5.2 or lay-summary, or null"
    if not isinstance(section, str) or len(section) > MAX_SECTION_LENGTH:
        raise _bad(what)
    if (hidden := first_invisible(section)) is not None:
        raise _bad(f"{what}; it holds the invisible character {hidden} at offset {hidden.offset}")
    if not is_section_number(section):
        raise _bad(what)


def _bad(detail: str) -> Problem:
    return Problem(400, "bad-live-message", detail, title="Message not understood")
