"""A whole trial as the fold of its streams: every aggregate's state by stream id.

The server's :class:`server.commands.state_cache.StateCache` folds one stream at a time; an audit
needs all of a trial's streams at one moment, so :class:`TrialFold` routes each event of
the trial to the aggregate its stream holds and keeps the states side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.catalog import from_data
from domain.streams import trial_stream
from events import RecordedEvent
from server.commands.aggregates import (
    AMENDMENT,
    COMMENTS,
    DISPUTE,
    MOTION,
    PROTOCOL,
    WORKSPACE,
    AggregateKind,
)

_KINDS_BY_SEGMENT: Mapping[str, AggregateKind[Any]] = {
    "amendment": AMENDMENT,
    "motion": MOTION,
    "dispute": DISPUTE,
    "comments": COMMENTS,
}

TrialStates = Mapping[str, Any]
"""Stream id -> that stream's aggregate state, for the streams of one trial."""


def in_trial(stream_id: str, trial_id: str) -> bool:
    """Whether ``stream_id`` is the trial's workspace or one of the streams below it
    (``trial/t1`` is not below ``trial/t10``)."""
    own = trial_stream(trial_id)
    return stream_id == own or stream_id.startswith(own + "/")


def kind_of(stream_id: str, trial_id: str) -> AggregateKind[Any] | None:
    """The aggregate a stream of the trial holds (None for a stream it does not know)."""
    rest = stream_id[len(trial_stream(trial_id)) :].split("/")[1:]
    if not rest:
        return WORKSPACE
    if rest == ["protocol"]:
        return PROTOCOL
    return _KINDS_BY_SEGMENT.get(rest[0])


@dataclass(frozen=True, slots=True)
class Step:
    """What one event did to its stream's state."""

    event: RecordedEvent
    kind: AggregateKind[Any]
    before: Any
    after: Any


class TrialFold:
    """The states of one trial's streams, advanced event by event (mutable, one owner)."""

    def __init__(self, trial_id: str, states: TrialStates | None = None) -> None:
        self.trial_id = trial_id
        self._states: dict[str, Any] = dict(states or {})

    def apply(self, event: RecordedEvent) -> Step | None:
        """Fold one event of the log; None if it is not one of this trial's."""
        if not in_trial(event.stream_id, self.trial_id):
            return None
        kind = kind_of(event.stream_id, self.trial_id)
        if kind is None:
            return None
        before = self._states.get(event.stream_id, kind.new)
        decoded = from_data(event.type, event.data, event.schema_version)
        after = kind.evolve(before, decoded)
        self._states[event.stream_id] = after
        return Step(event, kind, before, after)

    def state_of(self, stream_id: str) -> Any:
        """The state of one stream now (None if it has no event yet)."""
        return self._states.get(stream_id)

    def states(self) -> TrialStates:
        """A copy of the states as they are now (later events do not change it)."""
        return dict(self._states)
