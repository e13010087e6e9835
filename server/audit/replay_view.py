"""The JSON an auditor reads for a replayed trial: every aggregate as it then was."""

from __future__ import annotations

from typing import Any

from domain.codec import encode
from domain.motion import MotionState
from domain.streams import protocol_stream, trial_stream
from events.canonical import format_timestamp
from server.aggregates import AMENDMENT, DISPUTE, MOTION
from server.audit.history import Replayed
from server.audit.trial_fold import kind_of
from server.views import protocol_view, state_view


def replay_view(replayed: Replayed) -> dict[str, Any]:
    """Where the replay stands (and the steps either side), and the trial's state there."""
    trial_id, states = replayed.trial_id, replayed.states
    workspace = states.get(trial_stream(trial_id))
    protocol = states.get(protocol_stream(trial_id))

    def of(kind: object) -> list[Any]:
        return [s for stream, s in sorted(states.items()) if kind_of(stream, trial_id) is kind]

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
        "amendments": [state_view(a) for a in of(AMENDMENT)],
        "motions": [_with_tally(m) for m in of(MOTION)],
        "disputes": [state_view(d) for d in of(DISPUTE)],
    }


def _with_tally(motion: MotionState) -> Any:
    view = state_view(motion)
    assert isinstance(view, dict)
    return {**view, "tally": encode(motion.tally())}
