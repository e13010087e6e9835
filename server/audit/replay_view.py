"""The JSON an auditor reads for a replayed trial: the workspace and the protocol as they
then were, a line for each amendment, motion and dispute, and one record in full."""

from __future__ import annotations

from typing import Any

from domain.streams import StreamKind, protocol_stream, trial_stream
from events.canonical import format_timestamp
from server.audit.history import Replayed, Streams
from server.audit.trial_fold import kind_of
from server.commands.aggregates import AMENDMENT, DISPUTE, MOTION
from server.http.views import (
    amendment_summary,
    dispute_summary,
    motion_summary,
    protocol_view,
    state_view,
)

REPLAYED_KINDS = frozenset(
    {
        StreamKind.WORKSPACE,
        StreamKind.PROTOCOL,
        StreamKind.AMENDMENT,
        StreamKind.MOTION,
        StreamKind.DISPUTE,
    }
)
"""The streams a replay's view reads (comment threads and shared texts only as ``record``)."""


def replay_streams(record: str | None = None) -> Streams:
    """The streams :func:`replay_view` reads, with ``record`` (a stream of the trial)."""
    return Streams(REPLAYED_KINDS, frozenset({record} if record else ()))


def replay_view(replayed: Replayed, record: str | None = None) -> dict[str, Any]:
    """Where the replay stands (and the steps either side), and the trial's state there;
    ``record`` (a stream of the trial) is included in full as ``record``."""
    trial_id, states = replayed.trial_id, replayed.states
    workspace = states.get(trial_stream(trial_id))
    protocol = states.get(protocol_stream(trial_id))

    def of(kind: object) -> list[Any]:
        return [states[stream] for stream in sorted(states) if kind_of(stream) is kind]

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
        "amendments": [amendment_summary(a) for a in of(AMENDMENT)],
        "motions": [motion_summary(m) for m in of(MOTION)],
        "disputes": [dispute_summary(d) for d in of(DISPUTE)],
        "record": state_view(states[record]) if record and record in states else None,
    }
