"""The base classes of the trial's language: commands ask, events record.

Events are immutable values named in the past tense. Each event class has a type name
(``event_type``, the class name unless it says otherwise) and a ``schema_version``;
both go into the log's envelope. Their fields hold only values that become plain JSON
(see ``domain.codec``): str, int, bool, None, str enums, tuples, frozensets, mappings with
string keys and nested frozen dataclasses of these. Never floats: the log forbids them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from typing import ClassVar, Never, TypeVar

from domain.actor import Actor


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something that happened in a trial."""

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls) -> None:
        # No super() call: with slots=True, dataclass rebuilds the class, and the
        # zero-argument super() of the original class rejects the rebuilt subclasses.
        # The base of Event is object, whose hook does nothing.
        if "event_type" not in cls.__dict__:
            cls.event_type = cls.__name__


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """Something a person asks the trial to do; ``decide`` turns it into events or refuses."""

    actor: Actor


State = TypeVar("State")
E = TypeVar("E", bound=Event)


def fold_events(evolve: Callable[[State, E], State], initial: State, events: Iterable[E]) -> State:
    """Apply ``evolve`` to each event in turn, starting from ``initial``."""
    return reduce(evolve, events, initial)


def ignore_unknown(state: State, event: Never) -> State:
    """The last case of every ``evolve``: mypy proves that no event type of the stream is
    forgotten (``event`` must be unreachable), and at run time an event that belongs to
    another stream leaves the state as it was, because evolve never fails."""
    return state
