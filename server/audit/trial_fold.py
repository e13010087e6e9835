"""A whole trial as the fold of its streams: every aggregate's state by stream id.

The server's :class:`server.commands.state_cache.StateCache` folds one stream at a time; an audit
needs all of a trial's streams at one moment, so :class:`TrialFold` routes each event of
the trial to the aggregate its stream holds and keeps the states side by side.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any

from domain.catalog import from_data
from domain.streams import StreamName, parse_stream
from events import RecordedEvent
from server.commands.aggregates import KINDS, AggregateKind

TrialStates = Mapping[str, Any]
"""Stream id -> that stream's aggregate state, for the streams of one trial."""


def kind_of(stream_id: str) -> AggregateKind[Any] | None:
    """The aggregate a stream holds (None for a name no stream of a trial has)."""
    stream = parse_stream(stream_id)
    return None if stream is None else KINDS[stream.kind]


@dataclass(frozen=True, slots=True)
class Step:
    """What one event did to its stream's state."""

    event: RecordedEvent
    stream: StreamName
    kind: AggregateKind[Any]
    before: Any
    after: Any


class TrialFold:
    """The states of one trial's streams, advanced event by event (mutable, one owner)."""

    def __init__(self, trial_id: str, states: TrialStates | None = None) -> None:
        self.trial_id = trial_id
        self._states: dict[str, Any] = dict(states or {})

    def apply(self, event: RecordedEvent) -> Step | None:
        """Fold one event of the log; None if it is not one of this trial's streams."""
        stream = parse_stream(event.stream_id)
        if stream is None or stream.trial_id != self.trial_id:
            return None
        kind = KINDS[stream.kind]
        before = self._states.get(event.stream_id, kind.new)
        decoded = from_data(event.type, event.data, event.schema_version)
        after = kind.evolve(before, decoded)
        self._states[event.stream_id] = after
        return Step(event, stream, kind, before, after)

    def state_of(self, stream_id: str) -> Any:
        """The state of one stream now (None if it has no event yet, or it was let go)."""
        return self._states.get(stream_id)

    def holds(self, stream_id: str) -> bool:
        """Whether the fold holds a state of ``stream_id`` (else an event of it starts
        from the aggregate's new state)."""
        return stream_id in self._states

    def hold(self, stream_id: str, state: Any) -> None:
        """Go on from ``state`` for ``stream_id`` (one let go, read back)."""
        self._states[stream_id] = state

    def let_go(self, keep: Container[str]) -> None:
        """Stop holding every stream's state but those in ``keep`` (the others are kept
        elsewhere and handed back with :meth:`hold` before their next event)."""
        self._states = {s: state for s, state in self._states.items() if s in keep}

    def states(self) -> TrialStates:
        """A copy of the states as they are now (later events do not change it)."""
        return dict(self._states)
