"""The JSON an auditor reads for a replayed trial: the workspace and the protocol as they
then were, a line for each amendment, motion and dispute, and one record in full.

The lines come from the history as JSON (:mod:`server.audit.listed_lines`): the answer
is written with msgspec, each line as it is, so a replay listing 3,000 motions neither
decodes their states nor summarises them again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from domain.streams import StreamKind, protocol_stream, trial_stream
from events.canonical import format_timestamp
from server.audit.history import Replayed, Streams
from server.audit.listed_lines import LISTED, line_of, listed_kind
from server.http.views import protocol_view, state_view

REPLAYED_KINDS = frozenset({StreamKind.WORKSPACE, StreamKind.PROTOCOL})
"""The streams whose state a replay's view reads (comment threads and shared texts only
as ``record``); of the kinds of ``LISTED``, it reads the lines."""


def replay_streams(record: str | None = None) -> Streams:
    """The streams :func:`replay_view` reads, with ``record`` (a stream of the trial)."""
    return Streams(REPLAYED_KINDS, frozenset({record} if record else ()), frozenset(LISTED))


def replay_json(replayed: Replayed, record: str | None = None) -> bytes:
    """:func:`replay_view` as JSON (its lines written as they are)."""
    return msgspec.json.encode(_view(replayed, record, msgspec.Raw))


def replay_view(replayed: Replayed, record: str | None = None) -> dict[str, Any]:
    """Where the replay stands (and the steps either side), and the trial's state there;
    ``record`` (a stream of the trial) is included in full as ``record``."""
    return _view(replayed, record, msgspec.json.decode)


def _view(replayed: Replayed, record: str | None, line: Callable[[bytes], Any]) -> dict[str, Any]:
    trial_id, states = replayed.trial_id, replayed.states
    workspace = states.get(trial_stream(trial_id))
    protocol = states.get(protocol_stream(trial_id))
    listed = _listed(replayed)

    def of(kind: StreamKind) -> list[Any]:
        return [line(listed[stream]) for stream in sorted(listed) if listed_kind(stream) is kind]

    return {
        "trial_id": trial_id,
        "at": replayed.at,
        "position": replayed.position,
        "recorded_at": format_timestamp(replayed.recorded_at) if replayed.recorded_at else None,
        "previous": replayed.previous,
        "next": replayed.next,
        "events": replayed.events,
        "workspace": state_view(workspace) if workspace is not None else None,
        "protocol": protocol_view(protocol) if protocol is not None else None,
        "amendments": of(StreamKind.AMENDMENT),
        "motions": of(StreamKind.MOTION),
        "disputes": of(StreamKind.DISPUTE),
        "record": state_view(states[record]) if record and record in states else None,
    }


def _listed(replayed: Replayed) -> dict[str, bytes]:
    """The line of every stream listed: those the history gave, and those of the states it
    gave (a ``record``, or every stream of a replay that asked for every state)."""
    listed = dict(replayed.lines)
    for stream_id, state in replayed.states.items():
        if stream_id not in listed and listed_kind(stream_id) is not None:
            made = line_of(stream_id, state)
            if made is not None:
                listed[stream_id] = made
    return listed
